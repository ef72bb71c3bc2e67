"""Reader and validation timings per workbook. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_validate.py [--repeat 50]

For a 27-indicator workbook (every indicator of rules.yaml assigned to one department) and for
each bundled example in examples/input, the median of:

  safety gate         open_safely alone (size, zip structure, inflation, XML entity checks)
  openpyxl load       openpyxl.load_workbook(data_only=True): the values reader before python-calamine
  calamine values     the values of the sheets we read, with python-calamine
  read_workbook       gate + package facts + values + finding sheets, labels and columns
  read + validate     check_file: the above plus validation.validate
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from scorecard.intake import workbook  # noqa: E402
from scorecard.intake.checking import check_file  # noqa: E402
from scorecard.forms.template import build_template  # noqa: E402
from scorecard.xlsx.package import open_package  # noqa: E402
from scorecard.rules import load_rules  # noqa: E402
from scorecard.intake.safety import open_safely  # noqa: E402
from scorecard.forms.samples import fill_workbook  # noqa: E402


def median_ms(fn, repeat: int) -> tuple[float, float]:
    """(median, fastest) in ms: on a shared machine the fastest run is the steadier figure."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def openpyxl_load(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def calamine_values(data: bytes):
    pkg = open_package(data)
    names = [name for name, _ in workbook._wanted([(s.name, s.state) for s in pkg.sheets]).values()]
    return workbook._calamine_sheets(pkg.data, names)


def measure(path: Path, rules, repeat: int) -> dict[str, float]:
    data = path.read_bytes()
    return {
        "safety gate": median_ms(lambda: open_safely(path, rules.limits), repeat),
        "openpyxl load": median_ms(lambda: openpyxl_load(data), repeat),
        "calamine values": median_ms(lambda: calamine_values(data), repeat),
        "read_workbook": median_ms(lambda: workbook.read_workbook(path, rules.limits), repeat),
        "read + validate": median_ms(lambda: check_file(path, rules), repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rules = load_rules(ROOT / "rules.yaml")
    dept = rules.departments[0].name
    # Every indicator assigned to one department, so its workbook has all 27 rows.
    items = tuple(replace(it, indicators=tuple(replace(i, departments=(dept,)) for i in it.indicators))
                  for it in rules.items)
    big_rules = replace(rules, items=items)
    wb = build_template(big_rules, dept)
    rows = {i.code: {"自评得分": i.max - 1, "完成情况": "推进中", "佐证材料": "台账", "存在问题": "问题",
                     "整改措施": "措施", "责任人": "张敏", "完成时限": dt.date(2027, 3, 31)} for i in big_rules.indicators}
    fill_workbook(wb, info={"填报人": "张敏", "联系电话": "1", "填报日期": dt.date(2026, 12, 20)}, rows=rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        wb.save(path)
        sub = check_file(path, big_rules)
        assert sub.ok and len(sub.entries) == 27, sub.findings
        figures = measure(path, big_rules, args.repeat)
        print(f"27-indicator workbook ({path.stat().st_size / 1024:.0f} KB), median of {args.repeat} runs:")
        for label, (median, fastest) in figures.items():
            print(f"  {label:16s} median {median:7.2f} ms   min {fastest:7.2f} ms")
    examples = sorted(p for p in (ROOT / "examples" / "input").rglob("*.xlsx") if not p.name.startswith("~$"))
    totals: dict[str, list[float]] = {}
    for path in examples:
        for label, (median, fastest) in measure(path, rules, max(args.repeat // 5, 3)).items():
            total = totals.setdefault(label, [0.0, 0.0])
            total[0] += median
            total[1] += fastest
    print(f"bundled examples ({len(examples)} workbooks), mean over workbooks:")
    for label, (median, fastest) in totals.items():
        print(f"  {label:16s} median {median / len(examples):7.2f} ms   min {fastest / len(examples):7.2f} ms")


if __name__ == "__main__":
    main()
