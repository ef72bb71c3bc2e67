"""Mutation testing of the core modules with mutmut (`make mutants`; docs/testing.md).

    .venv/bin/python tools/mutants.py scorecard/scoring/score.py            # one module
    .venv/bin/python tools/mutants.py scorecard/scoring/score.py --jobs 1   # gentler on a shared machine
    .venv/bin/python tools/mutants.py scorecard/scoring/score.py --fresh    # forget earlier results
    .venv/bin/python tools/mutants.py scorecard/scoring/score.py --report   # print the last results only
    .venv/bin/python tools/mutants.py scorecard/scoring/score.py --only 'scorecard.scoring.score.x__gaps*'   # one function

Each module gets its own scratch folder, build/mutants/<module>/ (git ignores build/): links to
the project's files and a setup.cfg that tells mutmut to mutate that module alone and to run only
the test files that exercise it (TESTS below), not the whole suite per mutant. mutmut makes about
1,000 mutants of a 400-line module: an hour or more on two busy cores; one function (`--only`)
takes minutes. mutmut keeps its results there: a second run only tries mutants it has no verdict for
(`--fresh` starts over; `--retry-survivors` tries the survivors again after new tests).

The report gives, per module, the mutants killed, survived and not reached by any selected test,
and the score = killed (timeouts count as killed) / all tried; then each survivor by name, whose
diff `--show NAME` prints.
"""
from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutants"
SKIP = {".git", ".venv", "build", "output", "input", "mutants", "__pycache__", ".pytest_cache", "preview", "dist"}

# The test files that exercise each module, by its path inside the package. A module not listed
# runs tests/test_<name>.py.
TESTS = {
    "scoring/score.py": ["tests/test_scoring.py", "tests/test_boundaries.py", "tests/test_result.py"],
    "intake/validation.py": ["tests/test_validation.py", "tests/test_scenarios.py", "tests/test_boundaries.py",
                      "tests/test_corpus.py"],
    "intake/checking.py": ["tests/test_checking.py", "tests/test_scenarios.py", "tests/test_corpus.py", "tests/test_safety.py"],
    "office/apply.py": ["tests/test_office.py"],
    "office/read.py": ["tests/test_office.py"],
    "office/store.py": ["tests/test_office.py"],
    "office/write.py": ["tests/test_office.py"],
    "mail/outbox.py": ["tests/test_mail.py", "tests/test_mail_cli.py", "tests/test_boundaries.py"],
    "mail/delivery.py": ["tests/test_mail.py", "tests/test_mail_cli.py", "tests/test_boundaries.py"],
    "operations/unchanged.py": ["tests/test_unchanged.py"],
    "intake/datasets.py": ["tests/test_datasets.py", "tests/test_rules_computed.py", "tests/test_boundaries.py"],
    # follow-up (§14)
    "followup/due.py": ["tests/test_followup_due.py", "tests/test_followup_calendar.py"],
    "followup/remind.py": ["tests/test_followup_calendar.py"],
    "scoring/lights.py": ["tests/test_followup_lights.py", "tests/test_followup_extensions.py"],
    "scoring/extensions.py": ["tests/test_followup_extensions.py"],
    "office/extensions.py": ["tests/test_followup_extensions.py"],
    # evidence (§13)
    "evidence/judge.py": ["tests/test_evidence_judge.py", "tests/test_evidence_run.py"],
    "evidence/find.py": ["tests/test_evidence_find.py", "tests/test_evidence_run.py"],
    "evidence/inspect.py": ["tests/test_evidence_inspect.py"],
    "scoring/evidence.py": ["tests/test_evidence_run.py"],
}
# Lines not mutated: log and console messages (wording, not behaviour; what the office reads in
# findings, reports and mail is mutated where it is built).
DO_NOT_MUTATE = [r"^\s*logger\.(debug|info|warning|error|exception)\(", r"^\s*console\.(say|error)\("]

KILLED = {"killed", "timeout"}


