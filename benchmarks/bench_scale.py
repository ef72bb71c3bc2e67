"""Speed at scale: the whole pipeline on N generated departments, beside an "afternoon script".

    .venv/bin/python benchmarks/bench_scale.py                 # N = 100, 1000, 10000
    .venv/bin/python benchmarks/bench_scale.py --sizes 200 1000

For each N: a rules file with N departments (14 indicators, every department on every indicator,
`combine: mean`) and N deterministic workbooks (generated once, kept in --workdir). Then, each in a
fresh process so that peak memory is its own:
- `run`: `process.py run` (scorecard.cli.main), per-stage times and peak memory (VmHWM);
- `rerun`: the same command again on the unchanged input and output;
- `baseline`: pandas.read_excel per file plus one docxtpl report per department, sequential.
Each is timed from outside its process (interpreter start and imports included), as an outside
benchmark timing the commands sees them; ratios use those wall times.
Above --reports-up-to departments the Word reports are skipped in `run` (and in the baseline).
Figures go in docs/performance.md with the machine they were measured on.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INDICATORS = 14


def rules_text(n: int) -> str:
    lines = ["version: 1", "title: 规模测试", "organization: 某省文明办", "round: 规模测试", "as_of: 2026-12-31",
             "pass_score: 60", "bonus_cap: 5", "departments:"]
    lines += [f"  - {{name: 单位{k:05d}, email: [u{k:05d}@example.gov.cn], head: 负责人{k:05d}}}" for k in range(n)]
    lines += ["leaders:", "  - {name: 主任, email: [leader@example.gov.cn]}", "items:"]
    per_item = INDICATORS // 2
    for item in range(2):
        lines += [f'  - code: "{"一二"[item]}"', f"    name: 测评项目{item + 1}", "    indicators:"]
        for j in range(per_item):
            code = f"{item + 1}.{j + 1}"
            lines.append(f'      - {{code: "{code}", name: 指标{code}, max: {100 // INDICATORS if j else 100 // INDICATORS + 100 % INDICATORS // 2}, '
                         f"criteria: 标准{code}, departments: all, combine: mean}}")
    lines += ["vetoes:", "  - {code: V1, name: 严重违纪违法}"]
    return "\n".join(lines) + "\n"


def _make(args) -> None:
    rules_path, out_dir, names = args
    from scorecard.forms.template import build_template
    from scorecard.rules import load_rules
    from scorecard.forms.samples import fill_workbook

    rules = load_rules(rules_path)
    for name in names:
        rng = random.Random(name)
        rows = {}
        for ind in rules.indicators_of(name):
            score = ind.max if rng.random() < 0.7 else round(ind.max * rng.choice([0.5, 0.8, 0.9]), 1)
            row = {"自评得分": score, "完成情况": "已完成" if score == ind.max else "推进中", "佐证材料": "台账"}
            if score < ind.max:
                row.update({"存在问题": "台账不全", "整改措施": "补齐台账", "责任人": "张三",
                            "完成时限": dt.date(2027, 3, 31)})
            rows[ind.code] = row
        wb = build_template(rules, name, today=dt.date(2026, 12, 1))
        fill_workbook(wb, info={"部门名称": name, "填报人": "李四", "联系电话": "1", "填报日期": dt.date(2026, 12, 20)},
                      rows=rows)
        wb.save(out_dir / f"{name}.xlsx")


def generate(n: int, workdir: Path) -> tuple[Path, Path]:
    """Rules and input for N (kept between invocations; regenerated when incomplete)."""
    from concurrent.futures import ProcessPoolExecutor

    base = workdir / f"n{n}"
    rules_path, inp = base / "rules.yaml", base / "input"
    stamp = base / ".complete"
    if stamp.exists():
        return rules_path, inp
    inp.mkdir(parents=True, exist_ok=True)
    rules_path.write_text(rules_text(n), encoding="utf-8")
    names = [f"单位{k:05d}" for k in range(n)]
    chunks = [names[k::os.cpu_count() or 1] for k in range(os.cpu_count() or 1)]
    start = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(rules_path, inp, c) for c in chunks]))
    stamp.write_text("ok")
    print(f"  generated {n} workbooks in {time.perf_counter() - start:.1f} s", flush=True)
    return rules_path, inp


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child_run(rules_path: Path, inp: Path, out: Path, reports: bool, force: bool = False) -> dict:
    """`process.py run` as an operator types it (scorecard.cli.main, in this fresh process: imports
    included), with the pipeline's per-stage times picked up on the way."""
    start = time.perf_counter()
    cpu = time.process_time()
    from scorecard import cli
    from scorecard.operations import pipeline

    if not reports:     # the 10,000 case may skip the Word reports: read + validate + score (+ ledger)
        from scorecard.operations import stages
        def no_reports(summary, stage, templates_dir=None, *, alongside=None, **kwargs):
            if alongside is not None:       # 核定表.xlsx, which the pipeline writes beside the reports
                alongside()
            return []
        stages.write_reports = no_reports
    results = []
    real_run = pipeline.run

    def run(*args, **kwargs):
        results.append(real_run(*args, **kwargs))
        return results[-1]
    pipeline.run = run
    rc = cli.main(["run", "--rules", str(rules_path), "--input", str(inp), "--output", str(out), "--quiet"]
                  + (["--force"] if force else []))
    if rc:
        raise SystemExit(f"process.py run exited {rc}")
    return {"total": time.perf_counter() - start, "cpu": time.process_time() - cpu,
            "stages": results[-1].timings, "unchanged": results[-1].unchanged, "peak_mb": peak_mb()}


