"""Size and time of the dashboard pages (看板.html, CONTRACT §15) at N departments.

    .venv/bin/python benchmarks/bench_dashboard.py                  # N = 1000
    .venv/bin/python benchmarks/bench_dashboard.py --sizes 100 1000 5000 --rounds 4

For each N: rules with N departments and 27 indicators in 6 items, every department on every
indicator (the densest heat map: N x 27 cells), a quarter of the scores short of max (low-score
gaps with problems, owners and deadlines, some of them overdue), one department in fifty sent
nothing; scored by the real scoring code (scoring.summarise) for --rounds rounds recorded in a
ledger. Then the newest round's page (dashboard.write_round) and the page across rounds
(dashboard.write_overview) are written; prints their sizes and times. Figures go in
docs/performance.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorecard.operations import dashboard  # noqa: E402
from scorecard.operations.ledger import Ledger  # noqa: E402
from scorecard.rules import parse_rules  # noqa: E402
from scorecard.scoring.score import choose_latest, summarise  # noqa: E402
from scorecard.intake.validation import Checked, Entry, VetoAnswer  # noqa: E402

ITEMS = [("一", 4), ("二", 4), ("三", 5), ("四", 6), ("五", 4), ("六", 4)]     # 27 indicators


def rules_for(n: int):
    lines = ["version: 1", "title: 规模测试", "organization: 某市文明办", "round: 第1轮", "as_of: 2026-12-31",
             "pass_score: 90", "bonus_cap: 5", "departments:"]
    lines += [f"  - {{name: 部门{k:05d}, head: 负责人{k:05d}}}" for k in range(n)]
    lines.append("items:")
    for item, count in ITEMS:
        lines += [f'  - code: "{item}"', f"    name: 测评项目{item}", "    indicators:"]
        for j in range(count):
            code = f"{ITEMS.index((item, count)) + 1}.{j + 1}"
            lines.append(f'      - {{code: "{code}", name: 指标{code}的名称, max: 4, criteria: 标准, departments: all, '
                         "combine: mean}")
    lines += ["vetoes:", "  - {code: V1, name: 严重违纪违法}"]
    return parse_rules("\n".join(lines) + "\n", "bench.yaml")


def placed_for(rules, n: int, seed: int):
    rng = random.Random(seed)
    files = []
    for k in range(n):
        if k % 50 == 7:
            continue                                    # sent nothing
        name = f"部门{k:05d}"
        entries = []
        for ind in rules.indicators_of(name):
            short = rng.random() < 0.25
            score = rng.choice([1, 2, 3, 3.5]) if short else ind.max
            entries.append(Entry(indicator=ind.code, score=score, status="推进中" if short else "已完成",
                                 evidence="台账", problem="台账不全，部分活动缺少记录" if short else "",
                                 measure="补齐台账并按月归档" if short else "", owner=f"责任人{rng.randrange(300):03d}" if short else "",
                                 deadline=dt.date(2026, rng.choice([10, 11, 12]), 15) if short else None,
                                 refs={"code": "A2", "score": "E2", "evidence": "G2"}))
        files.append(Checked(file=f"input/{name}.xlsx", path=None, sha256=f"{k:064x}", mtime=1.0, department=name,
                             fill_date=dt.date(2026, 12, 20), filler="李四", phone="1", findings=(),
                             entries=tuple(entries), vetoes=(VetoAnswer("V1", False, "", "C2"),), bonuses=()))
    return choose_latest(files)


def measure(n: int, rounds: int, keep: Path | None = None) -> None:
    rules = rules_for(n)
    with tempfile.TemporaryDirectory() as tmp:
        out = (keep / f"n{n}" if keep else Path(tmp)) / "output"
        ledger, previous, summary = Ledger(out), None, None
        start = time.perf_counter()
        for r in range(rounds):
            name = f"第{r + 1}轮"
            summary = summarise(rules, placed_for(rules, n, seed=r), round_name=name, as_of=dt.date(2026, 12, 31),
                                generated_at=dt.datetime(2026, 12, 31, 9), resubmit_by=dt.date(2027, 1, 7),
                                previous=previous).to_dict()
            if r < rounds - 1:
                ledger.record(summary, f"2026-12-{r + 1:02d}T09:00:00")
                previous = summary
        scored = time.perf_counter() - start
        round_dir = out / summary["round"]
        round_dir.mkdir(parents=True)
        start = time.perf_counter()
        page = dashboard.write_round(summary, round_dir, out)
        round_seconds = time.perf_counter() - start
        ledger.record(summary, f"2026-12-{rounds:02d}T09:00:00")
        start = time.perf_counter()
        overview = dashboard.write_overview(out, current=summary)
        overview_seconds = time.perf_counter() - start
        print(f"N={n:>6}  gaps={len(summary['gaps']):>6}  entries={len(summary['entries']):>7}  "
              f"(scoring {rounds} rounds: {scored:.1f} s)")
        print(f"  <round>/看板.html  {page.stat().st_size / 1e6:6.2f} MB  {round_seconds:5.2f} s")
        print(f"  看板.html (所有轮) {overview.stat().st_size / 1e6:6.2f} MB  {overview_seconds:5.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the pages under this folder (to open them) instead of a temporary one")
    args = parser.parse_args()
    for n in args.sizes:
        measure(n, args.rounds, args.keep)


if __name__ == "__main__":
    main()
