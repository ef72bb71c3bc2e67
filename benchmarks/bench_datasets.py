"""Time to recognise, read and score a large data workbook (a platform export, CONTRACT.md §12).
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_datasets.py [--rows 30000 100000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from scorecard.intake import datasets  # noqa: E402
from scorecard.rules import load_rules  # noqa: E402
from scorecard.intake.safety import open_safely  # noqa: E402


def export(path: Path, rules, rows: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("成员积分明细")
    ws.append(["“学习强国”成员积分明细"])
    ws.append(["序号", "姓名", "所属部门", "积分", "本月新增"])
    names = [d.aliases[0] if d.aliases and i % 2 else d.name for i, d in enumerate(rules.departments)]
    for i in range(rows):
        ws.append([i + 1, f"人员{i}", names[i % len(names)], 6000 + (i * 37) % 5000, i % 400])
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[30_000, 100_000])
    args = parser.parse_args()
    rules = load_rules(ROOT / "rules.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"export_{rows}.xlsx"
            export(path, rules, rows)
            start = time.perf_counter()
            open_safely(path, datasets.data_limits(rules))
            gate = time.perf_counter() - start
            start = time.perf_counter()
            f = datasets.recognise(path, rules)
            read = time.perf_counter() - start
            start = time.perf_counter()
            c = datasets.compute(rules, [f])
            score = time.perf_counter() - start
            print(f"{rows:>7,} rows ({path.stat().st_size / 1e6:.1f} MB): safety gate {gate:.2f} s, "
                  f"recognise + read (gate included) {read:.2f} s, score {score * 1000:.0f} ms; "
                  f"{f.row_count():,} rows counted, {len(c.scores)} department scores")


if __name__ == "__main__":
    main()
