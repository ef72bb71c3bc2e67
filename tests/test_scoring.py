"""Scoring and gaps on small hand-made cases; every expected number is computed by hand below."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from conftest import filled, full_marks
from scorecard.intake.checking import check_file
from scorecard.scoring.score import choose_latest, summarise

RESUBMIT_BY = dt.date(2027, 1, 6)

DEFICIT = {"存在问题": "问题", "整改措施": "措施", "责任人": "李强", "完成时限": dt.date(2027, 3, 31), "完成情况": "推进中"}


def rows(rules, dept, scores, **extra):
    out = full_marks(rules, dept)
    for code, score in scores.items():
        out[code].update({"自评得分": score})
        if not isinstance(score, (int, float)) or score < rules.indicator(code).max:
            out[code].update(DEFICIT)
    for code, values in extra.items():
        out[code].update(values)
    return out


def check_files(paths, rules):
    return [check_file(p, rules) for p in paths]


def place(rules, save, books):
    return choose_latest(check_files([save(wb, name) for name, wb in books], rules))


def run(rules, save, books, as_of=dt.date(2026, 12, 31), round_name="第一轮", previous=None):
    placed = place(rules, save, books)
    summary = summarise(rules, placed, round_name=round_name, as_of=as_of, generated_at=dt.datetime(2026, 12, 31, 9, 0),
                        resubmit_by=RESUBMIT_BY, previous=previous)
    return summary.to_dict(), placed


def scenario_a(r):
    """办公室 3,5,4,2 · 机关党委 4,3,3,1 · 登记注册科 5,2; bonuses 2 + 2 (cap 3)."""
    return [
        ("办公室.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 3, "1.2": 5, "2.1": 4, "2.10": 2}),
                             bonuses=[{"特色项目": "品牌", "申报加分": 2}])),
        ("机关党委.xlsx", filled(r, "机关党委", rows=rows(r, "机关党委", {"1.1": 4, "1.2": 3, "2.2": 3, "2.10": 1}),
                              bonuses=[{"特色项目": "示范点", "申报加分": 2}])),
        ("登记注册科.xlsx", filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": 5, "2.10": 2}))),
    ]


def by(items, key="code"):
    return {x[key]: x for x in items}


def test_combine_modes_items_unit_bonus_and_pass(small_rules, save):
    s, subs = run(small_rules, save, scenario_a(small_rules))
    assert [x.status for x in subs] == ["accepted"] * 3
    ind = by(s["indicators"])
    assert ind["1.1"]["score"] == 3          # min(3, 4)
    assert ind["1.2"]["score"] == 4          # mean(5, 3)
    assert ind["2.1"]["score"] == 5          # lead: 登记注册科 is listed first
    assert ind["2.2"]["score"] == 3
    assert ind["2.10"]["score"] == 1         # min(2, 1, 2) over `all`
    assert by(s["items"])["一"]["score"] == 7 and by(s["items"])["二"]["score"] == 9
    assert s["unit"] == {"score": 16, "max": 20, "bonus": 3, "total": 19, "veto": False, "passed": True, "rate": 0.8,
                         "self_score": 16}
    d = by(s["departments"], "name")
    assert (d["办公室"]["score"], d["办公室"]["max"]) == (14, 17)
    assert d["办公室"]["rate"] == pytest.approx(14 / 17)
    assert (d["机关党委"]["score"], d["机关党委"]["max"]) == (11, 15)
    assert [d[n]["rank"] for n in ("登记注册科", "办公室", "机关党委")] == [1, 2, 3]


def test_low_score_gaps_and_severity(small_rules, save):
    s, _ = run(small_rules, save, scenario_a(small_rules))
    low = {(g["department"], g["indicator"]): g["severity"] for g in s["gaps"] if g["kind"] == "低分"}
    assert low == {("办公室", "1.1"): "一般", ("办公室", "1.2"): "一般", ("办公室", "2.1"): "一般",
                   ("机关党委", "1.2"): "严重", ("机关党委", "2.10"): "严重"}
    gap = next(g for g in s["gaps"] if g["department"] == "办公室" and g["indicator"] == "1.1")
    assert (gap["owner"], gap["problem"], gap["measure"], gap["deadline"]) == ("李强", "问题", "措施", "2027-03-31")
    assert [g["severity"] for g in s["gaps"]] == sorted((g["severity"] for g in s["gaps"]), key=lambda x: x != "严重")


def test_ties_share_a_rank(small_rules, save):
    r = small_rules
    books = [("a.xlsx", filled(r, "办公室")), ("b.xlsx", filled(r, "机关党委")),
             ("c.xlsx", filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": 2.5, "2.10": 1})))]
    s, _ = run(r, save, books)
    d = by(s["departments"], "name")
    assert [d[n]["rank"] for n in ("办公室", "机关党委", "登记注册科")] == [1, 1, 3]


def test_unsubmitted_department_scores_zero_with_one_gap(small_rules, save):
    r = small_rules
    s, _ = run(r, save, scenario_a(r)[:2])
    ind = by(s["indicators"])
    assert ind["2.1"]["score"] == 0          # lead department did not submit
    assert ind["2.10"]["score"] == 0         # min over all includes its 0
    d = by(s["departments"], "name")["登记注册科"]
    # Not ranked: a department that sent nothing is listed apart, not ranked last at 0%.
    assert (d["submitted"], d["submission"], d["score"], d["rate"], d["rank"]) == (False, "missing", 0, 0, None)
    missing = [g for g in s["gaps"] if g["kind"] == "未报送"]
    assert len(missing) == 1 and missing[0]["department"] == "登记注册科" and missing[0]["severity"] == "严重"
    assert missing[0]["indicator"] == "" and missing[0]["key"] == "未报送|登记注册科|-"
    assert missing[0]["deadline"] == "2027-01-06"
    assert not any(g["kind"] == "低分" and g["department"] == "登记注册科" for g in s["gaps"])
    assert s["unsubmitted"] == ["登记注册科"]


def test_latest_accepted_submission_wins(small_rules, save):
    r = small_rules
    old = filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 1}), info={"填报日期": dt.date(2026, 12, 1)})
    new = filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 2}), info={"填报日期": dt.date(2026, 12, 10)})
    broken = filled(r, "办公室", rows=rows(r, "办公室", {"1.1": "很好"}), info={"填报日期": dt.date(2026, 12, 20)})
    s, placed = run(r, save, [("z_new.xlsx", new), ("a_old.xlsx", old), ("m_broken.xlsx", broken)])
    status = {x.checked.file.rsplit("/", 1)[-1]: x.status for x in placed}
    assert status == {"z_new.xlsx": "accepted", "a_old.xlsx": "superseded", "m_broken.xlsx": "rejected"}
    office = by([e for e in s["entries"] if e["department"] == "办公室"], "indicator")
    assert office["1.1"]["score"] == 2


def test_same_fill_date_then_modification_time(small_rules, save, tmp_path):
    r = small_rules
    first = save(filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 1})), "b.xlsx")
    second = save(filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 3})), "a.xlsx")
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(second, (1_700_000_100, 1_700_000_100))
    placed = choose_latest(check_files([first, second], r))
    assert [p.status for p in placed] == ["superseded", "accepted"]
    assert placed[1].checked.file.endswith("a.xlsx")


def test_veto_fails_the_unit_and_is_a_gap(small_rules, save):
    r = small_rules
    books = scenario_a(r)
    books[1] = ("机关党委.xlsx", filled(r, "机关党委", vetoes={"V1": ("是", "班子成员被立案审查")}))
    s, _ = run(r, save, books)
    assert s["unit"]["veto"] is True and s["unit"]["passed"] is False
    veto = [g for g in s["gaps"] if g["kind"] == "一票否决"]
    assert len(veto) == 1 and veto[0]["indicator"] == "V1" and veto[0]["department"] == "机关党委"
    assert veto[0]["severity"] == "严重" and veto[0]["problem"] == "班子成员被立案审查"
    # Severe gaps first, in department order; within 机关党委 the veto (no indicator) leads.
    assert s["gaps"][0]["kind"] == "一票否决"
    assert veto[0]["departments"] == ["机关党委"] and veto[0]["key"] == "一票否决|机关党委|V1"


def test_bonus_below_cap_and_pass_line(small_rules, save):
    r = small_rules
    books = [("a.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.2": 0}), bonuses=[{"特色项目": "x", "申报加分": 1.5}])),
             ("b.xlsx", filled(r, "机关党委")), ("c.xlsx", filled(r, "登记注册科"))]
    s, _ = run(r, save, books)
    # 1.2 = mean(0, 6) = 3, everything else full: 17 + 1.5 = 18.5
    assert s["unit"]["score"] == 17 and s["unit"]["bonus"] == 1.5 and s["unit"]["total"] == 18.5
    assert s["unit"]["passed"] is True


def test_overdue_and_missing_evidence_gaps(small_rules, save):
    r = small_rules
    office = rows(r, "办公室", {"1.1": 4}, **{
        "1.1": {"完成情况": "推进中", "完成时限": dt.date(2026, 12, 1)},             # overdue, full marks
        "1.2": {"完成情况": "已完成", "完成时限": dt.date(2026, 11, 1)},             # done: not overdue
        "2.1": {"完成情况": "推进中", "完成时限": dt.date(2026, 12, 31)},            # due on as_of: not overdue
        "2.10": {"佐证材料": None}})
    s, _ = run(r, save, [("a.xlsx", filled(r, "办公室", rows=office)), ("b.xlsx", filled(r, "机关党委")),
                         ("c.xlsx", filled(r, "登记注册科"))])
    kinds = {(g["kind"], g["indicator"]) for g in s["gaps"] if g["department"] == "办公室"}
    assert kinds == {("逾期", "1.1"), ("佐证缺失", "2.10")}
    overdue = next(g for g in s["gaps"] if g["kind"] == "逾期")
    assert overdue["severity"] == "一般" and overdue["deadline"] == "2026-12-01"
    evidence = next(g for g in s["gaps"] if g["kind"] == "佐证缺失")
    assert (evidence["severity"], evidence["note"]) == ("一般", "得分但未填写佐证材料")
    later, _ = run(r, save, [("a.xlsx", filled(r, "办公室", rows=office))], as_of=dt.date(2027, 1, 5))
    assert ("逾期", "2.1") in {(g["kind"], g["indicator"]) for g in later["gaps"]}


def test_previous_round_states(small_rules, save):
    r = small_rules
    first, _ = run(r, save, scenario_a(r))
    books = scenario_a(r)
    books[0] = ("办公室.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 3})))   # 1.2 and 2.1 closed
    second, _ = run(r, save, books, round_name="第二轮", previous=first)
    assert second["previous_round"] == "第一轮"
    state = {(g["kind"], g["department"], g["indicator"]): g["state"] for g in second["gaps"]}
    assert state[("低分", "办公室", "1.1")] == "持续"
    closed = {(g["department"], g["indicator"]) for g in second["closed_gaps"]}
    assert closed == {("办公室", "1.2"), ("办公室", "2.1")}


def test_returned_department_is_not_missing(small_rules, save):
    """Every file of 登记注册科 was rejected: a 退回 gap (not 未报送) with its head as owner, the
    resubmission date as deadline and its errors named; it is not ranked."""
    r = small_rules
    bad = filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": "很好"}))
    s, placed = run(r, save, scenario_a(r)[:2] + [("登记注册科.xlsx", bad)])
    assert [p.status for p in placed] == ["accepted", "accepted", "rejected"]
    d = by(s["departments"], "name")["登记注册科"]
    assert (d["submitted"], d["submission"], d["rank"], d["score"]) == (False, "returned", None, 0)
    assert [x["rank"] for x in s["departments"] if x["name"] != "登记注册科"] == [1, 2]
    kinds = [g["kind"] for g in s["gaps"] if g["department"] == "登记注册科"]
    assert kinds == ["退回"]
    gap = next(g for g in s["gaps"] if g["kind"] == "退回")
    assert gap["severity"] == "严重" and gap["indicator"] == "" and gap["key"] == "退回|登记注册科|-"
    assert gap["deadline"] == "2027-01-06"
    assert "《登记注册科.xlsx》" in gap["note"] and "很好" in gap["note"] and "自评表!" in gap["note"]
    assert s["returned"] == ["登记注册科"] and s["unsubmitted"] == []
    assert s["counts"]["returned"] == 1 and s["counts"]["missing"] == 0 and s["counts"]["accepted"] == 2


def test_head_owns_missing_and_returned_rows():
    from scorecard.rules import parse_rules
    from conftest import SMALL_RULES

    r = parse_rules(SMALL_RULES.replace("    email: [djk@example.gov.cn]", "    email: [djk@example.gov.cn]\n    head: 王科长"))
    s = summarise(r, [], round_name="第一轮", as_of=dt.date(2026, 12, 31), generated_at=dt.datetime(2026, 12, 31),
                  resubmit_by=RESUBMIT_BY).to_dict()
    rows_ = {g["department"]: g for g in s["gaps"]}
    assert rows_["登记注册科"]["owner"] == "王科长" and rows_["办公室"]["owner"] == ""
    assert all(g["deadline"] == "2027-01-06" and g["kind"] == "未报送" for g in s["gaps"])
    assert by(s["departments"], "name")["登记注册科"]["head"] == "王科长"


def test_returned_notes_quote_each_departments_own_first_errors(small_rules, save):
    """A 退回 row's note names that department's returned files only, quotes its first three errors
    (sheet!cell and message, joined by ；) and says how many there were in all."""
    r = small_rules
    party = filled(r, "机关党委", rows=rows(r, "机关党委", {"2.2": "很好"}))
    registry = filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": "很好", "2.10": "较好"},
                                                **{"2.1": {"完成情况": "乱填"}, "2.10": {"完成情况": "乱填"}}))
    s, placed = run(r, save, [("a.xlsx", filled(r, "办公室")), ("党委.xlsx", party), ("注册.xlsx", registry)])
    notes = {g["department"]: g["note"] for g in s["gaps"] if g["kind"] == "退回"}
    errors = [f for p in placed if p.checked.department == "登记注册科" for f in p.checked.findings
              if f.severity == "error"]
    assert len(errors) == 4
    quoted = "；".join(f"{f.sheet}!{f.cell} {f.message}" for f in errors[:3])
    assert notes["登记注册科"] == f"报送的《注册.xlsx》未通过审核，已退回（{quoted}等4处错误），负责的2项指标暂按0分计"
    assert "《党委.xlsx》" in notes["机关党委"] and "注册.xlsx" not in notes["机关党委"] and "等" not in notes["机关党委"]


def test_a_returned_note_quotes_an_error_without_a_cell_by_its_message(small_rules, save):
    r = small_rules
    wb = filled(r, "登记注册科")
    del wb["否决事项"]
    s, placed = run(r, save, [("注册.xlsx", wb)])
    (error,) = [f for f in placed[0].checked.findings if f.severity == "error"]
    assert error.rule == "sheet.missing" and not error.cell
    note = next(g["note"] for g in s["gaps"] if g["kind"] == "退回")
    assert f"（{error.message}）" in note and "!" not in note


def test_gaps_of_an_older_ledger_without_keys_close_by_kind_department_and_indicator(small_rules, save):
    """An earlier round's summary.json from before gaps had `key` (and with no indicator as null):
    its gaps still match this round's, and those gone are closed, keyed as §11 says."""
    r = small_rules
    first, _ = run(r, save, scenario_a(r))
    for g in first["gaps"]:
        del g["key"]
        g["indicator"] = g["indicator"] or None
    first["gaps"].append({"kind": "未报送", "severity": "严重", "indicator": None, "department": "登记注册科",
                          "departments": ["登记注册科"]})
    books = scenario_a(r)
    books[0] = ("办公室.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 3})))
    second, _ = run(r, save, books, round_name="第二轮", previous=first)
    state = {g["key"]: g["state"] for g in second["gaps"]}
    assert state["低分|办公室|1.1"] == "持续" and state["低分|机关党委|1.2"] == "持续"
    closed = {g["key"]: g for g in second["closed_gaps"]}
    assert set(closed) == {"低分|办公室|1.2", "低分|办公室|2.1", "未报送|登记注册科|-"}
    assert closed["未报送|登记注册科|-"]["indicator"] == "" and closed["未报送|登记注册科|-"]["departments"] == ["登记注册科"]


def test_a_low_score_gap_row_carries_the_indicator_and_the_departments_entry(small_rules, save):
    s, _ = run(small_rules, save, scenario_a(small_rules))
    gap = next(g for g in s["gaps"] if g["kind"] == "低分" and (g["department"], g["indicator"]) == ("机关党委", "1.2"))
    assert {k: gap[k] for k in ("indicator_name", "item", "status", "score", "max", "owner", "problem", "measure",
                                "deadline", "key")} == {
        "indicator_name": "责任分解", "item": "一", "status": "推进中", "score": 3, "max": 6, "owner": "李强",
        "problem": "问题", "measure": "措施", "deadline": "2027-03-31", "key": "低分|机关党委|1.2"}
    assert gap["note"] == "得分3分，低于分值6分的90%（5.4分）"


def test_a_gap_new_this_round_is_marked_new_and_a_closed_gap_has_no_state(small_rules, save):
    r = small_rules
    first, _ = run(r, save, scenario_a(r))
    books = scenario_a(r)
    books[2] = ("登记注册科.xlsx", filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": 3})))
    books[0] = ("办公室.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.1": 3, "1.2": 5})))     # 2.1 now full
    second, _ = run(r, save, books, round_name="第二轮", previous=first)
    state = {g["key"]: g["state"] for g in second["gaps"]}
    assert state["低分|登记注册科|2.1"] == "新增" and state["低分|办公室|1.1"] == "持续"
    assert set(state.values()) == {"新增", "持续"}
    assert [g["key"] for g in second["closed_gaps"]] == ["低分|办公室|2.1"]
    assert second["closed_gaps"][0].get("state") is None


