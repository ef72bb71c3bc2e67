"""The office's own pass (CONTRACT.md §11), as the office would do it: run, open the generated
核定表.xlsx and 问题清单.xlsx, type verified scores and tracking states (good and bad), save, run
again, and compare every figure with one computed by hand (small rules, tests/conftest.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL_RULES, filled, full_marks
from scorecard.base.findings import CATALOGUE
from scorecard.office.apply import edit_history, is_office_workbook
from scorecard.office.read import GAP_FILE, REVIEW_FILE
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules

ROUND = "第一轮"
AS_OF = dt.date(2026, 12, 31)
GAP_1_1 = "低分|办公室|1.1"
GAP_1_2 = "低分|办公室|1.2"
GAP_2_2 = "低分|机关党委|2.2"
OFFICE_RULES = {rule.split("/")[0] for rule in CATALOGUE if rule.startswith(("review.", "tracking."))}


def low(score, **extra):
    """A below-max row with the fields a low score requires."""
    return {"自评得分": score, "完成情况": "推进中", "存在问题": "材料不全", "整改措施": "补齐材料",
            "责任人": "王强", "完成时限": dt.date(2027, 3, 31), **extra}


@pytest.fixture
def office(tmp_path, small_rules, save):
    """Three departments: 办公室 scores itself 3 of 4 on 1.1 (a 低分 gap), everything else full."""
    inp, out = tmp_path / "input", tmp_path / "output"
    rows = {"办公室": full_marks(small_rules, "办公室", **{"1.1": low(3)})}
    for dept in small_rules.department_names():
        save(filled(small_rules, dept, rows=rows.get(dept)), f"{dept}.xlsx", inp)
    clock = Clock()

    def again(round_name=ROUND):
        return run(small_rules, inp, out, round_name=round_name, as_of=AS_OF, clock=clock)

    return {"input": inp, "output": out, "run": again, "rules": small_rules, "round_dir": out / ROUND}


class Clock:
    """A run clock that moves on a minute per run (files' own mtimes are set explicitly)."""

    def __init__(self):
        self.now = dt.datetime(2027, 1, 5, 9, 0)

    def __call__(self):
        self.now += dt.timedelta(minutes=1)
        return self.now


def sheet_rows(path: Path, sheet: str) -> tuple[openpyxl.Workbook, object, dict[str, int]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    cols = {c.value: c.column for c in ws[1]}
    return wb, ws, cols


def edit_reviews(path: Path, values: dict[tuple[str, str], dict], mtime: float | None = None) -> dict:
    """Type into 核定表: {(部门, 指标编号): {title: value}}; returns {(部门, 指标编号): {title: A1}}."""
    return _edit(path, "核定表", lambda ws, r, cols: (ws.cell(r, cols["部门"]).value,
                                                     ws.cell(r, cols["指标编号"]).value), values, mtime)


def edit_tracking(path: Path, values: dict[str, dict], mtime: float | None = None) -> dict:
    """Type into 问题清单: {问题编号: {title: value}}; returns {问题编号: {title: A1}}."""
    return _edit(path, "问题清单", lambda ws, r, cols: ws.cell(r, cols["问题编号"]).value, values, mtime)


def _edit(path: Path, sheet: str, key_of, values: dict, mtime: float | None) -> dict:
    wb, ws, cols = sheet_rows(path, sheet)
    where = {}
    for r in range(2, ws.max_row + 1):
        key = key_of(ws, r, cols)
        for title, value in values.get(key, {}).items():
            ws.cell(r, cols[title]).value = value
            where.setdefault(key, {})[title] = ws.cell(r, cols[title]).coordinate
    assert set(where) == set(values), "every row to edit exists"
    wb.save(path)
    touch(path, mtime)
    return where


def touch(path: Path, mtime: float | None) -> None:
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def read_sheet(path: Path, sheet: str, key_titles: tuple[str, ...]) -> dict:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    titles = [c.value for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        record = dict(zip(titles, row))
        out[tuple(record[t] for t in key_titles) if len(key_titles) > 1 else record[key_titles[0]]] = record
    return out


def summary_of(result) -> dict:
    return json.loads((result.round_dir / "summary.json").read_text(encoding="utf-8"))


def by(items, key="code"):
    return {x[key]: x for x in items}


def rules_hit(summary) -> dict[str, list[dict]]:
    out = {}
    for f in summary["office_findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


T0 = dt.datetime(2027, 1, 6, 10, 0).timestamp()          # when the office saved its edits


# --- the round trip --------------------------------------------------------------------------

def test_first_run_writes_both_workbooks_with_every_row(office):
    summary = summary_of(office["run"]())
    base = office["round_dir"]
    rows = read_sheet(base / REVIEW_FILE, "核定表", ("部门", "指标编号"))
    expected = {(d, i.code) for i in office["rules"].indicators for d in i.departments}
    assert set(rows) == expected
    assert rows[("办公室", "1.1")]["自评得分"] == 3 and rows[("办公室", "1.1")]["分值"] == 4
    assert rows[("办公室", "1.1")]["测评标准"] == "成立领导小组"
    assert all(r["核定得分"] is None for r in rows.values())
    gaps = read_sheet(base / GAP_FILE, "问题清单", ("问题编号",))
    assert list(gaps) == [GAP_1_1] and gaps[GAP_1_1]["整改状态"] == "未整改"
    assert summary["reviews"] == [] and summary["office_findings"] == []
    assert summary["gaps"][0]["key"] == GAP_1_1
    assert summary["gaps"][0]["tracking"] == {"status": "未整改", "note": "", "closed_on": "", "verifier": ""}
    assert summary["rectification"] == {"total": 1, "未整改": 1, "整改中": 0, "待核验": 0, "已销号": 0}
    assert summary["unit"]["score"] == summary["unit"]["self_score"] == 19


def test_workbook_protection_validation_and_print(office):
    office["run"]()
    wb = openpyxl.load_workbook(office["round_dir"] / REVIEW_FILE)
    ws = wb["核定表"]
    assert ws.protection.sheet and not ws.protection.autoFilter and not ws.protection.sort
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.freeze_panes == "C2"
    cols = {c.value: c.column for c in ws[1]}
    assert [c.value for c in ws[1]][:9] == ["部门", "指标编号", "测评指标", "分值", "自评得分", "核定得分", "核定说明",
                                           "核定人", "核定日期"]                 # CONTRACT §11 order, A..I
    for title in ("核定得分", "核定说明", "核定人", "核定日期"):
        assert not ws.cell(2, cols[title]).protection.locked, title
    for title in ("部门", "指标编号", "测评指标", "分值", "自评得分"):
        assert ws.cell(2, cols[title]).protection.locked, title
    kinds = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert kinds["decimal"].operator == "between" and kinds["decimal"].errorStyle == "stop"
    assert kinds["decimal"].formula1 == "0"
    assert "date" in kinds
    assert int(ws.page_setup.paperSize) == 9 and ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert wb["_meta"].sheet_state == "veryHidden"

    gl = openpyxl.load_workbook(office["round_dir"] / GAP_FILE)
    ws = gl["问题清单"]
    cols = {c.value: c.column for c in ws[1]}
    assert ws.protection.sheet and not ws.protection.sort and not ws.protection.autoFilter
    assert ws.cell(2, cols["问题编号"]).protection.locked
    for title in ("整改状态", "整改情况", "销号日期", "核验人"):
        assert not ws.cell(2, cols[title]).protection.locked, title
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"未整改,整改中,待核验,已销号"'
    assert ws.print_title_rows == "$1:$1" and int(ws.page_setup.paperSize) == 9
    stats = gl["统计"]
    assert stats.page_setup.fitToHeight == 1 and stats.page_setup.fitToWidth == 1
    assert stats.sheet_properties.pageSetUpPr.fitToPage


def office_edits_round_one(office):
    """The office's first pass, with mistakes. Returns the cells typed into."""
    office["run"]()
    base = office["round_dir"]
    cells = edit_reviews(base / REVIEW_FILE, {
        ("办公室", "1.2"): {"核定得分": 4, "核定说明": "会议记录不全", "核定人": "李核", "核定日期": dt.date(2027, 1, 6)},
        ("机关党委", "2.2"): {"核定得分": "1.5分", "核定说明": "公众号更新不及时", "核定人": "李核"},
        ("登记注册科", "2.1"): {"核定得分": 5},                            # agrees: no reason needed
        ("办公室", "2.10"): {"核定得分": "五分", "核定说明": "x"},            # review.not_number
        ("机关党委", "1.1"): {"核定得分": 9, "核定说明": "x"},               # review.out_of_range
        ("登记注册科", "2.10"): {"核定得分": 1},                            # review.reason_missing
        ("机关党委", "1.2"): {"核定得分": 5, "核定说明": "y", "核定日期": "下周"},   # review.date_invalid
    }, mtime=T0)
    return cells


REFUSED_ROUND_ONE = ("review.not_number", "review.out_of_range", "review.reason_missing", "review.date_invalid")


def still_refused(summary: dict) -> list[str]:
    """Rule ids of the errors on round one's refused rows, which stay in 核定表 until corrected."""
    return sorted(f["rule"] for f in summary["office_findings"] if f["file"].endswith(f"{ROUND}/{REVIEW_FILE}"))


def not_refused(summary: dict) -> list[dict]:
    return [f for f in summary["office_findings"] if not f["file"].endswith(f"{ROUND}/{REVIEW_FILE}")]


def test_verified_scores_replace_self_scores_in_every_figure(office):
    cells = office_edits_round_one(office)
    s = summary_of(office["run"]())
    # Indicators by hand: 1.1 min(3, 4) = 3; 1.2 mean(4, 6) = 5; 2.1 lead 登记注册科 5; 2.2 1.5; 2.10 min(2,2,2) = 2.
    ind = by(s["indicators"])
    assert {c: ind[c]["score"] for c in ind} == {"1.1": 3, "1.2": 5, "2.1": 5, "2.2": 1.5, "2.10": 2}
    assert {c: ind[c]["self_score"] for c in ind} == {"1.1": 3, "1.2": 6, "2.1": 5, "2.2": 3, "2.10": 2}
    assert {i["code"]: i["score"] for i in s["items"]} == {"一": 8, "二": 8.5}
    assert s["unit"]["score"] == 16.5 and s["unit"]["self_score"] == 19 and s["unit"]["total"] == 16.5
    assert s["unit"]["passed"] is True                                     # pass line 15
    dept = by(s["departments"], "name")
    assert dept["办公室"]["score"] == 14 and dept["办公室"]["self_score"] == 16        # 3 + 4 + 5 + 2; 3 + 6 + 5 + 2
    assert dept["机关党委"]["score"] == 13.5 and dept["机关党委"]["self_score"] == 15    # 4 + 6 + 1.5 + 2
    assert dept["登记注册科"]["score"] == 7 and dept["登记注册科"]["self_score"] == 7
    assert dept["机关党委"]["rate"] == 0.9
    assert {d: dept[d]["rank"] for d in dept} == {"登记注册科": 1, "机关党委": 2, "办公室": 3}
    entries = {(e["department"], e["indicator"]): e for e in s["entries"]}
    assert entries[("办公室", "1.2")]["score"] == 4 and entries[("办公室", "1.2")]["self_score"] == 6
    # 低分 gaps from verified scores: 1.2 = 4 < 5.4 (一般), 2.2 = 1.5 < 1.8 (严重).
    gaps = {g["key"]: g for g in s["gaps"]}
    assert set(gaps) == {GAP_1_1, GAP_1_2, GAP_2_2}
    assert gaps[GAP_2_2]["severity"] == "严重" and gaps[GAP_1_2]["severity"] == "一般"
    assert gaps[GAP_2_2]["score"] == 1.5 and "核定得分1.5分" in gaps[GAP_2_2]["note"]
    assert s["reviews"] == [
        {"department": "办公室", "indicator": "1.2", "self_score": 6, "score": 4, "reason": "会议记录不全",
         "reviewer": "李核", "date": "2027-01-06"},
        {"department": "机关党委", "indicator": "2.2", "self_score": 3, "score": 1.5, "reason": "公众号更新不及时",
         "reviewer": "李核", "date": ""},
        {"department": "登记注册科", "indicator": "2.1", "self_score": 5, "score": 5, "reason": "", "reviewer": "",
         "date": ""},
    ]
    hit = rules_hit(s)
    score_cell = cells[("登记注册科", "2.10")]["核定得分"]                 # 核定说明 is the next column
    reason_cell = f"{chr(ord(score_cell[0]) + 1)}{score_cell[1:]}"
    assert {r: [(f["sheet"], f["cell"], f["severity"]) for f in fs] for r, fs in hit.items()} == {
        "review.not_number": [("核定表", cells[("办公室", "2.10")]["核定得分"], "error")],
        "review.out_of_range": [("核定表", cells[("机关党委", "1.1")]["核定得分"], "error")],
        "review.reason_missing": [("核定表", reason_cell, "error")],
        "review.date_invalid": [("核定表", cells[("机关党委", "1.2")]["核定日期"], "error")],
    }
    assert "五分" in hit["review.not_number"][0]["message"]
    assert all(f["file"].endswith(REVIEW_FILE) for f in s["office_findings"])
    # The regenerated 核定表 shows what was recorded, and the refused rows as the office typed them,
    # marked red with a comment saying why (CONTRACT §11: what the office typed is never dropped).
    rows = read_sheet(office["round_dir"] / REVIEW_FILE, "核定表", ("部门", "指标编号"))
    assert rows[("办公室", "1.2")]["核定得分"] == 4 and rows[("办公室", "1.2")]["核定说明"] == "会议记录不全"
    assert rows[("办公室", "1.2")]["核定日期"] == dt.datetime(2027, 1, 6)
    assert rows[("机关党委", "2.2")]["核定得分"] == 1.5
    typed = {("办公室", "2.10"): ("五分", "x"), ("机关党委", "1.1"): (9, "x"), ("登记注册科", "2.10"): (1, None),
             ("机关党委", "1.2"): (5, "y")}
    for key, (score, reason) in typed.items():
        assert (rows[key]["核定得分"], rows[key]["核定说明"]) == (score, reason), key
    assert rows[("机关党委", "1.2")]["核定日期"] == "下周"
    wb, ws, cols = sheet_rows(office["round_dir"] / REVIEW_FILE, "核定表")
    marked = {(ws.cell(r, cols["部门"]).value, ws.cell(r, cols["指标编号"]).value): ws.cell(r, cols["核定得分"])
              for r in range(2, ws.max_row + 1)}
    for key in typed:
        assert marked[key].fill.fgColor.rgb.endswith("FFC7CE") and "未采用" in marked[key].comment.text, key
    assert marked[("办公室", "1.2")].comment is None and not marked[("办公室", "1.2")].fill.fgColor.rgb.endswith("FFC7CE")
    history = edit_history(office["output"] / "ledger.sqlite3", ROUND)
    assert {(h["row"], h["field"], h["new"]) for h in history} >= {
        ("办公室|1.2", "score", "4"), ("办公室|1.2", "reason", "会议记录不全"), ("机关党委|2.2", "score", "1.5")}
    assert all(h["file"].endswith(REVIEW_FILE) and h["mtime"] == "2027-01-06T10:00:00" for h in history)


def test_a_refused_edit_stays_and_its_error_repeats_until_corrected(office):
    """CONTRACT §11: the refused values stay in their cells and the errors are reported on every
    run (full or unchanged) until the office corrects or clears the cell."""
    office_edits_round_one(office)
    first = summary_of(office["run"]())
    refused = sorted((f["rule"], f["cell"]) for f in first["office_findings"])
    assert len(refused) == 4
    for n in range(2):
        result = office["run"]()
        again = summary_of(result)
        assert again["reviews"] == first["reviews"] and again["unit"] == first["unit"]
        assert sorted(f["rule"] for f in again["office_findings"]) == [r for r, _ in refused], n
        rows = read_sheet(office["round_dir"] / REVIEW_FILE, "核定表", ("部门", "指标编号"))
        assert rows[("登记注册科", "2.10")]["核定得分"] == 1
    # Corrected: the reason is added, the score taken, the error gone.
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("登记注册科", "2.10"): {"核定说明": "台账缺失"}}, mtime=T0 + 3600)
    fixed = summary_of(office["run"]())
    assert ("登记注册科", "2.10", 1) in {(r["department"], r["indicator"], r["score"]) for r in fixed["reviews"]}
    assert sorted(f["rule"] for f in fixed["office_findings"]) == sorted(
        r for r, _ in refused if r != "review.reason_missing")


def test_clearing_a_verified_score_removes_it(office):
    office_edits_round_one(office)
    office["run"]()
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("办公室", "1.2"): {"核定得分": None}}, mtime=T0 + 3600)
    s = summary_of(office["run"]())
    assert [(r["department"], r["indicator"]) for r in s["reviews"]] == [("机关党委", "2.2"), ("登记注册科", "2.1")]
    assert by(s["indicators"])["1.2"]["score"] == 6
    rows = read_sheet(office["round_dir"] / REVIEW_FILE, "核定表", ("部门", "指标编号"))
    assert rows[("办公室", "1.2")]["核定得分"] is None
    assert rows[("办公室", "1.2")]["核定说明"] == "会议记录不全"        # the other cells are as typed


