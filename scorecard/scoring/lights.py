"""Traffic lights on open gaps (CONTRACT §14): 红 overdue, 黄 due within `warn_within` days, 绿 later
or without a 完成时限; and summary.json's `followup` block. Computed once here, on the typed result
after the office's pass (§11: a gap signed off, 已销号, is no longer open and has no light)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..base.text import parse_date
from ..rules.schedule import Schedule
from .result import TRACKING_STATES, FollowupResult, Summary

RED, YELLOW, GREEN = "红", "黄", "绿"
LIGHTS = (RED, YELLOW, GREEN)
CLOSED = TRACKING_STATES[-1]            # 已销号


def light(deadline: str, as_of: dt.date, warn_within: int) -> str:
    """红: the 完成时限 is before as_of; 黄: within warn_within days from as_of (as_of itself
    included); 绿: later, or no readable 完成时限."""
    due = parse_date(deadline) if deadline else None
    if due is None:
        return GREEN
    if due < as_of:
        return RED
    return YELLOW if (due - as_of).days <= warn_within else GREEN


def with_lights(result: Summary, schedule: Schedule, as_of: dt.date) -> Summary:
    gaps = tuple(g if g.tracking.status == CLOSED else replace(g, light=light(g.deadline, as_of, schedule.warn_within))
                 for g in result.gaps)
    counts = {name: sum(g.light == name for g in gaps) for name in LIGHTS}
    followup = FollowupResult(schedule.submit_by.isoformat() if schedule.submit_by else None,
                              schedule.warn_within, counts)
    return replace(result, gaps=gaps, followup=followup)
