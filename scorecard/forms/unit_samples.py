"""The units-mode example (CONTRACT §17): a filled workbook per unit of examples/units/rules.yaml.

    python -m scorecard.forms.unit_samples [--rules examples/units/rules.yaml] OUT_DIR

Fixed, not random: one unit is vetoed despite a high score, one claims bonus over the cap, one
sends only a rejected file, one sends nothing, two tie; the rest score between.
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..base.fsutil import atomic_save_workbook
from ..rules import Rules, load_rules
from .samples import fill_workbook
from .template import build_template

# unit position in rules -> (points lost per indicator code, 申报加分 rows, veto answered 是)
PLAN = {
    0: ({}, [2, 2], None),                         # full marks, claims 4 over a cap of 3
    1: ({"2.2": 5}, [], None),
    2: ({}, [], ("V1", "班子成员被立案审查")),       # 100 but vetoed
    3: "rejected",
    4: ({"1.1": 3, "3.2": 2}, [1], None),          # tied with the next
    5: ({"2.1": 5}, [1], None),
    6: ({"1.2": 5, "3.1": 8, "3.2": 5}, [2], None),   # short of the pass line
    7: "missing",
    8: ({"1.1": 2}, [], None),
    9: ({"1.2": 6, "2.2": 6, "3.1": 10}, [], None),
    10: ({"3.1": 6}, [2], None),
    11: ({"2.1": 3, "3.2": 3}, [], None),
}


def write_unit_samples(rules: Rules, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for n, unit in enumerate(rules.departments):
        plan = PLAN.get(n % len(PLAN))
        if plan == "missing":
            continue
        lost, bonuses, veto = ({"1.1": -1}, [], None) if plan == "rejected" else plan
        rows = {}
        for ind in rules.indicators:
            minus = lost.get(ind.code, 0)
            row = {"自评得分": ind.max - minus, "完成情况": "已完成", "佐证材料": f"{ind.name}台账及照片"}
            if minus > 0:
                row.update({"完成情况": "推进中", "存在问题": f"{ind.name}方面材料不全", "整改措施": "补齐材料，按月检查",
                            "责任人": unit.head or "办公室主任", "完成时限": dt.date(2027, 3, 31)})
            rows[ind.code] = row                    # minus < 0: above full marks, the file is rejected
        wb = build_template(rules, unit.name, today=dt.date(2026, 12, 1))
        fill_workbook(wb, info={"部门名称": unit.name, "填报人": "张敏", "联系电话": "0571-88880000",
                                "填报日期": dt.date(2026, 12, 20)}, rows=rows,
                      vetoes={v.code: ((("是", veto[1])) if veto and veto[0] == v.code else "否") for v in rules.vetoes},
                      bonuses=[{"特色项目": f"特色项目{k}", "申报加分": p, "佐证材料": "获奖证书"}
                               for k, p in enumerate(bonuses, 1)] or None)
        written.append(atomic_save_workbook(wb, out_dir / f"{unit.name}.xlsx"))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=Path("examples/units/rules.yaml"))
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    write_unit_samples(load_rules(args.rules), args.out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
