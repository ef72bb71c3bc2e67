"""Every threshold of CONTRACT.md the code has, tested exactly on it and one step each side
(docs/testing.md lists them). Expected values come from the contract's words, not from the code.

The small rules (conftest.SMALL_RULES): pass_score 15, bonus_cap 3, gap 0.9 / 0.6; 1.1 max 4 (min of
办公室, 机关党委), 1.2 max 6 (mean of 办公室, 机关党委), 2.1 max 5 (lead 登记注册科, then 办公室),
2.2 max 3 (机关党委), 2.10 max 2 (all). Full marks everywhere make 20.
"""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import SMALL_RULES, filled
from scorecard.checking import check_file
from scorecard.rules import parse_rules
from test_scoring import by, rows, run

OFFICE, PARTY, REGISTRY = "办公室", "机关党委", "登记注册科"


def everyone(r, **scores_by_dept):
    """A full-marks workbook for each department, with the given scores (and their deficit columns)."""
    return [(f"{d}.xlsx", filled(r, d, rows=rows(r, d, scores_by_dept.get(d, {})))) for d in (OFFICE, PARTY, REGISTRY)]


def findings_of(rules, save, department, row_values, **kwargs):
    wb = filled(rules, department, rows=row_values, **kwargs)
    return check_file(save(wb, f"{department}.xlsx"), rules).findings


def rule_ids(findings):
    return [f.rule for f in findings]


# ---------------------------------------------------------------- §4 scoring

@pytest.mark.parametrize("standing", ["missing", "returned"])
def test_mean_counts_a_department_without_an_accepted_submission_as_zero(small_rules, save, standing):
    """§4: a department with no accepted submission scores 0 on its indicators, and the unit's score
    on a `mean` indicator is the mean over all its departments: 1.2 = (6 + 0) / 2 = 3."""
    r = small_rules
    books = [("办公室.xlsx", filled(r, OFFICE))]
    if standing == "returned":
        books.append(("机关党委.xlsx", filled(r, PARTY, rows=rows(r, PARTY, {"1.2": "很好"}))))
    s, _ = run(r, save, books)
    assert by(s["departments"], "name")[PARTY]["submission"] == standing
    assert by(s["indicators"])["1.2"]["score"] == 3


@pytest.mark.parametrize("pass_score, passed", [(19.6, True), (19.7, True), (19.8, False)])
def test_pass_line(save, pass_score, passed):
    """§4: passed when score + bonus ≥ pass_score. 办公室 gives itself 5.4 on 1.2 (mean with 6: 5.7),
    full marks elsewhere: 4 + 5.7 + 5 + 3 + 2 = 19.7."""
    r = parse_rules(SMALL_RULES.replace("pass_score: 15", f"pass_score: {pass_score}"), "small.yaml")
    s, _ = run(r, save, everyone(r, **{OFFICE: {"1.2": 5.4}}))
    assert s["unit"]["total"] == 19.7 and s["unit"]["veto"] is False
    assert s["unit"]["passed"] is passed


@pytest.mark.parametrize("pass_score, passed", [(19.5, True), (20, True), (20.5, False)])
def test_pass_line_counts_the_capped_bonus(save, pass_score, passed):
    """17 (1.2 = mean(0, 6) = 3) + bonus min(3, 2 + 2) = 20: the uncapped 21 would pass at 20.5."""
    r = parse_rules(SMALL_RULES.replace("pass_score: 15", f"pass_score: {pass_score}"), "small.yaml")
    books = everyone(r, **{OFFICE: {"1.2": 0}})
    books[0] = ("办公室.xlsx", filled(r, OFFICE, rows=rows(r, OFFICE, {"1.2": 0}),
                                  bonuses=[{"特色项目": "品牌", "申报加分": 2}]))
    books[1] = ("机关党委.xlsx", filled(r, PARTY, bonuses=[{"特色项目": "示范点", "申报加分": 2}]))
    s, _ = run(r, save, books)
    assert (s["unit"]["score"], s["unit"]["bonus"], s["unit"]["total"]) == (17, 3, 20)
    assert s["unit"]["passed"] is passed


@pytest.mark.parametrize("claims, bonus", [((1.5, 1.4), 2.9), ((1.5, 1.5), 3), ((1.5, 1.6), 3)])
def test_bonus_cap_for_the_whole_unit(small_rules, save, claims, bonus):
    """§4: bonus = min(bonus_cap, sum of 申报加分 over accepted submissions); the cap is 3."""
    r = small_rules
    books = everyone(r)
    books[0] = ("办公室.xlsx", filled(r, OFFICE, bonuses=[{"特色项目": "品牌", "申报加分": claims[0]}]))
    books[1] = ("机关党委.xlsx", filled(r, PARTY, bonuses=[{"特色项目": "示范点", "申报加分": claims[1]}]))
    s, _ = run(r, save, books)
    assert s["unit"]["bonus"] == bonus and s["unit"]["total"] == 20 + bonus


# ---------------------------------------------------------------- §5 gaps

def low_gaps(s, department, code):
    return [g["severity"] for g in s["gaps"] if g["kind"] == "低分" and (g["department"], g["indicator"]) == (department, code)]