def test_a_verified_score_counts_instead_of_the_self_score(small_rules, save):
    """§11: a 核定得分 replaces the department's score in every figure; self_score keeps its own."""
    r = small_rules
    placed = place(r, save, [(f"{d}.xlsx", filled(r, d)) for d in ("办公室", "机关党委", "登记注册科")])
    s = summarise(r, placed, round_name="第一轮", as_of=dt.date(2026, 12, 31), generated_at=dt.datetime(2026, 12, 31, 9),
                  resubmit_by=RESUBMIT_BY, reviews={("办公室", "1.1"): 2.5, ("机关党委", "1.2"): 6}).to_dict()
    entry = next(e for e in s["entries"] if (e["department"], e["indicator"]) == ("办公室", "1.1"))
    assert (entry["score"], entry["self_score"]) == (2.5, 4)
    assert (by(s["indicators"])["1.1"]["score"], by(s["indicators"])["1.1"]["self_score"]) == (2.5, 4)
    assert (s["unit"]["score"], s["unit"]["self_score"]) == (18.5, 20)
    assert by(s["departments"], "name")["办公室"]["score"] == 15.5
    gap = next(g for g in s["gaps"] if g["kind"] == "低分")
    assert (gap["department"], gap["indicator"], gap["severity"]) == ("办公室", "1.1", "一般")
    assert gap["note"].startswith("核定得分2.5分，低于分值4分")
    assert gap["problem"] == ""                                     # a full-marks row typed none
    # nor a deadline: the gap takes the default one and says so (issue 20: every gap can be acted on)
    assert "deadline" in gap["defaults"] and gap["deadline"]
    assert [g["kind"] for g in s["gaps"]] == ["低分"]