BASELINE_TEMPLATE = None


def child_baseline(inp: Path, out: Path, reports: bool) -> dict:
    """What someone writes in an afternoon: read each sheet with pandas, one docxtpl report each."""
    import io

    import pandas as pd
    from docx import Document
    from docxtpl import DocxTemplate

    doc = Document()
    doc.add_heading("{{ name }}自评情况", 1)
    doc.add_paragraph("自评得分{{ score }}分，满分{{ max }}分。")
    doc.add_paragraph("{%p for r in rows %}")
    doc.add_paragraph("{{ r.code }} {{ r.score }}")
    doc.add_paragraph("{%p endfor %}")
    buffer = io.BytesIO()
    doc.save(buffer)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cpu = time.process_time()
    totals = {}
    for path in sorted(inp.glob("*.xlsx")):
        frame = pd.read_excel(path, sheet_name="自评表")
        name = path.stem
        totals[name] = float(frame["自评得分"].sum())
        if reports:
            tpl = DocxTemplate(io.BytesIO(buffer.getvalue()))
            tpl.render({"name": name, "score": totals[name], "max": float(frame["分值"].sum()),
                        "rows": [{"code": c, "score": s} for c, s in zip(frame["指标编号"], frame["自评得分"])]})
            tpl.save(out / f"{name}.docx")
    return {"total": time.perf_counter() - start, "cpu": time.process_time() - cpu, "peak_mb": peak_mb()}


def in_child(kind: str, *args) -> dict:
    """One measurement in a fresh process. wall: from starting the interpreter to its exit, as an
    outside benchmark timing the command sees it; children: CPU of the process and its pool workers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, "--child", kind, *map(str, args)], capture_output=True, text=True,
                       encoding="utf-8", cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"{kind} failed:\n{p.stderr}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    result["cpu_all"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def measure(n: int, workdir: Path, reports_up_to: int, baseline_up_to: int) -> dict:
    import shutil

    rules_path, inp = generate(n, workdir)
    out = workdir / f"n{n}" / "output"
    shutil.rmtree(out, ignore_errors=True)
    reports = n <= reports_up_to
    baseline = (in_child("baseline", inp, workdir / f"n{n}" / "baseline", int(reports))
                if n <= baseline_up_to else None)
    first = in_child("run", rules_path, inp, out, int(reports), 0)
    rerun = in_child("run", rules_path, inp, out, int(reports), 0)
    forced = in_child("run", rules_path, inp, out, int(reports), 1)
    return {"n": n, "reports": reports, "run": first, "rerun": rerun, "forced": forced, "baseline": baseline}


def show(r: dict) -> None:
    n, run, rerun, base = r["n"], r["run"], r["rerun"], r["baseline"]
    stages = "  ".join(f"{k} {v:.2f}s" for k, v in run["stages"].items())
    print(f"N = {n}{'' if r['reports'] else ' (Word reports skipped)'}")
    print(f"  run      {run['wall']:7.2f} s  (in-process {run['total']:.2f} s; CPU {run['cpu_all']:.1f} s in all "
          f"processes; peak {run['peak_mb']:.0f} MB; {1000 * run['wall'] / n:.1f} ms per workbook)")
    print(f"           {stages}")
    print(f"  rerun    {rerun['wall']:7.2f} s  ({100 * rerun['wall'] / run['wall']:.0f}% of the first run"
          f"{', unchanged: nothing read or written' if rerun.get('unchanged') else ''})")
    forced = r["forced"]
    print(f"  --force  {forced['wall']:7.2f} s  ({100 * forced['wall'] / run['wall']:.0f}% of the first run: every "
          f"stage again, checked files and unchanged documents reused; peak {forced['peak_mb']:.0f} MB)")
    if base is None:
        print("  baseline not run (--baseline-up-to)", flush=True)
        return
    print(f"  baseline {base['wall']:7.2f} s  (CPU {base['cpu_all']:.1f} s; peak {base['peak_mb']:.0f} MB)")
    print(f"  ratio    run / baseline = {run['wall'] / base['wall']:.2f}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scorecard-bench"))
    parser.add_argument("--reports-up-to", type=int, default=1000)
    parser.add_argument("--baseline-up-to", type=int, default=1000,
                        help="skip the baseline above this N (at 10,000 it reads for about 7 minutes)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "run":
            print(json.dumps(child_run(Path(rest[0]), Path(rest[1]), Path(rest[2]), bool(int(rest[3])),
                                       bool(int(rest[4])))))
        else:
            print(json.dumps(child_baseline(Path(rest[0]), Path(rest[1]), bool(int(rest[2])))))
        return 0
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for n in args.sizes:
        show(measure(n, args.workdir, args.reports_up_to, args.baseline_up_to))
    return 0


if __name__ == "__main__":
    sys.exit(main())
