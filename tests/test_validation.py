"""Validation of a department's workbook (CONTRACT.md §3) where the scenario files do not reach:
the row of a computed indicator (§12), which is read and shown, checked, never required."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import filled, full_marks
from scorecard.checking import check_file
from test_datasets import rules_with


@pytest.fixture
def computed_rules():
    """SMALL_RULES with 2.10 (max 2, every department) computed from 学习强国积分."""
    return rules_with("share")


def check(rules, save, rows):
    return check_file(save(filled(rules, "办公室", rows=rows), "办公室.xlsx"), rules)


def entry_of(checked, code):
    return next((e for e in checked.entries if e.indicator == code), None)


def test_a_typed_row_of_a_computed_indicator_is_read_as_it_is(computed_rules, save):
    rows = full_marks(computed_rules, "办公室", **{"2.10": {
        "自评得分": 1.5, "完成情况": "推进中", "佐证材料": "平台截图", "存在问题": "部分人员积分偏低",
        "整改措施": "每周通报", "责任人": "李强", "完成时限": dt.date(2027, 3, 31)}})
    checked = check(computed_rules, save, rows)
    assert checked.ok and not [f for f in checked.findings if f.severity == "error"]
    e = entry_of(checked, "2.10")
    assert (e.score, e.status, e.evidence, e.problem, e.measure, e.owner, e.deadline) == (
        1.5, "推进中", "平台截图", "部分人员积分偏低", "每周通报", "李强", dt.date(2027, 3, 31))
    assert e.refs["score"].startswith("E") and e.refs["evidence"].startswith("G")


def test_nothing_is_required_on_a_computed_row(computed_rules, save):
    """Below max with every deficit column empty, no evidence, no status: no finding at all; a row
    left without a score is not indicator.missing (the score comes from data)."""
    rows = full_marks(computed_rules, "办公室", **{"2.10": {"自评得分": 0.5, "完成情况": None, "佐证材料": None}})
    checked = check(computed_rules, save, rows)
    entry = entry_of(checked, "2.10")
    row = entry.refs["score"][1:]
    assert checked.ok and [f.rule for f in checked.findings if f.cell[1:] == row] == []
    assert (entry.score, entry.status, entry.evidence) == (0.5, "", "")
    blank = full_marks(computed_rules, "办公室", **{"2.10": {"自评得分": None}})
    checked = check(computed_rules, save, blank)
    assert checked.ok and entry_of(checked, "2.10") is None
    assert "indicator.missing" not in [f.rule for f in checked.findings]


@pytest.mark.parametrize("typed, rule", [("很好", "score.not_number"), (-0.5, "score.out_of_range"),
                                         (2.5, "score.out_of_range")])
def test_a_typed_score_of_a_computed_row_is_still_checked(computed_rules, save, typed, rule):
    checked = check(computed_rules, save, full_marks(computed_rules, "办公室", **{"2.10": {"自评得分": typed}}))
    found = [f for f in checked.findings if f.severity == "error"]
    assert [f.rule for f in found] == [rule]
    assert found[0].sheet == "自评表" and found[0].cell.startswith("E")
    assert entry_of(checked, "2.10") is None


@pytest.mark.parametrize("typed", [0, 2])
def test_a_computed_row_on_its_range_ends_is_accepted(computed_rules, save, typed):
    checked = check(computed_rules, save, full_marks(computed_rules, "办公室", **{"2.10": {"自评得分": typed}}))
    assert checked.ok and entry_of(checked, "2.10").score == typed


def test_each_finding_carries_the_value_typed_in_its_cell(small_rules, save):
    """§3: a finding is data with a place and the value found there (cleaned of stray spaces)."""
    rows = full_marks(small_rules, "办公室", **{
        "1.1": {"自评得分": " 很好 "},
        "1.2": {"完成情况": "乱填"},
        "2.1": {"自评得分": 4, "存在问题": "问题", "整改措施": "措施", "责任人": "李强", "完成时限": "下周"}})
    wb = filled(small_rules, "办公室", rows=rows, vetoes={"V1": ("不确定", "")},
                bonuses=[{"特色项目": "品牌", "申报加分": "两分"}])
    checked = check_file(save(wb, "办公室.xlsx"), small_rules)
    values = {f.rule: f.value for f in checked.findings if f.severity == "error"}
    assert values == {"score.not_number": "很好", "status.invalid": "乱填", "date.invalid": "下周",
                      "veto.invalid": "不确定", "bonus.not_number": "两分"}
    assert {f.file for f in checked.findings} == {checked.file}
