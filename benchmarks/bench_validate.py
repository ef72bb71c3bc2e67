"""Median time to read and validate one 27-row workbook (target: under 20 ms). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_validate.py [--repeat 50]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorecard.checking import check_file  # noqa: E402
from scorecard.forms import build_template  # noqa: E402
from scorecard.rules import load_rules  # noqa: E402
from scorecard.safety import open_safely  # noqa: E402
from scorecard.samples import fill_workbook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rules = load_rules(ROOT / "rules.yaml")
    dept = rules.departments[0].name
    # Every indicator assigned to one department, so its workbook has all 27 rows.
    items = tuple(replace(it, indicators=tuple(replace(i, departments=(dept,)) for i in it.indicators))
                  for it in rules.items)
    rules = replace(rules, items=items)
    wb = build_template(rules, dept)
    rows = {i.code: {"自评得分": i.max - 1, "完成情况": "推进中", "佐证材料": "台账", "存在问题": "问题",
                     "整改措施": "措施", "责任人": "张敏", "完成时限": dt.date(2027, 3, 31)} for i in rules.indicators}
    fill_workbook(wb, info={"填报人": "张敏", "联系电话": "1", "填报日期": dt.date(2026, 12, 20)}, rows=rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        wb.save(path)
        sub = check_file(path, rules)
        assert sub.ok and len(sub.entries) == 27, sub.findings
        for label, fn in (("safety gate only", lambda: open_safely(path, rules.limits)),
                          ("read + validate", lambda: check_file(path, rules))):
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn()
                times.append((time.perf_counter() - start) * 1000)
            print(f"{label:18s} median {statistics.median(times):6.1f} ms   min {min(times):6.1f} ms   "
                  f"({args.repeat} runs, {path.stat().st_size / 1024:.0f} KB, 27 rows)")


if __name__ == "__main__":
    main()