def test_computed_scores_and_data_files_in_the_summary(small_rules, save, tmp_path):
    """§12 in summary.json: `computed` per department, the data workbook in `submissions` (status
    data), its findings and data.no_rows in `office_findings`. The export is test_datasets' (办公室
    9000, 8000, 4000 -> 2 of 3 reach 8000; 机关党委 0 of 2; 登记注册科 no rows)."""
    from scorecard.intake import datasets
    from test_datasets import export, rules_with

    r = rules_with("share")
    data = datasets.recognise(export(tmp_path / "x.xlsx"), r, label="input/x.xlsx")
    computation = datasets.compute(r, [data])
    placed = place(r, save, [(f"{d}.xlsx", filled(r, d)) for d in ("办公室", "机关党委", "登记注册科")])
    s = summarise(r, placed, round_name="第一轮", as_of=dt.date(2026, 12, 31), generated_at=dt.datetime(2026, 12, 31, 9),
                  resubmit_by=RESUBMIT_BY, computation=computation, data_files=[data]).to_dict()
    got = {c["department"]: c for c in s["computed"]}
    office = got["办公室"]
    assert {k: office[k] for k in ("indicator", "rows", "meeting", "data", "method", "target", "max", "mean",
                                   "total", "files")} == {
        "indicator": "2.10", "rows": 3, "meeting": 2, "data": "学习强国积分", "method": "share", "target": 8000,
        "max": 2, "mean": 7000, "total": 21000, "files": ["input/x.xlsx"]}
    assert office["value"] == pytest.approx(2 / 3) and office["score"] == pytest.approx(4 / 3)
    assert office["below"] == [{"name": "王五", "value": 4000, "file": "input/x.xlsx", "sheet": "积分排名", "cell": "D6"}]
    assert office["basis"] == datasets.basis(computation.score("2.10", "办公室"))
    assert (got["登记注册科"]["rows"], got["登记注册科"]["value"], got["登记注册科"]["mean"]) == (0, None, None)
    assert by(s["indicators"])["2.10"]["score"] == 0          # min over all: 登记注册科 has no rows
    entry = next(e for e in s["entries"] if (e["department"], e["indicator"]) == ("办公室", "2.10"))
    assert entry["computed"] is True and entry["score"] == pytest.approx(4 / 3) and entry["reported_score"] == 2
    (sub,) = [x for x in s["submissions"] if x["status"] == "data"]
    assert {k: sub[k] for k in ("file", "sha256", "department", "fill_date", "returned", "data", "rows")} == {
        "file": "input/x.xlsx", "sha256": data.sha256, "department": None, "fill_date": "", "returned": None,
        "data": ["学习强国积分"], "rows": 5}
    assert [(f["rule"], f["severity"], f["sheet"], f["cell"], f["value"]) for f in sub["findings"]] == [
        ("data.not_number", "error", "积分排名", "D7", "abc"), ("data.unknown_department", "error", "积分排名", "C10", "财务科")]
    assert all(f["message"] for f in sub["findings"])
    office_findings = [(f["rule"], f["file"], f["cell"]) for f in s["office_findings"]]
    assert office_findings == [("data.not_number", "input/x.xlsx", "D7"), ("data.unknown_department", "input/x.xlsx", "C10"),
                               ("data.no_rows", "", "")]
    low = next(g for g in s["gaps"] if g["kind"] == "低分" and g["department"] == "办公室" and g["indicator"] == "2.10")
    assert low["problem"] == datasets.problem_text(computation.score("2.10", "办公室"))


