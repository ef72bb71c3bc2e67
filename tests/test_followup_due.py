"""What follow-up is due on a day (CONTRACT §14), on and either side of every line of the schedule:
remind_before, chase_after and escalate_after, for a late submission and for a red gap. Written
against the contract's words: 提醒 `remind_before` days before submit_by to departments with no
accepted submission, 催办 `chase_after` days after it, from `escalate_after` days overdue the head
and the 分管领导 copied; a missed day sends the step that is due, not every step skipped."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import SMALL_RULES
from scorecard.followup.due import due
from scorecard.rules import parse_rules

RULES = parse_rules(SMALL_RULES + """\
schedule:
  submit_by: 2026-12-20
  remind_before: [3, 1]
  chase_after: [1, 3, 7]
  escalate_after: 3
""")
OFFICE, PARTY, REGISTRY = "办公室", "机关党委", "登记注册科"


def day(d):
    return dt.date(2026, 12, d)


def summary(registry="missing", gaps=()):
    """The last run's summary as §14 reads it: 办公室 and 机关党委 accepted, 登记注册科 as given."""
    return {"departments": [{"name": OFFICE, "submission": "accepted"}, {"name": PARTY, "submission": "accepted"},
                            {"name": REGISTRY, "submission": registry}],
            "gaps": list(gaps)}


def steps(today, **kwargs):
    """(kind, department, step, due_on day, escalated) of everything due on the 2026-12 day `today`."""
    return [(x.kind, x.department, x.step, x.due_on.day, x.escalated) for x in due(RULES, summary(**kwargs), day(today))]


@pytest.mark.parametrize("today, expected", [
    (16, []),                                                   # the day before the 3-day step
    (17, [("remind", REGISTRY, "3", 17, False)]),               # exactly 3 days before submit_by
    (18, [("remind", REGISTRY, "3", 17, False)]),               # the day after: the same step (sent once)
    (19, [("remind", REGISTRY, "1", 19, False)]),               # exactly 1 day before
    (20, []),                                                   # on submit_by: neither 提醒 nor 催办
])
def test_remind_before_on_and_either_side_of_each_step(today, expected):
    assert steps(today) == expected


@pytest.mark.parametrize("today, expected", [
    (20, []),                                                   # on submit_by: not yet late
    (21, [("chase", REGISTRY, "1", 21, False)]),                # 1 day after
    (22, [("chase", REGISTRY, "1", 21, False)]),                # the day before the 3-day step
    (26, [("chase", REGISTRY, "3", 23, False), ("escalate", REGISTRY, "submission", 23, True)]),
    (27, [("chase", REGISTRY, "7", 27, False), ("escalate", REGISTRY, "submission", 23, True)]),
])
def test_chase_after_on_and_either_side_of_each_step(today, expected):
    assert steps(today) == expected


@pytest.mark.parametrize("today, escalated", [(22, False), (23, True), (24, True)])
def test_a_late_submission_is_escalated_from_exactly_escalate_after_days(today, escalated):
    """Overdue by 2, 3 and 4 days with escalate_after 3: the head and the 分管领导 are copied from the
    third day on, and the step is the same on the fourth (so it is sent once)."""
    found = [x for x in due(RULES, summary(), day(today)) if x.kind == "escalate"]
    assert [(x.step, x.due_on, x.escalated) for x in found] == ([("submission", day(23), True)] if escalated else [])


def test_a_missed_day_sends_only_the_step_now_due():
    """Nothing looked at between the 16th and the 24th: on the 24th only the 3-day 催办 (and the
    escalation due since the 23rd), not the 提醒 of the 17th and 19th nor the 催办 of the 21st."""
    assert steps(24) == [("chase", REGISTRY, "3", 23, False), ("escalate", REGISTRY, "submission", 23, True)]


def test_a_department_that_has_submitted_is_neither_reminded_nor_chased():
    for today in (17, 19, 21, 23, 27):
        assert steps(today, registry="accepted") == []


def test_a_returned_department_is_still_chased():
    """"No accepted submission" includes a workbook sent back (退回)."""
    assert steps(21, registry="returned") == [("chase", REGISTRY, "1", 21, False)]


GAP = {"key": "低分|办公室|1.1", "department": OFFICE, "indicator": "1.1", "kind": "低分", "deadline": "2026-12-22",
       "owner": "王主任", "problem": "领导小组成员未按期调整"}