def test_a_deleted_review_workbook_loses_nothing(office):
    office_edits_round_one(office)
    first = summary_of(office["run"]())
    (office["round_dir"] / REVIEW_FILE).unlink()
    (office["round_dir"] / GAP_FILE).unlink()
    s = summary_of(office["run"]())
    assert s["reviews"] == first["reviews"] and s["unit"]["score"] == 16.5
    rows = read_sheet(office["round_dir"] / REVIEW_FILE, "核定表", ("部门", "指标编号"))
    assert rows[("机关党委", "2.2")]["核定得分"] == 1.5


def test_regenerated_in_a_fresh_round_folder_loses_nothing(office):
    office_edits_round_one(office)
    first = summary_of(office["run"]())
    shutil.rmtree(office["round_dir"])
    s = summary_of(office["run"]())
    assert s["reviews"] == first["reviews"] and s["unit"]["score"] == 16.5


# --- tracking ---------------------------------------------------------------------------------

def tracked_round(office):
    """Round one with three gaps (办公室 1.1 self-assessed low; 1.2 and 机关党委 2.2 verified low)."""
    office_edits_round_one(office)
    office["run"]()
    cells = edit_tracking(office["round_dir"] / GAP_FILE, {
        GAP_1_1: {"整改状态": "整改中", "整改情况": "已补充会议纪要"},
        GAP_1_2: {"整改状态": "已销号", "核验人": "赵验"},                       # tracking.close_incomplete
        GAP_2_2: {"整改状态": "已完成", "整改情况": "公众号已恢复更新", "销号日期": "月底"},  # status_invalid + date_invalid
    }, mtime=T0 + 600)
    return cells