def test_each_file_is_listed_in_submissions_with_its_status_and_findings(small_rules, save):
    """§7 submissions[]: file, sha256, department, status, fill date and every finding in the §3 form."""
    import hashlib

    r = small_rules
    new = filled(r, "办公室", rows=rows(r, "办公室", {}, **{"2.10": {"佐证材料": None}}),
                 info={"填报日期": dt.date(2026, 12, 10)})
    old = filled(r, "办公室", info={"填报日期": dt.date(2026, 12, 1)})
    broken = filled(r, "机关党委", rows=rows(r, "机关党委", {"2.2": "很好"}))
    s, placed = run(r, save, [("new.xlsx", new), ("old.xlsx", old), ("broken.xlsx", broken)])
    subs = s["submissions"]
    assert [(x["file"].rsplit("/", 1)[-1], x["department"], x["status"], x["fill_date"]) for x in subs] == [
        ("new.xlsx", "办公室", "accepted", "2026-12-10"), ("old.xlsx", "办公室", "superseded", "2026-12-01"),
        ("broken.xlsx", "机关党委", "rejected", "2026-12-20")]
    assert [x["file"] for x in subs] == [p.checked.file for p in placed]
    assert all(x["sha256"] == hashlib.sha256(p.checked.path.read_bytes()).hexdigest() for x, p in zip(subs, placed))
    (warning,) = subs[0]["findings"]
    assert {k: warning[k] for k in ("severity", "rule", "sheet")} == {"severity": "warning", "rule": "evidence.missing",
                                                                      "sheet": "自评表"}
    assert warning["cell"] and warning["message"]
    errors = [f for f in subs[2]["findings"] if f["severity"] == "error"]
    assert errors and errors[0]["rule"] == "score.not_number" and errors[0]["value"] == "很好"


