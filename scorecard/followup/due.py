"""What follow-up is due on a day (CONTRACT §14): a pure function of the rules' schedule, the last
run's summary and the date; no clock, no files.

Each message is a step whose identity never depends on the day it is looked at, so that a reminder
run twice, or on a later day, finds the same content and the outbox sends it once:

- 提醒 (remind): the latest `remind_before` step whose day has come, before `submit_by`;
- 催办 (chase): the latest `chase_after` step whose day has come, after `submit_by`;
- 督办 (escalate) for the submission: once `escalate_after` days have passed, cc the head and the
  分管领导;
- 督办 for 红 gaps (完成时限 before the day, not 已销号): the step is the set of red gaps, dated the
  day the last of them turned red, or (once the oldest is `escalate_after` days overdue) the day
  escalation became due, when the head and the 分管领导 are copied. Days overdue are counted to
  that day, so the notice reads the same whenever it is sent.

A missed day therefore sends the step now due, never every step skipped; a department whose
workbook has since been accepted is neither reminded nor chased.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..base.text import parse_date
from ..rules import Rules

REMIND, CHASE, ESCALATE = "remind", "chase", "escalate"       # outbox kinds (mail.messages.KINDS)
FOLLOWUP_KINDS = (REMIND, CHASE, ESCALATE)
LABELS = {REMIND: "提醒", CHASE: "催办", ESCALATE: "督办"}
CLOSED = "已销号"


@dataclass(frozen=True)
class RedGap:
    key: str
    indicator: str
    indicator_name: str
    kind: str
    problem: str
    owner: str
    deadline: dt.date
    days_overdue: int           # to the step's day (Due.due_on)


@dataclass(frozen=True)
class Due:
    kind: str                   # remind | chase | escalate
    department: str
    step: str                   # "3" (days), "submission", or the red gaps' step ("gaps" / "gaps-escalated")
    due_on: dt.date             # the day this step fell due
    submit_by: dt.date | None = None
    days: int | None = None     # days before (提醒) or after (催办, 督办 of the submission) submit_by
    state: str = "missing"      # the department's submission: missing | returned | accepted
    escalated: bool = False     # the head and the 分管领导 are copied
    red_gaps: tuple[RedGap, ...] = field(default=())


def _latest(steps, day_of, today):
    """The step whose day came last, on or before today (None if none has come)."""
    come = [s for s in steps if day_of(s) <= today]
    return max(come, key=day_of) if come else None


def due(rules: Rules, summary: dict, today: dt.date) -> list[Due]:
    """Every follow-up message due on `today`, in rules order of the departments."""
    s = rules.schedule
    states = {d["name"]: d.get("submission") or ("accepted" if d.get("submitted") else "missing")
              for d in summary.get("departments", [])}
    gaps_of: dict[str, list[dict]] = {}
    for g in summary.get("gaps", []):
        gaps_of.setdefault(g.get("department", ""), []).append(g)
    out: list[Due] = []
    for dept in rules.departments:
        name = dept.name
        state = states.get(name)
        if state is None:           # not in this round (no indicator): nothing to ask for
            continue
        if s.submit_by is not None and state != "accepted":
            out += _submission_steps(s, name, state, today)
        red = _red_gaps(gaps_of.get(name, []), today)
        if red:
            out.append(_gaps_step(s.escalate_after, name, state, red, today))
    return out


def _submission_steps(s, name: str, state: str, today: dt.date) -> list[Due]:
    found = []
    if today < s.submit_by:
        step = _latest(s.remind_before, lambda d: s.submit_by - dt.timedelta(days=d), today)
        if step is not None:
            found.append(Due(REMIND, name, str(step), s.submit_by - dt.timedelta(days=step), s.submit_by, step, state))
        return found
    step = _latest(s.chase_after, lambda d: s.submit_by + dt.timedelta(days=d), today)
    if step is not None:
        found.append(Due(CHASE, name, str(step), s.submit_by + dt.timedelta(days=step), s.submit_by, step, state))
    if s.escalate_after is not None and (today - s.submit_by).days >= s.escalate_after:
        found.append(Due(ESCALATE, name, "submission", s.submit_by + dt.timedelta(days=s.escalate_after),
                         s.submit_by, s.escalate_after, state, escalated=True))
    return found


def _red_gaps(gaps: list[dict], today: dt.date) -> list[tuple[dict, dt.date]]:
    red = []
    for g in gaps:
        if (g.get("tracking") or {}).get("status") == CLOSED or g.get("kind") in ("未报送", "退回"):
            continue                # the submission itself is chased by its own steps
        deadline = parse_date(g.get("deadline") or "")
        if deadline is not None and deadline < today:
            red.append((g, deadline))
    return red


def _gaps_step(escalate_after: int | None, name: str, state: str, red, today: dt.date) -> Due:
    # The day the last of these gaps turned red (the day after its 完成时限) ...
    due_on = max(deadline for _, deadline in red) + dt.timedelta(days=1)
    escalated = False
    if escalate_after is not None:
        # ... or, once the oldest is escalate_after days overdue, the day that happened.
        escalation = min(deadline for _, deadline in red) + dt.timedelta(days=escalate_after)
        if escalation <= today:
            escalated, due_on = True, max(due_on, escalation)
    gaps = tuple(RedGap(g.get("key", ""), g.get("indicator", ""), g.get("indicator_name", ""), g.get("kind", ""),
                        g.get("problem") or g.get("note") or "", g.get("owner", ""), deadline,
                        (due_on - deadline).days)
                 for g, deadline in sorted(red, key=lambda p: (p[1], p[0].get("key", ""))))
    return Due(ESCALATE, name, "gaps-escalated" if escalated else "gaps", due_on, state=state,
               escalated=escalated, red_gaps=gaps)