def test_tracking_states_read_back_and_judged(office):
    cells = tracked_round(office)
    s = summary_of(office["run"]())
    gaps = {g["key"]: g for g in s["gaps"]}
    assert gaps[GAP_1_1]["tracking"] == {"status": "整改中", "note": "已补充会议纪要", "closed_on": "", "verifier": ""}
    # close_incomplete: the closing is not taken, the verifier typed with it neither; the previous state stands.
    assert gaps[GAP_1_2]["tracking"] == {"status": "未整改", "note": "", "closed_on": "", "verifier": ""}
    # status_invalid and date_invalid: those two cells are ignored, the note is taken.
    assert gaps[GAP_2_2]["tracking"] == {"status": "未整改", "note": "公众号已恢复更新", "closed_on": "", "verifier": ""}
    assert s["rectification"] == {"total": 3, "未整改": 2, "整改中": 1, "待核验": 0, "已销号": 0}
    assert s["analysis"]["review"]["count"] == 3                       # the report's analysis sees them too
    assert s["analysis"]["rectification"]["by_state"]["整改中"] == 1
    hit = rules_hit(s)
    assert [(f["cell"], f["severity"]) for f in hit["tracking.status_invalid"]] == [(cells[GAP_2_2]["整改状态"], "error")]
    assert [(f["cell"], f["severity"]) for f in hit["tracking.date_invalid"]] == [(cells[GAP_2_2]["销号日期"], "error")]
    assert [(f["cell"], f["severity"]) for f in hit["tracking.close_incomplete"]] == [
        (cells[GAP_1_2]["整改状态"], "error")]
    assert "销号日期" in hit["tracking.close_incomplete"][0]["message"]
    assert all(f["sheet"] == "问题清单" for r in hit if r.startswith("tracking.") for f in hit[r])
    rows = read_sheet(office["round_dir"] / GAP_FILE, "问题清单", ("问题编号",))
    assert rows[GAP_1_1]["整改状态"] == "整改中" and rows[GAP_1_1]["整改情况"] == "已补充会议纪要"
    # §11: the refused values stay in their cells (the recorded state is still 未整改), the note is taken.
    assert rows[GAP_2_2]["整改状态"] == "已完成" and rows[GAP_2_2]["整改情况"] == "公众号已恢复更新"
    assert rows[GAP_2_2]["销号日期"] == "月底"
    assert rows[GAP_1_2]["整改状态"] == "已销号" and rows[GAP_1_2]["核验人"] == "赵验"


