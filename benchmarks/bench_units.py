"""Units mode (CONTRACT §17) at scale: N units x 27 indicators, in 10 groups, through `process.py run`.

    .venv/bin/python benchmarks/bench_units.py --sizes 100 1000 10000

Workbooks come from bench_scale's generator (`_make`, every unit fills every indicator). Each run
is a fresh process (bench_scale.in_child-style), timed from outside; peak memory is VmHWM. Each N
runs three times: a first run, an unchanged rerun and `--force`. Up to --documents-up-to units
every document is written (测评结果汇总.docx, 测评结果.xlsx, 问题清单, one 单位反馈 per unit, rendered
in the reports pool); above it the documents are skipped as bench_scale skips the Word reports
(核定表.xlsx is still written). Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
INDICATORS = 27
GROUPS = 10


def rules_text(n: int) -> str:
    lines = ["version: 1", "title: 文明单位测评", "organization: 某省文明办", "round: 规模测试", "as_of: 2026-12-31",
             "mode: units", "pass_score: 80", "bonus_cap: 5", "units:"]
    lines += [f"  - {{name: 单位{k:05d}, group: 系统{k % GROUPS:02d}, email: [u{k:05d}@example.gov.cn]}}"
              for k in range(n)]
    lines += ["items:"]
    per_item = INDICATORS // 3
    for item in range(3):
        lines += [f'  - code: "{"一二三"[item]}"', f"    name: 测评项目{item + 1}", "    indicators:"]
        for j in range(per_item):
            code = f"{item + 1}.{j + 1}"
            lines.append(f'      - {{code: "{code}", name: 指标{code}, max: 4, criteria: 标准{code}}}')
    lines += ["vetoes:", "  - {code: V1, name: 严重违纪违法}"]
    return "\n".join(lines) + "\n"


def generate(n: int, workdir: Path) -> tuple[Path, Path]:
    from concurrent.futures import ProcessPoolExecutor

    from bench_scale import _make

    base = workdir / f"units{n}"
    rules_path, inp = base / "rules.yaml", base / "input"
    if (base / ".complete").exists():
        return rules_path, inp
    inp.mkdir(parents=True, exist_ok=True)
    rules_path.write_text(rules_text(n), encoding="utf-8")
    names = [f"单位{k:05d}" for k in range(n)]
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(rules_path, inp, names[k::cores]) for k in range(cores)]))
    (base / ".complete").write_text("ok")
    return rules_path, inp


def child(rules_path: str, inp: str, out: str, documents: str, force: str = "0") -> None:
    from bench_scale import child_run, peak_mb

    from scorecard.reports import units, write

    unit_docs = {"seconds": 0.0, "files": 0}
    real = units.render_feedback

    def timed(summary, jobs, gaps=None):      # 单位反馈 rendered in this process (not the pool's share)
        start = time.perf_counter()
        real(summary, jobs, gaps)
        unit_docs["seconds"] += time.perf_counter() - start
        unit_docs["files"] += len(jobs)
    units.render_feedback = timed
    result = child_run(Path(rules_path), Path(inp), Path(out), bool(int(documents)), force=bool(int(force)))
    result["unit_documents"] = unit_docs
    result["peak_mb"] = peak_mb()
    print(json.dumps(result, ensure_ascii=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scorecard-bench"))
    parser.add_argument("--documents-up-to", type=int, default=1000)
    parser.add_argument("--child", nargs=5)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    import shutil

    for n in args.sizes:
        rules_path, inp = generate(n, args.workdir)
        out = args.workdir / f"units{n}" / "output"
        shutil.rmtree(out, ignore_errors=True)
        first = None
        for label, force in (("first run", 0), ("unchanged rerun", 0), ("--force", 1)):
            start = time.perf_counter()
            p = subprocess.run([sys.executable, __file__, "--child", str(rules_path), str(inp), str(out),
                                str(int(n <= args.documents_up_to)), str(force)],
                               capture_output=True, text=True, encoding="utf-8")
            wall = time.perf_counter() - start
            if p.returncode:
                raise SystemExit(p.stderr)
            r = json.loads(p.stdout.strip().splitlines()[-1])
            first = first or wall
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            docs = r["unit_documents"]
            print(f"N={n} {label}: wall {wall:.1f} s ({100 * wall / first:.0f}% of the first run), peak "
                  f"{r['peak_mb']:.0f} MB; 单位反馈 rendered in the main process {docs['files']} in "
                  f"{docs['seconds']:.1f} s{'' if n <= args.documents_up_to else ' (Word documents skipped)'}; "
                  f"stages: {stages}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