def test_department_rows_and_counts(save):
    """departments[] and counts: gaps per department, indicators, who filled in; a department with
    no indicators (财务科) is listed unranked and is neither missing nor counted."""
    from scorecard.rules import parse_rules
    from conftest import SMALL_RULES

    text = SMALL_RULES.replace("leaders:\n", "  - name: 财务科\n    email: [cwk@example.gov.cn]\nleaders:\n")
    r = parse_rules(text.replace("departments: all}", "departments: [办公室, 机关党委, 登记注册科]}"))
    s, placed = run(r, save, scenario_a(r))
    d = by(s["departments"], "name")
    assert [(d[n]["indicator_count"], d[n]["gap_count"], d[n]["severe_gap_count"]) for n in
            ("办公室", "机关党委", "登记注册科", "财务科")] == [(4, 3, 0), (4, 2, 2), (2, 0, 0), (0, 0, 0)]
    assert (d["办公室"]["file"], d["办公室"]["fill_date"], d["办公室"]["filler"], d["办公室"]["phone"]) == (
        placed[0].checked.file, "2026-12-20", "张敏", "12345678")
    assert (d["财务科"]["max"], d["财务科"]["rate"], d["财务科"]["rank"], d["财务科"]["file"]) == (0, 0, None, "")
    assert s["counts"] == {"departments": 3, "accepted": 3, "returned": 0, "missing": 0, "gaps": 5, "severe_gaps": 2,
                           "gaps_by_kind": {"低分": 5}, "files": {"accepted": 3}}
    assert s["unsubmitted"] == [] and not any(g["department"] == "财务科" for g in s["gaps"])