def tests_for(module: Path) -> list[str]:
    inside = Path(module).resolve().relative_to(ROOT / "scorecard").as_posix()
    listed = TESTS.get(inside, [f"tests/test_{module.stem}.py"])
    return [t for t in listed if (ROOT / t).exists()]


def workdir(module: Path) -> Path:
    return WORK / str(module.with_suffix("")).replace("/", ".")


def prepare(module: Path, fresh: bool) -> Path:
    """The module's scratch folder: a link to every top-level file of the project and its setup.cfg."""
    wd = workdir(module)
    if fresh and wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True, exist_ok=True)
    top = sorted(p for p in ROOT.iterdir() if p.name not in SKIP)
    for p in top:
        link = wd / p.name
        if not link.is_symlink():
            link.symlink_to(p)
    package = module.parts[0]
    also = [p.name for p in top if p.name not in (package, "tests")]
    lines = ["[mutmut]", f"source_paths = {package}", f"only_mutate = {module}", "also_copy ="]
    lines += [f"    {name}" for name in also]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests_for(module)]
    lines += ["do_not_mutate_patterns ="] + [f"    {p}" for p in DO_NOT_MUTATE]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider", ""]
    (wd / "setup.cfg").write_text("\n".join(lines), encoding="utf-8")
    return wd


def mutmut(wd: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    # nice: the machine is usually shared; mutants wait rather than slow everyone else down.
    return subprocess.run(["nice", "-n", "10", sys.executable, "-m", "mutmut", *args], cwd=wd, text=True,
                          capture_output=capture, check=False)


def results(wd: Path) -> dict[str, str]:
    out = mutmut(wd, "results", "--all", "true", capture=True).stdout
    return dict(re.findall(r"^\s+(\S+): (.+)$", out, re.M))


def report(module: Path, wd: Path) -> tuple[int, int]:
    verdicts = results(wd)
    counts: dict[str, int] = {}
    for status in verdicts.values():
        counts[status] = counts.get(status, 0) + 1
    tried = sum(n for s, n in counts.items() if s not in ("not checked", "skipped", "check was interrupted by user"))
    killed = sum(counts.get(s, 0) for s in KILLED)
    score = f"{100 * killed / tried:.1f}%" if tried else "-"
    detail = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
    print(f"{module}: {killed}/{tried} killed = {score} ({detail})")
    for name, status in sorted(verdicts.items()):
        if status not in KILLED and status != "not checked":
            print(f"    {status}: {name}")
    return killed, tried


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="+", type=Path, help="module files, e.g. scorecard/scoring/score.py")
    ap.add_argument("--jobs", type=int, default=2, help="mutants tried at once (default 2)")
    ap.add_argument("--fresh", action="store_true", help="forget earlier results of these modules")
    ap.add_argument("--retry-survivors", action="store_true", help="try again the mutants that survived")
    ap.add_argument("--only", metavar="GLOB", action="append", default=[],
                    help="only these mutants, by name: 'scorecard.scoring.score.x__gaps*' (repeatable)")
    ap.add_argument("--report", action="store_true", help="only print the results of the last run")
    ap.add_argument("--show", metavar="NAME", help="print a mutant's diff")
    args = ap.parse_args(argv)
    if args.show:
        return mutmut(prepare(args.modules[0], False), "show", args.show).returncode
    failed = False
    for module in args.modules:
        if not (ROOT / module).is_file():
            print(f"no such module: {module}", file=sys.stderr)
            return 2
        wd = prepare(module, args.fresh and not args.report)
        if not args.report:
            names: list[str] = list(args.only)
            if args.retry_survivors:
                names = [n for n, s in results(wd).items() if s not in KILLED and s != "not checked"
                         and (not args.only or any(fnmatch.fnmatch(n, g) for g in args.only))]
                if not names:
                    report(module, wd)
                    continue
            print(f"== {module}: tests {' '.join(tests_for(module))}", flush=True)
            failed |= mutmut(wd, "run", "--max-children", str(args.jobs), *names).returncode != 0
        report(module, wd)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