@pytest.mark.parametrize("today, expected", [
    (22, []),                                                           # on its 完成时限: not red
    (23, [("escalate", OFFICE, "gaps", 23, False)]),                    # red, 1 day overdue: to the department
    (24, [("escalate", OFFICE, "gaps", 23, False)]),                    # 2 days: the same step
    (25, [("escalate", OFFICE, "gaps-escalated", 25, True)]),           # exactly 3 days: copied
    (26, [("escalate", OFFICE, "gaps-escalated", 25, True)]),           # 4 days: the same step again
])
def test_a_red_gap_is_escalated_from_exactly_escalate_after_days_overdue(today, expected):
    assert steps(today, registry="accepted", gaps=[GAP]) == expected


def test_the_days_overdue_are_counted_to_the_steps_day_not_the_day_it_is_sent():
    (x,) = due(RULES, summary(registry="accepted", gaps=[GAP]), day(30))
    assert x.due_on == day(25) and [g.days_overdue for g in x.red_gaps] == [3]


def test_a_signed_off_gap_is_not_chased():
    closed = dict(GAP, tracking={"status": "已销号"})
    assert steps(30, registry="accepted", gaps=[closed]) == []


# ---------------------------------------------------------------- every field of what is due

from scorecard.followup.due import Due, RedGap  # noqa: E402


def test_each_step_carries_the_deadline_its_days_and_the_departments_standing():
    """What the messages are written from: the deadline, the days before or after it, whether the
    workbook is missing or was sent back (the 提醒/催办 bodies differ), and escalation."""
    assert due(RULES, summary(), day(19)) == [Due("remind", REGISTRY, "1", day(19), day(20), 1, "missing")]
    assert due(RULES, summary(registry="returned"), day(24)) == [
        Due("chase", REGISTRY, "3", day(23), day(20), 3, "returned"),
        Due("escalate", REGISTRY, "submission", day(23), day(20), 3, "returned", escalated=True)]


def test_red_gaps_are_listed_whole_oldest_first_with_days_overdue_to_the_steps_day():
    older = {"key": "低分|办公室|1.2", "department": OFFICE, "indicator": "1.2", "indicator_name": "责任分解",
             "kind": "低分", "deadline": "2026-12-21", "owner": "李明", "problem": "", "note": "自评4分，满分6分"}
    returned = {"key": "退回|办公室|-", "department": OFFICE, "kind": "退回", "deadline": "2026-12-01"}
    later = dict(GAP, indicator_name="创建领导机构健全")
    (x,) = due(RULES, summary(registry="accepted", gaps=[returned, later, older]), day(23))
    # escalation is due on the 24th (the oldest, 12-21, + 3): not yet; the step is the day the last turned red
    assert x == Due("escalate", OFFICE, "gaps", day(23), state="accepted", red_gaps=(
        RedGap("低分|办公室|1.2", "1.2", "责任分解", "低分", "自评4分，满分6分", "李明", day(21), 2),
        RedGap("低分|办公室|1.1", "1.1", "创建领导机构健全", "低分", "领导小组成员未按期调整", "王主任", day(22), 1)))
    (y,) = due(RULES, summary(registry="accepted", gaps=[later, older]), day(24))
    assert (y.step, y.due_on, y.escalated) == ("gaps-escalated", day(24), True)
    assert [g.days_overdue for g in y.red_gaps] == [3, 2]


def test_a_returned_or_missing_workbooks_own_gap_is_chased_by_its_steps_not_as_a_red_gap():
    missing = {"key": "未报送|登记注册科|-", "department": REGISTRY, "kind": "未报送", "deadline": "2026-12-01"}
    assert [x.kind for x in due(RULES, summary(gaps=[missing]), day(21))] == ["chase"]


def test_a_department_not_in_the_last_run_is_skipped_and_the_others_still_followed():
    """A department of rules.yaml the last run did not have (no indicator this round) gets nothing;
    the departments after it are still reminded."""
    s = summary()
    s["departments"] = s["departments"][1:]             # 办公室 (first in rules.yaml) not in the run
    assert [x.department for x in due(RULES, s, day(17))] == [REGISTRY]


def test_a_summary_from_before_submission_states_reads_submitted():
    s = {"departments": [{"name": OFFICE, "submitted": True}, {"name": PARTY, "submitted": True},
                         {"name": REGISTRY, "submitted": False}], "gaps": []}
    assert [(x.department, x.state) for x in due(RULES, s, day(17))] == [(REGISTRY, "missing")]


def test_red_gaps_due_the_same_day_are_in_key_order_and_a_gap_without_words_has_none():
    a = dict(GAP, key="低分|办公室|1.2", indicator="1.2", problem="", note="")
    b = dict(GAP, key="低分|办公室|1.1")
    (x,) = due(RULES, summary(registry="accepted", gaps=[a, b]), day(23))
    assert [(g.key, g.problem) for g in x.red_gaps] == [("低分|办公室|1.1", "领导小组成员未按期调整"), ("低分|办公室|1.2", "")]