def test_signed_off_but_still_open_is_warned_on_every_run(office):
    tracked_round(office)
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {
        GAP_2_2: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 8), "核验人": "赵验"}}, mtime=T0 + 1200)
    for _ in range(2):
        s = summary_of(office["run"]())
        gaps = {g["key"]: g for g in s["gaps"]}
        assert gaps[GAP_2_2]["tracking"] == {"status": "已销号", "note": "公众号已恢复更新", "closed_on": "2027-01-08",
                                            "verifier": "赵验"}
        warned = rules_hit(s)["tracking.closed_but_open"]
        assert len(warned) == 1 and warned[0]["severity"] == "warning" and GAP_2_2 in warned[0]["message"]
        assert s["rectification"]["已销号"] == 1


def test_unknown_rows_and_gaps_are_warned_and_ignored(office):
    office["run"]()
    base = office["round_dir"]
    wb, ws, cols = sheet_rows(base / REVIEW_FILE, "核定表")
    ws.cell(2, cols["指标编号"]).value = "2.2"        # 办公室 has no 2.2
    ws.cell(2, cols["核定得分"]).value = 1
    ws.cell(2, cols["核定说明"]).value = "z"
    r = ws.max_row + 1
    ws.cell(r, cols["部门"]).value = "后勤处"          # no such department
    ws.cell(r, cols["指标编号"]).value = "1.1"
    ws.cell(r, cols["核定得分"]).value = 1
    wb.save(base / REVIEW_FILE)
    wb, ws, cols = sheet_rows(base / GAP_FILE, "问题清单")
    ws.cell(2, cols["问题编号"]).value = "低分|办公室|9.9"
    ws.cell(2, cols["整改状态"]).value = "整改中"
    ws.cell(3, cols["问题编号"]).value = "逾期|后勤处|-"          # a row added by hand, nothing else typed
    wb.save(base / GAP_FILE)
    s = summary_of(office["run"]())
    hit = rules_hit(s)
    assert [(f["cell"], f["severity"]) for f in hit["review.unknown_row"]] == [
        (ws_cell(cols_of(base, "指标编号"), 2), "warning"), (f"A{r}", "warning")]
    assert "后勤处" in hit["review.unknown_row"][1]["message"]
    assert [(f["cell"], f["severity"]) for f in hit["tracking.unknown_gap"]] == [
        (ws_cell(cols["问题编号"], 2), "warning"), (ws_cell(cols["问题编号"], 3), "warning")]
    assert "低分|办公室|9.9" in hit["tracking.unknown_gap"][0]["message"]
    assert s["reviews"] == [] and s["gaps"][0]["tracking"]["status"] == "未整改"


def ws_cell(column: int, row: int) -> str:
    return f"{openpyxl.utils.get_column_letter(column)}{row}"


def cols_of(base, title):
    ws = openpyxl.load_workbook(base / REVIEW_FILE)["核定表"]
    return {c.value: c.column for c in ws[1]}[title]


# --- copies: mailed back, stale, open in Excel, saved by LibreOffice --------------------------

def test_a_copy_in_the_input_folder_is_an_office_file(office):
    office["run"]()
    copy = office["input"] / "回收" / "核定表（李核）.xlsx"
    copy.parent.mkdir()
    shutil.copy(office["round_dir"] / REVIEW_FILE, copy)
    shutil.copy(office["round_dir"] / GAP_FILE, office["input"] / "问题清单（回）.xlsx")
    assert is_office_workbook(copy) and not is_office_workbook(office["input"] / "办公室.xlsx")
    edit_reviews(copy, {("机关党委", "2.2"): {"核定得分": 2, "核定说明": "更新偏少"}}, mtime=T0)
    edit_tracking(office["input"] / "问题清单（回）.xlsx", {GAP_1_1: {"整改状态": "待核验"}}, mtime=T0)
    s = summary_of(office["run"]())
    status = {Path(x["file"]).name: x for x in s["submissions"]}
    assert status["核定表（李核）.xlsx"]["status"] == "office"
    assert status["问题清单（回）.xlsx"]["status"] == "office"
    assert status["核定表（李核）.xlsx"]["department"] is None
    assert [(r["department"], r["indicator"], r["score"]) for r in s["reviews"]] == [("机关党委", "2.2", 2)]
    assert {(h["row"], h["field"]) for h in edit_history(office["output"] / "ledger.sqlite3")
            if h["file"].endswith("input/回收/核定表（李核）.xlsx")} == {("机关党委|2.2", "score"), ("机关党委|2.2", "reason")}
    assert s["gaps"][0]["tracking"]["status"] == "待核验"
    assert not [x for x in s["submissions"] if x["status"] == "rejected"]
    # Read again on every run (it stays in input/): nothing is applied twice, nothing reported.
    again = summary_of(office["run"]())
    assert again["reviews"][0]["score"] == 2 and again["office_findings"] == []
    assert len(edit_history(office["output"] / "ledger.sqlite3")) == 3


def test_a_stale_copy_does_not_undo_a_later_edit(office):
    office["run"]()
    stale = office["input"] / "核定表（旧）.xlsx"
    shutil.copy(office["round_dir"] / REVIEW_FILE, stale)
    edit_reviews(stale, {("机关党委", "2.2"): {"核定得分": 1, "核定说明": "旧意见"}}, mtime=T0)
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("机关党委", "2.2"): {"核定得分": 2.5, "核定说明": "新意见"}},
                 mtime=T0 + 3600)
    s = summary_of(office["run"]())                  # both read in one run: the newer file wins
    assert [(r["score"], r["reason"]) for r in s["reviews"]] == [(2.5, "新意见")]
    s = summary_of(office["run"]())                  # the stale copy is still there on the next run
    assert [(r["score"], r["reason"]) for r in s["reviews"]] == [(2.5, "新意见")]
    # A stale copy dropped in only now, after the newer edit was recorded, loses too.
    late = office["input"] / "核定表（更旧）.xlsx"
    shutil.copy(stale, late)
    edit_reviews(late, {("机关党委", "2.2"): {"核定得分": 0.5}}, mtime=T0 - 3600)
    s = summary_of(office["run"]())
    assert [(r["score"], r["reason"]) for r in s["reviews"]] == [(2.5, "新意见")]
    # An untouched row of a stale copy is no edit at all: it does not undo anything either.
    assert by(s["indicators"])["2.2"]["score"] == 2.5
    # Clearing the score later is an edit like any other: the stale copies do not bring it back.
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("机关党委", "2.2"): {"核定得分": None, "核定说明": None}},
                 mtime=T0 + 7200)
    for _ in range(2):
        s = summary_of(office["run"]())
        assert s["reviews"] == [] and by(s["indicators"])["2.2"]["score"] == 3


