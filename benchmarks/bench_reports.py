"""Report rendering timings, for the sample summary (tests/sample_summary.py: 27 indicators, 11
departments, 34 gaps) or a run's summary.json.

    .venv/bin/python benchmarks/bench_reports.py [--repeat 5]
    .venv/bin/python benchmarks/bench_reports.py --summary output/<round>/summary.json --workers 2

Prints medians over the repetitions (wall and CPU of this process): one department report
through docxtpl (as every report rendered before docxrender) and through docxrender, both warm
(template patched and compiled, as every report after a run's first), per department over all
of them, the charts, and the whole output set written by write_reports (with the CPU of its
worker processes).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sample_summary import sample_summary  # noqa: E402
from scorecard.reports import charts
from scorecard.reports import write as reports  # noqa: E402
from scorecard.reports.context import Shared  # noqa: E402


def median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of fn()."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--summary", type=Path, help="a run's summary.json (default: the sample summary)")
    parser.add_argument("--workers", type=int, default=None, help="write_reports' worker processes")
    parser.add_argument("--per-report", type=int, default=200, help="departments timed one by one")
    args = parser.parse_args()
    summary = json.loads(args.summary.read_text(encoding="utf-8")) if args.summary else sample_summary()
    shared = Shared(summary)
    names = [d["name"] for d in summary["departments"]][:args.per_report]
    data = reports._read_template(reports.DEPARTMENT_TEMPLATE, None)
    contexts = [reports.build_context(reports.DEPARTMENT_TEMPLATE, summary, None, n, shared=shared) for n in names]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        env, patched = reports.make_environment(), {}
        renderer = reports._Renderer(reports.DEPARTMENT_TEMPLATE, data, env, check=False)

        def docxtpl(context):
            reports._render(reports.DEPARTMENT_TEMPLATE, data, lambda tpl: context, out / "one.docx", env, patched)

        def fast(context):
            renderer.render(context, out / "one.docx")

        docxtpl(contexts[0])
        fast(contexts[0])
        rows = [("one department report, docxtpl", median_ms(lambda: docxtpl(contexts[0]), args.repeat)),
                ("one department report, docxrender", median_ms(lambda: fast(contexts[0]), args.repeat))]
        for label, render in (("docxtpl", docxtpl), ("docxrender", fast)):
            wall, cpu = median_ms(lambda: [render(c) for c in contexts], max(1, args.repeat // 2))
            rows.append((f"per department, {len(contexts)} in turn, {label}", (wall / len(contexts), cpu / len(contexts))))
        wall, cpu = median_ms(lambda: [reports.build_context(reports.DEPARTMENT_TEMPLATE, summary, None, n,
                                                             shared=shared) for n in names], args.repeat)
        rows.append(("per department, its context only", (wall / len(names), cpu / len(names))))
        shown, _ = charts.pick_departments(shared.ranked)      # what the summary report draws
        rows.append((f"department chart (PNG, {len(shown)} bars)",
                     median_ms(lambda: charts.department_chart(shown, ref=0.9), args.repeat)))
        before = os.times()
        whole = median_ms(lambda: reports.write_reports(summary, out / "run", workers=args.workers), args.repeat)
        after = os.times()
        children = (after.children_user + after.children_system - before.children_user - before.children_system)
        rows.append((f"whole output set (write_reports, {len(summary['departments']) + 3} documents)", whole))

    print(f"summary: {len(summary['indicators'])} indicators, {len(summary['departments'])} departments, "
          f"{len(summary['gaps'])} gaps; median of {args.repeat}; ms wall / ms CPU of this process")
    for label, (wall, cpu) in rows:
        print(f"{label:60s} {wall:9.1f} {cpu:9.1f}")
    print(f"{'  CPU of its worker processes, per write_reports':60s} {'':9s} {1000 * children / args.repeat:9.1f}")


if __name__ == "__main__":
    main()
