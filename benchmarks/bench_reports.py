"""Report rendering timings for the sample summary (tests/sample_summary.py: 27 indicators, 11
departments, 34 gaps).

    .venv/bin/python benchmarks/bench_reports.py [--repeat 5]

Prints medians over the repetitions: one department report rendered cold (fresh Jinja and
patch caches, as the first department of a run) and warm (as every later one), the charts, and
the whole output set written by write_reports.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sample_summary import sample_summary  # noqa: E402
from scorecard import charts, reports  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    summary = sample_summary()
    names = [d["name"] for d in summary["departments"]]
    data = reports._read_template(reports.DEPARTMENT_TEMPLATE, None)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def department(env, patched, name=names[0]):
            reports._render(reports.DEPARTMENT_TEMPLATE, data,
                            lambda tpl: reports.build_context(reports.DEPARTMENT_TEMPLATE, summary, tpl, name),
                            out / "one.docx", env, patched)

        cold = median_ms(lambda: department(reports.make_environment(), {}), args.repeat)
        env, patched = reports.make_environment(), {}
        department(env, patched)
        warm = median_ms(lambda: department(env, patched), args.repeat)
        all_departments = median_ms(lambda: [department(env, patched, n) for n in names], args.repeat) / len(names)
        chart = median_ms(lambda: charts.department_chart(summary["departments"], ref=0.9), args.repeat)
        whole = median_ms(lambda: reports.write_reports(summary, out / "run"), args.repeat)

    print(f"sample: {len(summary['indicators'])} indicators, {len(names)} departments, "
          f"{len(summary['gaps'])} gaps; median of {args.repeat}")
    print(f"one department report, cold (first of a run): {cold:8.1f} ms")
    print(f"one department report, warm (later ones):      {warm:8.1f} ms")
    print(f"per department, all {len(names)} rendered in turn:     {all_departments:8.1f} ms")
    print(f"one chart (PNG):                               {chart:8.1f} ms")
    print(f"whole output set (write_reports, {len(names) + 3} docx+xlsx): {whole:8.1f} ms")


if __name__ == "__main__":
    main()