def test_a_file_open_in_excel_is_read_and_its_owner_file_ignored(office):
    office["run"]()
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("机关党委", "2.2"): {"核定得分": 2, "核定说明": "偏少"}}, mtime=T0)
    (office["round_dir"] / "~$核定表.xlsx").write_bytes(b"\x0cowner")
    (office["input"] / "~$核定表.xlsx").write_bytes(b"\x0cowner")
    s = summary_of(office["run"]())
    assert [r["score"] for r in s["reviews"]] == [2]
    assert {Path(x["file"]).name: x["status"] for x in s["submissions"]}["~$核定表.xlsx"] == "ignored"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_a_copy_saved_by_libreoffice(office, tmp_path):
    office_edits_round_one(office)
    office["run"]()
    tracked = office["round_dir"] / GAP_FILE
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("办公室", "2.1"): {"核定得分": 4, "核定说明": "窗口标识缺失",
                                                                       "核定日期": dt.date(2027, 1, 9)}})
    edit_tracking(tracked, {GAP_1_1: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 9), "核验人": "赵验"}})
    converted = tmp_path / "lo"
    for name in (REVIEW_FILE, GAP_FILE):
        src = tmp_path / "src" / name
        src.parent.mkdir(exist_ok=True)
        shutil.copy(office["round_dir"] / name, src)
        subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--convert-to", "xlsx", "--outdir", str(converted), str(src)],
                       check=True, capture_output=True, timeout=180)
        (office["round_dir"] / name).unlink()
        shutil.copy(converted / name, office["input"] / f"LO_{name}")
    s = summary_of(office["run"]())
    reviews = {(r["department"], r["indicator"]): r for r in s["reviews"]}
    assert reviews[("办公室", "2.1")]["score"] == 4 and reviews[("办公室", "2.1")]["date"] == "2027-01-09"
    assert reviews[("机关党委", "2.2")]["score"] == 1.5                # untouched rows are no edits
    assert set(reviews) == {("办公室", "1.2"), ("登记注册科", "2.1"), ("机关党委", "2.2"), ("办公室", "2.1")}
    gaps = {g["key"]: g for g in s["gaps"]}
    assert gaps[GAP_1_1]["tracking"] == {"status": "已销号", "note": "", "closed_on": "2027-01-09", "verifier": "赵验"}
    # Round one's refused rows are still in the copy, still refused (§11: until corrected).
    assert sorted(f["rule"] for f in s["office_findings"] if f["rule"] != "tracking.closed_but_open") == [
        "review.date_invalid", "review.not_number", "review.out_of_range", "review.reason_missing"]
    assert {Path(x["file"]).name: x["status"] for x in s["submissions"]}[f"LO_{REVIEW_FILE}"] == "office"


# --- across rounds ----------------------------------------------------------------------------

def test_tracking_follows_a_persisting_gap_and_stays_on_a_closed_one(office):
    tracked_round(office)
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {
        GAP_2_2: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 8), "核验人": "赵验"}}, mtime=T0 + 1200)
    first = summary_of(office["run"]())
    assert {g["key"] for g in first["gaps"]} == {GAP_1_1, GAP_1_2, GAP_2_2}
    s = summary_of(office["run"]("第二轮"))
    # Verified scores stay in their round: 1.2 and 2.2 are back to the self-scores (full), their gaps gone.
    assert s["reviews"] == [] and s["unit"]["score"] == 19
    gaps = {g["key"]: g for g in s["gaps"]}
    assert set(gaps) == {GAP_1_1}
    assert gaps[GAP_1_1]["state"] == "持续"
    assert gaps[GAP_1_1]["tracking"] == {"status": "整改中", "note": "已补充会议纪要", "closed_on": "", "verifier": ""}
    closed = {g["key"]: g for g in s["closed_gaps"]}
    assert set(closed) == {GAP_1_2, GAP_2_2}
    assert closed[GAP_2_2]["tracking"] == {"status": "已销号", "note": "公众号已恢复更新", "closed_on": "2027-01-08",
                                          "verifier": "赵验"}
    assert closed[GAP_1_2]["tracking"]["status"] == "未整改"
    assert s["rectification"] == {"total": 1, "未整改": 0, "整改中": 1, "待核验": 0, "已销号": 0}
    rows = read_sheet(office["output"] / "第二轮" / GAP_FILE, "问题清单", ("问题编号",))
    assert rows[GAP_1_1]["整改状态"] == "整改中" and rows[GAP_1_1]["整改情况"] == "已补充会议纪要"
    # Last round's gaps that are gone are listed apart, to be signed off there.
    gone = read_sheet(office["output"] / "第二轮" / GAP_FILE, "已消除问题", ("问题编号",))
    assert set(gone) == {GAP_1_2, GAP_2_2} and gone[GAP_2_2]["整改状态"] == "已销号"
    wb, ws, cols = sheet_rows(office["output"] / "第二轮" / GAP_FILE, "已消除问题")
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, cols["问题编号"]).value == GAP_1_2)
    ws.cell(row, cols["整改状态"]).value = "已销号"
    ws.cell(row, cols["销号日期"]).value = "2027年3月31日"
    ws.cell(row, cols["核验人"]).value = "赵验"
    wb.save(office["output"] / "第二轮" / GAP_FILE)
    touch(office["output"] / "第二轮" / GAP_FILE, T0 + 3600)
    s = summary_of(office["run"]("第二轮"))
    closed = {g["key"]: g for g in s["closed_gaps"]}
    assert closed[GAP_1_2]["tracking"] == {"status": "已销号", "note": "", "closed_on": "2027-03-31", "verifier": "赵验"}
    assert s["office_findings"] == [] and s["rectification"]["已销号"] == 0      # counted over gaps only
    # The new round's tracking is its own: editing it leaves round one's as it was.
    edit_tracking(office["output"] / "第二轮" / GAP_FILE, {GAP_1_1: {"整改状态": "待核验"}}, mtime=T0 + 7200)
    s = summary_of(office["run"]("第二轮"))
    assert s["gaps"][0]["tracking"]["status"] == "待核验"
    first_again = summary_of(office["run"](ROUND))
    assert {g["key"]: g for g in first_again["gaps"]}[GAP_1_1]["tracking"]["status"] == "整改中"


def test_every_office_rule_id_is_produced_by_a_test():
    produced = {"review.not_number", "review.out_of_range", "review.reason_missing", "review.date_invalid",
                "review.unknown_row", "tracking.status_invalid", "tracking.close_incomplete",
                "tracking.date_invalid", "tracking.unknown_gap", "tracking.closed_but_open",
                "review.duplicate_row",                 # tests/test_office_duplicates.py
                "tracking.extension_invalid"}           # tests/test_followup_extensions.py
    assert OFFICE_RULES == produced
    severity = {rule: CATALOGUE[rule][0] for rule in OFFICE_RULES}
    assert {r for r, s in severity.items() if s == "warning"} == {
        "review.unknown_row", "tracking.unknown_gap", "tracking.closed_but_open"}