@pytest.mark.parametrize("errors", [3, 2])
def test_a_returned_note_with_no_more_errors_than_it_quotes_says_no_more(small_rules, save, errors):
    r = small_rules
    bad = {"2.1": "很好", "2.10": "较好"}
    extra = {"2.1": {"完成情况": "乱填"}} if errors == 3 else {}
    s, placed = run(r, save, [("注册.xlsx", filled(r, "登记注册科", rows=rows(r, "登记注册科", bad, **extra)))])
    assert sum(f.severity == "error" for f in placed[0].checked.findings) == errors
    note = next(g["note"] for g in s["gaps"] if g["kind"] == "退回")
    assert "处错误" not in note and note.count("；") == errors - 1


def test_a_returned_note_names_every_returned_file_of_the_department(small_rules, save):
    r = small_rules
    books = [(name, filled(r, "登记注册科", rows=rows(r, "登记注册科", {"2.1": "很好"}))) for name in ("甲.xlsx", "乙.xlsx")]
    s, _ = run(r, save, books)
    note = next(g["note"] for g in s["gaps"] if g["kind"] == "退回")
    assert note.startswith("报送的《甲.xlsx》、《乙.xlsx》未通过审核")


def test_a_replaced_data_file_names_the_newer_one_in_submissions(small_rules, save, tmp_path):
    from scorecard.intake import datasets
    from test_datasets import export, rules_with

    r = rules_with("share")
    old = datasets.recognise(export(tmp_path / "一月" / "积分.xlsx", mtime=1_000_000), r, label="一月/积分.xlsx")
    new = datasets.recognise(export(tmp_path / "二月" / "积分.xlsx", mtime=2_000_000), r, label="二月/积分.xlsx")
    computation = datasets.compute(r, [old, new])
    s = summarise(r, [], round_name="第一轮", as_of=dt.date(2026, 12, 31), generated_at=dt.datetime(2026, 12, 31, 9),
                  resubmit_by=RESUBMIT_BY, computation=computation, data_files=[old, new]).to_dict()
    subs = {x["file"]: x for x in s["submissions"]}
    assert subs["一月/积分.xlsx"]["replaced_by"] == "二月/积分.xlsx" and "replaced_by" not in subs["二月/积分.xlsx"]