# 2.1 has max 5: the gap line is 4.5 and the severe line 3. 2.2 has max 3: 0.9 × 3 and 0.6 × 3 are
# 2.7 and 1.8 in words, 2.7000000000000002 and 1.7999999999999998 in floating point.
@pytest.mark.parametrize("department, code, score, severity", [
    (OFFICE, "2.1", 4.4, "一般"), (OFFICE, "2.1", 4.5, None), (OFFICE, "2.1", 4.6, None),
    (OFFICE, "2.1", 2.9, "严重"), (OFFICE, "2.1", 3, "一般"), (OFFICE, "2.1", 3.1, "一般"),
    (PARTY, "2.2", 2.6, "一般"), (PARTY, "2.2", 2.7, None), (PARTY, "2.2", 2.8, None),
    (PARTY, "2.2", 1.7, "严重"), (PARTY, "2.2", 1.8, "一般"), (PARTY, "2.2", 1.9, "一般"),
])
def test_low_score_gap_and_severe_lines(small_rules, save, department, code, score, severity):
    """§5: a gap when score < gap.ratio × max; 严重 below gap.severe_ratio × max, else 一般."""
    r = small_rules
    s, _ = run(r, save, [(f"{department}.xlsx", filled(r, department, rows=rows(r, department, {code: score})))])
    assert low_gaps(s, department, code) == ([severity] if severity else [])


@pytest.mark.parametrize("code, score, severity", [("2.1", 11.6, "一般"), ("2.1", 11.7, None), ("2.1", 11.8, None),
                                                   ("2.2", 0.5, "严重"), ("2.2", 0.6, "一般"), ("2.2", 0.7, "一般")])
def test_the_lines_are_the_contracts_products_not_floating_points(save, code, score, severity):
    """0.9 × 13 is 11.7 (11.700000000000001 in floating point) and 0.2 × 3 is 0.6 (0.6000000000000001):
    a score typed exactly on the product is on the line, not below it."""
    text = SMALL_RULES.replace("gap: {ratio: 0.9, severe_ratio: 0.6}", "gap: {ratio: 0.9, severe_ratio: 0.2}")
    r = parse_rules(text.replace("name: 登记窗口, max: 5", "name: 登记窗口, max: 13"), "small.yaml")
    department = OFFICE if code == "2.1" else PARTY
    s, _ = run(r, save, [(f"{department}.xlsx", filled(r, department, rows=rows(r, department, {code: score})))])
    assert low_gaps(s, department, code) == ([severity] if severity else [])


@pytest.mark.parametrize("deadline, overdue", [(dt.date(2026, 12, 30), True), (dt.date(2026, 12, 31), False),
                                               (dt.date(2027, 1, 1), False)])
def test_overdue_is_a_deadline_before_as_of(small_rules, save, deadline, overdue):
    """§5: 逾期 when 完成情况 is not 已完成 and 完成时限 is before as_of (2026-12-31)."""
    r = small_rules
    office = rows(r, OFFICE, {}, **{"1.1": {"完成情况": "推进中", "完成时限": deadline}})
    s, _ = run(r, save, [("a.xlsx", filled(r, OFFICE, rows=office))], as_of=dt.date(2026, 12, 31))
    assert [g["indicator"] for g in s["gaps"] if g["kind"] == "逾期"] == (["1.1"] if overdue else [])


# ---------------------------------------------------------------- §3 validation

@pytest.mark.parametrize("score, errors", [(5.9, 4), (5.5, 4), (6, 0)])
def test_every_deficit_column_is_required_below_max_even_above_the_gap_line(small_rules, save, score, errors):
    """§3: 存在问题, 整改措施, 完成时限 and 责任人 are required wherever the score is below 分值 (6),
    not only below the gap line (5.4): 5.5 of 6 with the four columns empty gives four errors."""
    found = findings_of(small_rules, save, OFFICE, {"1.2": {"自评得分": score, "完成情况": "推进中", "佐证材料": "纪要"}})
    required = [f for f in found if f.rule == "field.required"]
    assert len(required) == errors
    if errors:
        assert all(f.severity == "error" for f in required)
        named = {column for f in required for column in ("存在问题", "整改措施", "完成时限", "责任人")
                 if f"“{column}”" in f.message}
        assert named == {"存在问题", "整改措施", "完成时限", "责任人"}


@pytest.mark.parametrize("score, ok", [(-0.5, False), (0, True), (0.5, True), (3.5, True), (4, True), (4.5, False)])
def test_score_range_is_zero_to_the_rules_max(small_rules, save, score, ok):
    """§3: score.out_of_range below 0 or above the indicator's max in the rules (1.1: 4)."""
    found = findings_of(small_rules, save, OFFICE, {"1.1": {"自评得分": score, "完成情况": "推进中", "佐证材料": "纪要",
                                                            "存在问题": "问题", "整改措施": "措施", "责任人": "李强",
                                                            "完成时限": dt.date(2027, 3, 31)}})
    assert ("score.out_of_range" in rule_ids(found)) is not ok


@pytest.mark.parametrize("points, ok", [(-0.5, False), (0, True), (0.5, True), (2.5, True), (3, True), (3.5, False)])
def test_bonus_claim_range_is_zero_to_the_cap(small_rules, save, points, ok):
    """§3: bonus.out_of_range below 0 or above bonus_cap (3)."""
    found = findings_of(small_rules, save, OFFICE, None, bonuses=[{"特色项目": "品牌", "申报加分": points}])
    assert ("bonus.out_of_range" in rule_ids(found)) is not ok


@pytest.mark.parametrize("score, warned", [(0, False), (0.5, True), (4, True)])
def test_missing_evidence_is_warned_where_the_score_is_above_zero(small_rules, save, score, warned):
    """§3: evidence.missing where evidence is required (1.1) and the score is above 0."""
    row = {"自评得分": score, "完成情况": "推进中", "佐证材料": None, "存在问题": "问题", "整改措施": "措施", "责任人": "李强",
           "完成时限": dt.date(2027, 3, 31)}
    found = findings_of(small_rules, save, OFFICE, {"1.1": row})
    missing = [f for f in found if f.rule == "evidence.missing"]
    assert len(missing) == (1 if warned else 0)
    assert all(f.severity == "warning" for f in missing)
