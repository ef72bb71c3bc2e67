"""What a gap says to do when its department wrote nothing to act on (issue 20, point 4).

A 低分 gap on a computed indicator (the department types nothing there), a 佐证缺失 gap (the
score was full, so no 整改措施 was required) and a 逾期 gap on a full score have no 整改措施,
责任人 or 完成时限 of their own. Each such gap gets a default, and records which fields are
defaults (`defaults`), so every document can say so ("（默认）") instead of passing them off as the
department's own:

- 整改措施: a measure for the kind of gap (DEFAULT_MEASURES);
- 责任人: the department's head (`head:` in rules.yaml), else 部门负责人;
- 完成时限: the last day of the month after the round's as_of date.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import replace

DEFAULT_MEASURES = {
    "低分": "对照测评标准查找差距，补齐工作和佐证材料，下一轮达到分值的要求",
    "低分/computed": "对照平台数据督促未达到目标的人员按要求补足，下一轮达到目标",
    "逾期": "加快推进，完成后更新完成情况并报创建办",
    "佐证缺失": "补充佐证材料（写明名称或存放位置），报创建办备查",
    "佐证存疑": "核实存疑材料的来源，更换为本部门本轮工作的原始材料后报创建办",
}
FALLBACK_OWNER = "部门负责人"
DEFAULTED_KINDS = tuple(k for k in DEFAULT_MEASURES if "/" not in k)


def default_deadline(as_of: dt.date) -> dt.date:
    """The last day of the month after as_of (2026-12-31 -> 2027-01-31)."""
    year, month = (as_of.year + 1, 1) if as_of.month == 12 else (as_of.year, as_of.month + 1)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def with_defaults(gaps: list, heads: dict[str, str], as_of: dt.date, computed: set[tuple[str, str]]) -> list:
    """gaps (result.Gap) with a default measure, owner and deadline where one is empty, and
    `defaults` naming the fields filled. computed: the (indicator, department) pairs scored from data."""
    deadline = default_deadline(as_of).isoformat()
    out = []
    for g in gaps:
        if g.kind not in DEFAULTED_KINDS:
            out.append(g)
            continue
        filled, changes = [], {}
        if not (g.measure or "").strip():
            key = "低分/computed" if g.kind == "低分" and (g.indicator, g.department) in computed else g.kind
            changes["measure"] = DEFAULT_MEASURES[key]
            filled.append("measure")
        if not (g.owner or "").strip():
            changes["owner"] = heads.get(g.department) or FALLBACK_OWNER
            filled.append("owner")
        if not (g.deadline or "").strip():
            changes["deadline"] = deadline
            filled.append("deadline")
        out.append(replace(g, **changes, defaults=tuple(filled)) if filled else g)
    return out