def test_an_indicator_row_and_integral_numbers_as_integers(small_rules, save):
    """indicators[] carries what the reports print beside the score; integral figures are JSON
    integers (16, not 16.0)."""
    import json

    s, _ = run(small_rules, save, scenario_a(small_rules))
    ind = by(s["indicators"])["1.2"]
    assert {k: ind[k] for k in ("code", "item", "max", "score", "departments", "name", "item_name", "rate", "combine",
                                "method", "criteria", "self_score")} == {
        "code": "1.2", "item": "一", "max": 6, "score": 4, "departments": ["办公室", "机关党委"], "name": "责任分解",
        "item_name": "领导班子建设", "rate": pytest.approx(4 / 6), "combine": "mean", "method": "听取汇报",
        "criteria": "分解到人", "self_score": 4}
    text = json.dumps(s["unit"])
    assert '"score": 16,' in text and '"total": 19,' in text and '"max": 20,' in text


def test_of_three_files_of_a_department_the_latest_counts_and_both_others_are_superseded(small_rules, save):
    r = small_rules
    books = [(f"{n}.xlsx", filled(r, "办公室", rows=rows(r, "办公室", {"1.1": n}), info={"填报日期": dt.date(2026, 12, n)}))
             for n in (2, 3, 1)]
    s, placed = run(r, save, books)
    assert [p.status for p in placed] == ["superseded", "accepted", "superseded"]
    assert by([e for e in s["entries"] if e["department"] == "办公室"], "indicator")["1.1"]["score"] == 3