# --- odd copies -------------------------------------------------------------------------------

def test_a_pasted_copy_without_meta_counts_only_what_differs_from_the_ledger(office):
    office_edits_round_one(office)
    office["run"]()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "核定表"
    ws.append(["说明：创建办核定意见"])                            # a title row above the header
    ws.append(["部门", "指标编号", "核定得分", "核定说明"])
    ws.append(["局办公室", "1.2", 4, "会议记录不全"])               # an alias; same as recorded: no edit
    ws.append(["机关党委", "2.2", 2, "抽查后上调"])                 # a real edit
    path = office["input"] / "核定意见.xlsx"
    wb.save(path)
    touch(path, T0 + 60)
    s = summary_of(office["run"]())
    reviews = {(r["department"], r["indicator"]): r for r in s["reviews"]}
    assert reviews[("机关党委", "2.2")]["score"] == 2 and reviews[("机关党委", "2.2")]["reason"] == "抽查后上调"
    assert reviews[("办公室", "1.2")]["reviewer"] == "李核"          # columns it lacks are left alone
    assert still_refused(s) == sorted(REFUSED_ROUND_ONE) and not_refused(s) == []


def test_clearing_a_tracking_state_means_not_started(office):
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": "整改中"}}, mtime=T0)
    assert summary_of(office["run"]())["gaps"][0]["tracking"]["status"] == "整改中"
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": None}}, mtime=T0 + 60)
    s = summary_of(office["run"]())
    assert s["gaps"][0]["tracking"]["status"] == "未整改" and s["office_findings"] == []


def test_an_unreadable_office_copy_is_reported_and_changes_nothing(office):
    office_edits_round_one(office)
    first = summary_of(office["run"]())
    broken = office["input"] / "核定表（坏）.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="核定表" sheetId="1"/></sheets></workbook>')
    assert is_office_workbook(broken)
    s = summary_of(office["run"]())
    assert s["reviews"] == first["reviews"]
    sub = next(x for x in s["submissions"] if x["file"].endswith("核定表（坏）.xlsx"))
    assert sub["status"] == "office" and [f["rule"] for f in sub["findings"]] == ["file.unreadable"]
    assert [f["rule"] for f in not_refused(s)] == ["file.unreadable"]


def test_a_department_workbook_with_an_extra_gap_sheet_is_still_a_submission(office, small_rules):
    wb = filled(small_rules, "登记注册科")
    wb.create_sheet("问题清单")
    path = office["input"] / "登记注册科.xlsx"
    wb.save(path)
    assert not is_office_workbook(path)
    s = summary_of(office["run"]())
    assert {Path(x["file"]).name: x["status"] for x in s["submissions"]}["登记注册科.xlsx"] == "accepted"


def test_a_deleted_tracking_column_is_reported(office):
    office["run"]()
    wb, ws, cols = sheet_rows(office["round_dir"] / GAP_FILE, "问题清单")
    ws.cell(2, cols["整改状态"]).value = "待核验"
    ws.delete_cols(cols["核验人"])
    wb.save(office["round_dir"] / GAP_FILE)
    s = summary_of(office["run"]())
    assert s["gaps"][0]["tracking"]["status"] == "待核验"
    missing = rules_hit(s)["header.missing"]
    assert len(missing) == 1 and "核验人" in missing[0]["message"] and missing[0]["sheet"] == "问题清单"


def test_is_office_workbook_is_cheap_and_safe(tmp_path):
    assert not is_office_workbook(tmp_path / "absent.xlsx")
    (tmp_path / "text.xlsx").write_text("not a zip", encoding="utf-8")
    assert not is_office_workbook(tmp_path / "text.xlsx")
    with zipfile.ZipFile(tmp_path / "gaps.xlsx", "w") as zf:
        zf.writestr("xl/workbook.xml", '<x:workbook xmlns:x="s"><x:sheets><x:sheet name="问题清单 " sheetId="1"/>'
                                       '</x:sheets></x:workbook>')
    assert is_office_workbook(tmp_path / "gaps.xlsx")


def test_a_verified_score_overrides_a_computed_one(tmp_path):
    from test_datasets import e2e_rules, run_round

    rules = e2e_rules()
    first = run_round(rules, tmp_path)                   # 2.10 computed: 办公室 4/3, 机关党委 0, 登记注册科 2
    assert next(i for i in first["indicators"] if i["code"] == "2.10")["score"] == pytest.approx(10 / 9)
    base = tmp_path / "output" / first["round"]
    rows = read_sheet(base / REVIEW_FILE, "核定表", ("部门", "指标编号"))
    assert rows[("办公室", "2.10")]["自评得分"] == pytest.approx(4 / 3)      # the score that counts now
    edit_reviews(base / REVIEW_FILE, {("机关党委", "2.10"): {"核定得分": 2, "核定说明": "平台漏计，已补录"}}, mtime=T0)
    s = run(rules, tmp_path / "input", tmp_path / "output", clock=lambda: dt.datetime(2027, 1, 6, 9)).summary
    assert [(r["department"], r["indicator"], r["self_score"], r["score"]) for r in s["reviews"]] == [
        ("机关党委", "2.10", 0, 2)]
    ind = next(i for i in s["indicators"] if i["code"] == "2.10")
    assert ind["score"] == pytest.approx((4 / 3 + 2 + 2) / 3) and ind["self_score"] == pytest.approx(10 / 9)
    assert not [g for g in s["gaps"] if g["key"] == "低分|机关党委|2.10"]


def test_a_rejected_tracking_edit_stays_in_its_cell_and_is_reported_every_run(office):
    """CONTRACT §11: the refused value stays in its cell, marked and commented, what is recorded
    stays 未整改, and the error is reported on every run (full, or unchanged) until corrected."""
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": "差不多了"}}, mtime=T0)
    for n in range(3):
        result = office["run"]()
        s = summary_of(result)
        assert s["gaps"][0]["tracking"]["status"] == "未整改"
        rows = read_sheet(office["round_dir"] / GAP_FILE, "问题清单", ("问题编号",))
        assert rows[GAP_1_1]["整改状态"] == "差不多了", n
        assert [f["rule"] for f in s["office_findings"]] == ["tracking.status_invalid"], n
        if n == 1:
            os.utime(office["round_dir"] / GAP_FILE, (T0 + 7200, T0 + 7200))   # a full run reads it again
    wb, ws, cols = sheet_rows(office["round_dir"] / GAP_FILE, "问题清单")
    cell = next(ws.cell(r, cols["整改状态"]) for r in range(2, ws.max_row + 1) if ws.cell(r, cols["问题编号"]).value == GAP_1_1)
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "未采用" in cell.comment.text
    # Corrected: taken, the mark and the error gone.
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": "整改中"}}, mtime=T0 + 9000)
    s = summary_of(office["run"]())
    assert s["gaps"][0]["tracking"]["status"] == "整改中" and s["office_findings"] == []


