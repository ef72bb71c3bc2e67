"""Follow-up (CONTRACT §14): the `schedule:` block and the departments' `head_email` and `leader`.

    schedule:
      submit_by: 2026-12-20      # the departments' deadline for this round's workbook
      remind_before: [3, 1]      # days before submit_by: 提醒
      chase_after: [1, 3, 7]     # days after submit_by: 催办
      escalate_after: 3          # from this many days overdue the head and the 分管领导 are copied
      warn_within: 3             # a gap due within this many days is 黄

Checked like every other key (line, did-you-mean); the model is Schedule, on Rules.schedule. `c` is
load.py's _Checker (not imported: check.py imports model.py, which imports Schedule from here).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SCHEDULE_KEYS = {"submit_by", "remind_before", "chase_after", "escalate_after", "warn_within"}
FOLLOWUP_DEPARTMENT_KEYS = {"head_email", "leader"}
DEFAULT_WARN_WITHIN = 3


@dataclass(frozen=True)
class Schedule:
    submit_by: dt.date | None = None
    remind_before: tuple[int, ...] = ()     # days before submit_by, largest first
    chase_after: tuple[int, ...] = ()       # days after submit_by, smallest first
    escalate_after: int | None = None       # days overdue from which the head and 分管领导 are copied
    warn_within: int = DEFAULT_WARN_WITHIN  # a gap due within this many days is 黄


def schedule_of(value, c) -> Schedule:
    if value is None:
        return Schedule()
    top = c.mapping(value, ("schedule",), SCHEDULE_KEYS, ("submit_by",))
    submit_by = _date(top.get("submit_by"), ("schedule", "submit_by"), c)
    remind = _days(top.get("remind_before"), ("schedule", "remind_before"), c)
    chase = _days(top.get("chase_after"), ("schedule", "chase_after"), c)
    escalate = _day(top.get("escalate_after"), ("schedule", "escalate_after"), c, minimum=1)
    warn = _day(top.get("warn_within"), ("schedule", "warn_within"), c, minimum=0)
    return Schedule(submit_by=submit_by, remind_before=tuple(sorted(set(remind), reverse=True)),
                    chase_after=tuple(sorted(set(chase))), escalate_after=escalate,
                    warn_within=DEFAULT_WARN_WITHIN if warn is None else warn)


def _date(value, keypath, c) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    from ..base.text import parse_date

    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        c.problem(keypath, f"“{value}”不是有效日期，应写作 2026-12-20")
    return parsed


def _day(value, keypath, c, *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        c.problem(keypath, f"应为整数天数（现为“{value}”）")
        return None
    if value < minimum:
        c.problem(keypath, f"不能小于 {minimum}（现为 {value}）")
        return None
    return value


def _days(value, keypath, c) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        c.problem(keypath, "应为天数列表，例如 [3, 1]")
        return ()
    days = [_day(v, keypath + (i,), c, minimum=1) for i, v in enumerate(value)]
    return tuple(d for d in days if d is not None)


def department_followup(d: dict, kp: tuple, c, emails) -> dict:
    """head_email and leader of a department (or unit) entry, as Department keyword arguments;
    `emails` checks addresses as departments' are (rules/load.py)."""
    head_email = emails(d.get("head_email"), kp, c, key="head_email")
    leader = c.text(d.get("leader"), kp + ("leader",), required=False)
    return {"head_email": head_email, "leader": leader}


def check_leaders(departments, leaders, c, section: str = "departments") -> None:
    """Each department's `leader` must be one of `leaders:` (its 分管领导 gets the 督办 copy)."""
    names = [ld.name for ld in leaders]
    from ..base.text import did_you_mean

    for i, d in enumerate(departments):
        if d.leader and d.leader not in names:
            shown = "、".join(names) if names else "（leaders 中没有列出任何领导）"
            c.problem((section, i, "leader"), f"“{d.leader}”不在 leaders 中（现有：{shown}）"
                                               f"{did_you_mean(d.leader, names)}")