def test_item_rows_and_veto_rows(small_rules, save):
    r = small_rules
    books = scenario_a(r)
    books[1] = ("机关党委.xlsx", filled(r, "机关党委", rows=rows(r, "机关党委", {"1.1": 4, "1.2": 3, "2.2": 3, "2.10": 1}),
                                     vetoes={"V2": ("是", "仓库火灾")}))
    s, _ = run(r, save, books)
    assert s["items"] == [
        {"code": "一", "name": "领导班子建设", "max": 10, "score": 7, "rate": 0.7, "self_score": 7},
        {"code": "二", "name": "窗口服务", "max": 10, "score": 9, "rate": 0.9, "self_score": 9}]
    assert s["vetoes"] == [
        {"code": "V1", "name": "严重违纪违法", "occurred": False, "departments": [], "notes": []},
        {"code": "V2", "name": "重大安全事故", "occurred": True, "departments": ["机关党委"], "notes": ["仓库火灾"]}]


def test_an_overdue_gap_says_which_deadline_passed_and_the_status(small_rules, save):
    r = small_rules
    office = rows(r, "办公室", {}, **{"1.1": {"完成情况": "推进中", "完成时限": dt.date(2026, 12, 1)}})
    s, _ = run(r, save, [("a.xlsx", filled(r, "办公室", rows=office))])
    (gap,) = [g for g in s["gaps"] if g["kind"] == "逾期"]
    assert gap["note"] == "完成时限2026年12月1日已过，完成情况为“推进中”"