def test_an_ignored_edit_is_gone_from_the_regenerated_gap_list(office):
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": "整改中"}}, mtime=T0 + 60)
    office["run"]()
    office["run"]()                                      # the same summary twice: reports may be reused
    # Typed into the current file, but the file claims to be older than the recorded edit: ignored.
    edit_tracking(office["round_dir"] / GAP_FILE, {GAP_1_1: {"整改状态": "待核验"}}, mtime=T0)
    s = summary_of(office["run"]())
    assert s["gaps"][0]["tracking"]["status"] == "整改中"
    rows = read_sheet(office["round_dir"] / GAP_FILE, "问题清单", ("问题编号",))
    assert rows[GAP_1_1]["整改状态"] == "整改中"


def test_the_office_workbooks_may_be_longer_than_a_departments(tmp_path, small_rules, save):
    """核定表 has a row per (department, indicator): 14,001 rows at 1,000 departments, far over the
    5,000 rows a department's workbook may have. It is read with the long-sheet limits, as data
    workbooks are, and an edit in it counts (found at 1,000 departments, where every run warned
    file.too_large on our own 核定表 and ignored the office's edits)."""
    extra = "".join(f"  - name: 科室{k:02d}\n" for k in range(20))      # each on 2.10 (departments: all)
    rules = parse_rules(SMALL_RULES.replace("departments:\n", "departments:\n" + extra, 1), "many.yaml")
    rules = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_rows=20))
    inp, out = tmp_path / "input", tmp_path / "output"
    for dept in rules.department_names():
        save(filled(rules, dept), f"{dept}.xlsx", inp)
    clock = Clock()
    first = run(rules, inp, out, round_name=ROUND, as_of=AS_OF, clock=clock)
    assert {s["status"] for s in summary_of(first)["submissions"]} == {"accepted"}
    review = out / ROUND / REVIEW_FILE
    assert openpyxl.load_workbook(review, read_only=True)["核定表"].max_row > 20
    edit_reviews(review, {("办公室", "1.1"): {"核定得分": 2, "核定说明": "台账不全", "核定人": "王五",
                                            "核定日期": dt.date(2027, 1, 4)}})
    second = summary_of(run(rules, inp, out, round_name=ROUND, as_of=AS_OF, clock=clock))
    assert [f["rule"] for f in second["office_findings"]] == []
    assert [(r["department"], r["indicator"], r["score"]) for r in second["reviews"]] == [("办公室", "1.1", 2)]


def test_a_review_workbook_cut_short_inside_a_sheet_is_a_finding(office):
    """Rows are streamed (read-only mode), so damage inside the sheet's XML shows while the rows are
    read: still the office's finding, never a failed run."""
    office["run"]()
    path = office["round_dir"] / REVIEW_FILE
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet][:len(parts[sheet]) // 2]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    s = summary_of(office["run"]())
    assert [(f["rule"], f["file"].endswith(REVIEW_FILE)) for f in s["office_findings"]] == [("file.unreadable", True)]


def test_a_closing_on_a_gap_still_open_leaves_the_next_rerun_unchanged(office):
    """Issue 17.11: tracking.closed_but_open is warned on every run while it holds, from the
    summary of an unchanged rerun too, so a 销号 no longer makes every rerun a full one."""
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE,
                  {GAP_1_1: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 6), "核验人": "赵验"}}, mtime=T0)
    first = office["run"]()
    assert not first.unchanged
    assert [f["rule"] for f in summary_of(first)["office_findings"]] == ["tracking.closed_but_open"]
    again = office["run"]()
    assert again.unchanged
    assert [f["rule"] for f in again.summary["office_findings"]] == ["tracking.closed_but_open"]


def test_a_verified_score_may_be_zero_or_the_max_and_nothing_outside(office):
    """§11 review.out_of_range: 核定得分 below 0 or above the indicator's max; 0 and max themselves
    are recorded (1.1 max 4, 1.2 max 6, 2.1 max 5, 2.2 max 3, 2.10 max 2)."""
    office["run"]()
    cells = edit_reviews(office["round_dir"] / REVIEW_FILE, {
        ("办公室", "1.1"): {"核定得分": 0, "核定说明": "无材料"},               # on 0: recorded
        ("办公室", "1.2"): {"核定得分": 6, "核定说明": "复核满分"},             # on max
        ("机关党委", "1.1"): {"核定得分": -0.5, "核定说明": "x"},              # below 0
        ("机关党委", "2.2"): {"核定得分": 3.5, "核定说明": "x"},               # above max
        ("登记注册科", "2.1"): {"核定得分": 4.5, "核定说明": "窗口标识缺失"},    # inside
    }, mtime=T0)
    s = summary_of(office["run"]())
    out = [f["cell"] for f in rules_hit(s).get("review.out_of_range", [])]
    assert sorted(out) == sorted([cells[("机关党委", "1.1")]["核定得分"], cells[("机关党委", "2.2")]["核定得分"]])
    assert {(r["department"], r["indicator"]): r["score"] for r in s["reviews"]} == {
        ("办公室", "1.1"): 0, ("办公室", "1.2"): 6, ("登记注册科", "2.1"): 4.5}


@pytest.mark.parametrize("field, typed, stored", [
    ("score", 3, "3"), ("score", 3.0, "3"), ("score", "3", "3"), ("score", " 2.50 ", "2.5"), ("score", "4分", "4"),
    ("score", 0.1 + 0.2, "0.3"), ("score", "五分", "五分"), ("score", None, ""),
    ("date", dt.datetime(2027, 1, 6), "2027-01-06"), ("date", "2027/1/6", "2027-01-06"), ("date", "下周", "下周"),
    ("closed_on", dt.date(2027, 1, 6), "2027-01-06"), ("closed_on", 46393, "2027-01-06"),
    ("status", None, "未整改"), ("status", " 已 销号 ", "已销号"), ("status", "已\u3000销号", "已销号"),
    ("note", "  已补齐台账 ", "已补齐台账"), ("reason", 3, "3"),
])
def test_what_the_office_typed_is_compared_in_one_canonical_form(field, typed, stored):
    """Excel, WPS and LibreOffice save 3 as 3.0, a date as a datetime or a serial number: all compare
    equal to what was written; text is trimmed; a blank 整改状态 is 未整改 (§11)."""
    from scorecard.office.read import norm

    assert norm(field, typed) == stored


@pytest.mark.parametrize("deleted, reported", [(("核验人", "销号日期", "整改情况"), 3),
                                               (("核验人", "销号日期", "整改情况", "整改状态"), 0)])
