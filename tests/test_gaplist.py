"""The Excel gap list (问题清单.xlsx), opened back with openpyxl."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import openpyxl
import pytest

from scorecard.office.gaplist import GAP_SHEET, KINDS, STATS_SHEET, write_gap_xlsx
from scorecard.base.text import display_width
from sample_summary import passing_summary, sample_summary


@pytest.fixture(scope="module")
def summary():
    return sample_summary()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory, summary):
    path = tmp_path_factory.mktemp("gaps") / "问题清单.xlsx"
    assert write_gap_xlsx(summary, path) == path
    return openpyxl.load_workbook(path)


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def records(ws) -> list[dict]:
    titles = header(ws)
    return [dict(zip(titles, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]


def test_one_row_per_gap_in_order(workbook, summary):
    ws = workbook[GAP_SHEET]
    assert header(ws) == ["序号", "类型", "程度", "预警", "部门", "指标编号", "测评指标", "存在问题", "整改措施", "责任人",
                          "完成时限", "延期至", "完成情况", "状态", "说明", "问题编号", "整改状态", "整改情况", "销号日期", "核验人",
                          "延期理由"]
    rows = records(ws)
    assert len(rows) == len(summary["gaps"])
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
    assert [(r["类型"], r["部门"]) for r in rows] == [(g["kind"], g["department"]) for g in summary["gaps"]]
    assert [r["状态"] for r in rows] == [g["state"] for g in summary["gaps"]]


def test_formula_looking_text_stays_text(workbook):
    ws = workbook[GAP_SHEET]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    for text in ("=SUM(A1)", "+1 每月复核一次", "@x", "-2 补齐记录"):
        assert text in cells, text
        assert cells[text].data_type == "s"
        assert cells[text].quotePrefix
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_hostile_and_control_characters(workbook):
    values = [c.value for row in workbook[GAP_SHEET].iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert "会议纪要缺少{{ x }}签字页 & 附件未装订" in values
    assert "<b>张三</b>" in values
    assert any(v.startswith("材料未归档") for v in values)
    assert not any("\x07" in v for v in values)


def test_frozen_header_filter_and_widths(workbook):
    ws = workbook[GAP_SHEET]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:U{ws.max_row}"
    titles = header(ws)
    letter = {t: openpyxl.utils.get_column_letter(i) for i, t in enumerate(titles, 1)}
    assert ws.column_dimensions[letter["存在问题"]].width >= 30        # long Chinese text: wide and wrapped
    assert ws.column_dimensions[letter["序号"]].width <= 8
    assert ws.cell(row=2, column=titles.index("存在问题") + 1).alignment.wrap_text
    assert display_width("价格监督检查科") == 14 and display_width("V2") == 2


def test_severity_colours(workbook):
    ws = workbook[GAP_SHEET]
    titles = header(ws)
    for row in ws.iter_rows(min_row=2):
        severity = row[titles.index("程度")].value
        colour = row[0].fill.fgColor.rgb
        assert colour.endswith({"严重": "FFC7CE", "一般": "FFF2CC"}[severity])


def test_deadlines_are_real_dates(workbook):
    ws = workbook[GAP_SHEET]
    col = header(ws).index("完成时限")
    dates = [row[col].value for row in ws.iter_rows(min_row=2) if row[col].value is not None]
    assert dates and all(isinstance(d, dt.datetime) for d in dates)
    assert dt.datetime(2026, 11, 30) in dates


def test_stats_sheet_counts_match_the_gaps(workbook, summary):
    st = workbook[STATS_SHEET]
    titles = header(st)
    assert titles[0] == "部门" and titles[1:1 + len(KINDS)] == list(KINDS) and "合计" in titles
    rows = {r["部门"]: r for r in records(st)}
    counts = Counter((g["department"], g["kind"]) for g in summary["gaps"])
    for dept in summary["departments"]:
        row = rows[dept["name"]]
        for kind in KINDS:
            assert row[kind] == counts[(dept["name"], kind)]
        assert row["合计"] == sum(1 for g in summary["gaps"] if g["department"] == dept["name"])
    total = rows["合计"]
    assert total["合计"] == len(summary["gaps"])
    for kind in KINDS:
        assert total[kind] == sum(1 for g in summary["gaps"] if g["kind"] == kind)
    assert total["其中严重"] == sum(1 for g in summary["gaps"] if g["severity"] == "严重")


def test_no_gaps_and_no_history(tmp_path):
    path = write_gap_xlsx(passing_summary(), tmp_path / "g.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[GAP_SHEET]
    assert "状态" not in header(ws)                       # no previous round: no 新增/持续 column
    assert ws["A2"].value == "本轮未发现问题短板。"
    total = {r["部门"]: r for r in records(wb[STATS_SHEET])}["合计"]
    assert total["合计"] == 0


# --- the office's tracking columns (CONTRACT.md §11) ------------------------------------------

def test_tracking_columns_keys_and_protection(workbook, summary):
    ws = workbook[GAP_SHEET]
    titles = header(ws)
    rows = records(ws)
    assert [r["问题编号"] for r in rows] == [g["key"] for g in summary["gaps"]]
    assert all(r["整改状态"] == g["tracking"]["status"] == "未整改" for r, g in zip(rows, summary["gaps"]))
    col = {t: titles.index(t) + 1 for t in titles}
    assert ws.protection.sheet and not ws.protection.autoFilter and not ws.protection.sort
    for r in range(2, ws.max_row + 1):
        assert ws.cell(r, col["问题编号"]).protection.locked and ws.cell(r, col["存在问题"]).protection.locked
        for title in ("整改状态", "整改情况", "销号日期", "核验人", "延期至", "延期理由"):
            assert not ws.cell(r, col[title]).protection.locked, (r, title)
    letter = openpyxl.utils.get_column_letter
    by_type = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert by_type["list"].formula1 == '"未整改,整改中,待核验,已销号"' and by_type["list"].errorStyle == "stop"
    assert str(by_type["list"].sqref) == f"{letter(col['整改状态'])}2:{letter(col['整改状态'])}{ws.max_row}"
    dated = {str(r) for dv in ws.data_validations.dataValidation if dv.type == "date" for r in dv.sqref.ranges}
    assert dated == {f"{letter(col[t])}2:{letter(col[t])}{ws.max_row}" for t in ("销号日期", "延期至")}


def test_tracking_values_written_and_remembered_in_meta(tmp_path, summary):
    import copy as _copy
    import json

    tracked = _copy.deepcopy(summary)
    tracked["gaps"][0]["tracking"] = {"status": "已销号", "note": "已整改", "closed_on": "2027-01-08", "verifier": "赵验"}
    wb = openpyxl.load_workbook(write_gap_xlsx(tracked, tmp_path / "g.xlsx"))
    first = records(wb[GAP_SHEET])[0]
    assert (first["整改状态"], first["整改情况"], first["销号日期"], first["核验人"]) == (
        "已销号", "已整改", dt.datetime(2027, 1, 8), "赵验")
    meta = wb["_meta"]
    assert meta.sheet_state == "veryHidden"
    values = json.loads("".join(str(r[1]) for r in meta.iter_rows(values_only=True) if r[0] == "values"))
    assert values[tracked["gaps"][0]["key"]] == {"status": "已销号", "note": "已整改", "closed_on": "2027-01-08",
                                                 "verifier": "赵验", "extended_to": "", "extension_reason": ""}
    assert set(values) == {g["key"] for g in tracked["gaps"] + tracked["closed_gaps"]}


def test_every_sheet_prints_on_a4_with_repeated_headers(workbook):
    for name in workbook.sheetnames:
        ws = workbook[name]
        if ws.sheet_state != "visible":
            continue
        assert int(ws.page_setup.paperSize) == 9, name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, name
    assert workbook[STATS_SHEET].page_setup.fitToHeight == 1                 # 统计 on one page
    assert workbook[GAP_SHEET].page_setup.fitToHeight == 0                   # as many pages as it needs


def test_wrapped_rows_are_tall_enough(workbook):
    ws = workbook[GAP_SHEET]
    titles = header(ws)
    col = titles.index("存在问题") + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    for r in range(2, ws.max_row + 1):
        text = str(ws.cell(r, col).value or "")
        lines = max(1, -(-display_width(text) // max(1, int(width) - 1)))
        assert ws.row_dimensions[r].height >= 14 * lines, (r, text)


def test_closed_gaps_listed_apart_to_sign_off(workbook, summary):
    ws = workbook["已消除问题"]
    rows = records(ws)
    assert [r["问题编号"] for r in rows] == [g["key"] for g in summary["closed_gaps"]]
    titles = header(ws)
    assert "状态" not in titles and titles[-5:] == ["问题编号", "整改状态", "整改情况", "销号日期", "核验人"]
    assert not ws.cell(2, titles.index("整改状态") + 1).protection.locked


def test_the_warning_column_shows_each_open_gaps_light_in_its_colour(summary, tmp_path):
    """CONTRACT §14: a coloured 预警 column; a closed gap (上轮问题本轮已消除) has none."""
    lit = dict(summary)
    lights = ["红", "黄", "绿"]
    lit["gaps"] = [{**g, "light": lights[k % 3]} for k, g in enumerate(summary["gaps"])]
    path = write_gap_xlsx(lit, tmp_path / "问题清单.xlsx")
    ws = openpyxl.load_workbook(path)[GAP_SHEET]
    col = header(ws).index("预警") + 1
    shown = [(ws.cell(r, col).value, ws.cell(r, col).fill.fgColor.rgb[-6:]) for r in range(2, ws.max_row + 1)]
    colours = {"红": "FF7C80", "黄": "FFE699", "绿": "C6EFCE"}
    assert shown == [(lights[k % 3], colours[lights[k % 3]]) for k in range(len(lit["gaps"]))]
    for name in openpyxl.load_workbook(path).sheetnames:
        if name != GAP_SHEET and name.startswith("上轮"):
            assert "预警" not in header(openpyxl.load_workbook(path)[name])
