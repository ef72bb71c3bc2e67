"""Follow-up rules (CONTRACT §14): `schedule:` and the departments' head_email and leader."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import SMALL_RULES
from scorecard.rules import RulesError, parse_rules

SCHEDULE = """schedule:
  submit_by: 2026-12-20
  remind_before: [1, 3]
  chase_after: [7, 1, 3]
  escalate_after: 3
  warn_within: 5
"""


def with_schedule(block=SCHEDULE, text=SMALL_RULES):
    return text + block


def problems(text):
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return {(p.key, p.line): p.message for p in info.value.problems}


def line_of(text, needle):
    return [i for i, line in enumerate(text.splitlines(), start=1) if needle in line][-1]


def test_schedule_read_with_steps_in_the_order_they_fall():
    s = parse_rules(with_schedule()).schedule
    assert s.submit_by == dt.date(2026, 12, 20)
    assert s.remind_before == (3, 1) and s.chase_after == (1, 3, 7)
    assert s.escalate_after == 3 and s.warn_within == 5


def test_no_schedule_means_no_steps_and_the_default_warning_window():
    s = parse_rules(SMALL_RULES).schedule
    assert s.submit_by is None and s.remind_before == () and s.chase_after == () and s.escalate_after is None
    assert s.warn_within == 3


def test_schedule_problems_each_on_its_line_with_did_you_mean():
    text = with_schedule("schedule:\n  submit_by: 2026-12-40\n  remind_befor: [3]\n  chase_after: [0, x]\n"
                         "  escalate_after: -1\n  warn_within: 1.5\n")
    found = problems(text)
    assert "2026-12-40" in found[("schedule.submit_by", line_of(text, "submit_by"))]
    assert "remind_before" in found[("schedule.remind_befor", line_of(text, "remind_befor"))]
    assert ("schedule.chase_after[0]", line_of(text, "chase_after")) in found
    assert ("schedule.chase_after[1]", line_of(text, "chase_after")) in found
    assert ("schedule.escalate_after", line_of(text, "escalate_after")) in found
    assert "整数" in found[("schedule.warn_within", line_of(text, "warn_within"))]


def test_schedule_needs_its_deadline():
    found = problems(with_schedule("schedule:\n  remind_before: [3]\n"))
    assert any(key == "schedule.submit_by" for key, _ in found)


def test_head_email_and_leader_of_a_department():
    text = SMALL_RULES.replace("    email: [bgs@example.gov.cn]\n",
                               "    email: [bgs@example.gov.cn]\n    head_email: [wang@example.gov.cn]\n"
                               "    leader: 局长\n", 1)
    office = parse_rules(text).department("办公室")
    assert office.head_email == ("wang@example.gov.cn",) and office.leader == "局长"
    assert parse_rules(SMALL_RULES).department("办公室").leader == ""


def test_a_leader_not_among_leaders_and_a_bad_head_email_are_refused():
    text = SMALL_RULES.replace("    email: [bgs@example.gov.cn]\n",
                               "    email: [bgs@example.gov.cn]\n    head_email: [wang at example]\n"
                               "    leader: 局 长\n", 1)
    found = problems(text)
    assert "不是有效的电子邮箱地址" in found[("departments[0].head_email[0]", line_of(text, "head_email"))]
    assert "不在 leaders 中" in found[("departments[0].leader", line_of(text, "leader:"))]
    assert "局长" in found[("departments[0].leader", line_of(text, "leader:"))]


def test_the_bundled_rules_schedule_block_runs_once_uncommented_and_check_rules_shows_it(tmp_path, capsys):
    """The rules file's commented 督办 block, its leading # removed as its comment says, is valid."""
    from conftest import ROOT
    from scorecard import cli

    lines = (ROOT / "rules.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# schedule:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    text = "\n".join(lines[:start] + block + lines[start + len(block):]) + "\n"
    rules = parse_rules(text)
    assert rules.schedule.submit_by == dt.date(2026, 12, 20) and rules.schedule.escalate_after == 3
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["check-rules", "--rules", str(path)]) == 0
    out = capsys.readouterr()
    assert "督办：报送截止 2026-12-20；截止前 3、1 天提醒，逾期 1、3、7 天催办，逾期满 3 天督办" in out.out + out.err