def test_a_copy_without_any_tracking_column_is_an_old_gap_list_not_a_damaged_one(office, deleted, reported):
    """Our 问题清单 that lost some of its four tracking columns: each lost one is reported; one that has
    none of them is a gap list from before §11 (or a copy for reading only): nothing to report."""
    office["run"]()
    wb, ws, cols = sheet_rows(office["round_dir"] / GAP_FILE, "问题清单")
    for title in sorted(deleted, key=lambda t: -cols[t]):
        ws.delete_cols(cols[title])
    wb.save(office["round_dir"] / GAP_FILE)
    s = summary_of(office["run"]())
    missing = [f for f in rules_hit(s).get("header.missing", []) if f["sheet"] == "问题清单"]
    assert len(missing) == reported


def test_a_verified_score_is_compared_with_the_computed_score_not_the_typed_one(tmp_path):
    """The computed score stands for the self-score (§12): 办公室 typed 1 on 2.10, its data gives 4/3;
    a 核定得分 of 1 differs from what counts, so it needs a 核定说明; 0 for 机关党委 (computed 0) does not."""
    from test_datasets import e2e_rules, run_round

    rules = e2e_rules()
    first = run_round(rules, tmp_path)
    base = tmp_path / "output" / first["round"]
    cells = edit_reviews(base / REVIEW_FILE, {("办公室", "2.10"): {"核定得分": 1, "核定人": "李核"},
                                              ("机关党委", "2.10"): {"核定得分": 0, "核定人": "李核"}}, mtime=T0)
    s = run(rules, tmp_path / "input", tmp_path / "output", clock=lambda: dt.datetime(2027, 1, 6, 9)).summary
    missing = rules_hit(s)["review.reason_missing"]
    assert len(missing) == 1 and missing[0]["cell"][1:] == cells[("办公室", "2.10")]["核定得分"][1:]
    assert [(r["department"], r["indicator"], r["self_score"], r["score"]) for r in s["reviews"]] == [
        ("机关党委", "2.10", 0, 0)]


def test_a_superseded_files_self_score_is_not_the_one_verified_against(office, save):
    """The self-score a 核定得分 is compared with is the accepted file's, not an older one's."""
    rules = office["rules"]
    save(filled(rules, "办公室", rows=full_marks(rules, "办公室", **{"1.1": low(2)}), info={"填报日期": dt.date(2026, 12, 1)}),
         "办公室_旧.xlsx", office["input"])
    office["run"]()
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("办公室", "1.1"): {"核定得分": 3, "核定人": "李核"}}, mtime=T0)
    s = summary_of(office["run"]())
    assert "review.reason_missing" not in rules_hit(s)
    assert [(r["indicator"], r["self_score"], r["score"]) for r in s["reviews"]] == [("1.1", 3, 3)]


def test_tracking_follows_from_last_rounds_summary_when_the_ledger_holds_none(office):
    """A ledger from before tracking was kept per round (no office_tracking rows for round one):
    the tracking of a persisting gap still follows it, from round one's summary in the ledger."""
    import sqlite3

    tracked_round(office)
    first = summary_of(office["run"]())
    assert {g["key"]: g for g in first["gaps"]}[GAP_1_1]["tracking"]["status"] == "整改中"
    with sqlite3.connect(office["output"] / "ledger.sqlite3") as conn:
        conn.execute("DELETE FROM office_tracking WHERE round = ?", (ROUND,))
    conn.close()
    s = summary_of(office["run"]("第二轮"))
    assert {g["key"]: g for g in s["gaps"]}[GAP_1_1]["tracking"] == {
        "status": "整改中", "note": "已补充会议纪要", "closed_on": "", "verifier": ""}


def test_the_edit_history_keeps_each_old_value_oldest_first(office):
    """§11 office_edits: every accepted edit with its old and new value, in the order made; a score
    changed twice shows 4 -> 3.5 after '' -> 4."""
    office_edits_round_one(office)
    office["run"]()
    edit_reviews(office["round_dir"] / REVIEW_FILE, {("办公室", "1.2"): {"核定得分": 3.5}}, mtime=T0 + 3600)
    office["run"]()
    scores = [(h["old"], h["new"]) for h in edit_history(office["output"] / "ledger.sqlite3", ROUND)
              if (h["row"], h["field"]) == ("办公室|1.2", "score")]
    assert scores == [("", "4"), ("4", "3.5")]


def test_a_closed_gap_that_comes_back_starts_untracked(office):
    """§11: tracking follows a gap while it persists. 机关党委 2.2, signed off (已销号) in round one
    and gone in round two, is verified low again in round three: a new gap, 未整改, not 已销号."""
    office_edits_round_one(office)
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {
        GAP_2_2: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 8), "核验人": "赵验"}}, mtime=T0 + 1200)
    assert by(summary_of(office["run"]())["gaps"], "key")[GAP_2_2]["tracking"]["status"] == "已销号"
    second = summary_of(office["run"]("第二轮"))
    assert GAP_2_2 not in by(second["gaps"], "key") and GAP_2_2 in by(second["closed_gaps"], "key")
    office["run"]("第三轮")
    edit_reviews(office["output"] / "第三轮" / REVIEW_FILE, {
        ("机关党委", "2.2"): {"核定得分": 1.5, "核定说明": "公众号又停更", "核定人": "李核"}}, mtime=T0 + 7200)
    third = summary_of(office["run"]("第三轮"))
    gap = by(third["gaps"], "key")[GAP_2_2]
    assert gap["tracking"] == {"status": "未整改", "note": "", "closed_on": "", "verifier": ""}
    assert "tracking.closed_but_open" not in rules_hit(third)


def test_clearing_the_reason_of_a_changed_score_is_refused(office):
    """§11 review.reason_missing: a 核定得分 that differs from the self-score needs a 核定说明, also
    when the score was taken earlier and only the reason is cleared now; the recorded row stands."""
    office_edits_round_one(office)
    office["run"]()
    cells = edit_reviews(office["round_dir"] / REVIEW_FILE, {("办公室", "1.2"): {"核定说明": None}}, mtime=T0 + 3600)
    s = summary_of(office["run"]())
    assert [f["cell"] for f in rules_hit(s)["review.reason_missing"]
            if f["cell"] == cells[("办公室", "1.2")]["核定说明"]] == [cells[("办公室", "1.2")]["核定说明"]]
    assert ("办公室", "1.2", 4, "会议记录不全") in {(r["department"], r["indicator"], r["score"], r["reason"])
                                               for r in s["reviews"]}


def test_signing_off_needs_the_verifier_as_well_as_the_date(office):
    """§11 tracking.close_incomplete: 已销号 without 核验人 (the date given) is not taken."""
    office["run"]()
    edit_tracking(office["round_dir"] / GAP_FILE, {
        GAP_1_1: {"整改状态": "已销号", "销号日期": dt.date(2027, 1, 8)}}, mtime=T0 + 600)
    s = summary_of(office["run"]())
    assert by(s["gaps"], "key")[GAP_1_1]["tracking"]["status"] == "未整改"
    (hit,) = rules_hit(s)["tracking.close_incomplete"]
    assert "未填写核验人" in hit["message"] and "未填写销号日期" not in hit["message"]
