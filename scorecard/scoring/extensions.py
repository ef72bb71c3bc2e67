"""The office's extensions of a gap's 完成时限 (CONTRACT §14 延期), applied to the gaps while they are
scored: the new date counts for 逾期 (and later for the lights), the first stays in
`deadline_original`."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Mapping

from ..base.text import chinese_date
from .result import OVERDUE, Gap, split_key


def with_extensions(gaps: list[Gap], extensions: Mapping[str, str], as_of: dt.date) -> list[Gap]:
    """Gaps with the office's extensions (§14). An extension typed on any gap of a row (部门 and
    指标) moves the row's 完成时限, so the 逾期 gap of that row is gone while the new date has not
    passed; a gap without an indicator (未报送, 退回) is extended on its own. The latest date of a
    row's extensions counts; one not after the gap's 完成时限 changes nothing."""
    later: dict[tuple[str, str | None], str] = {}
    for key, to in extensions.items():
        _, department, indicator = split_key(key)
        row = (department, indicator)
        later[row] = max(later.get(row, to), to)
    out = []
    for g in gaps:
        to = later.get((g.department, g.indicator or None))
        if to is None or (g.deadline and to <= g.deadline):
            out.append(g)
            continue
        if g.kind == OVERDUE and dt.date.fromisoformat(to) >= as_of:
            continue                                    # no longer overdue
        changes = {}
        if g.kind == OVERDUE:
            changes["note"] = (f"延期后的完成时限{chinese_date(to)}已过（原定{chinese_date(g.deadline)}），"
                               f"完成情况为“{g.status or '未填写'}”")
        out.append(replace(g, deadline=to, deadline_original=g.deadline or None, **changes))
    return out
