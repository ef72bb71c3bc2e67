"""Document facts read back from a real run of the bundled examples (one returned department,
one that sent nothing): what a reader is told, dates, pagination hints, empty columns, and the
print and validation settings of the workbooks. A LibreOffice render runs where it is installed."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from conftest import ROOT
from scorecard.scoring import analysis
from scorecard.reports import docstyle
from scorecard.cli import main

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
CLOCK = re.compile(r"\d{1,2}:\d{2}")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    assert main(["run", "--input", str(ROOT / "examples" / "input"), "--output", str(out / "o"),
                 "--rules", str(ROOT / "rules.yaml")]) == 0
    (round_dir,) = [p for p in (out / "o").iterdir() if p.is_dir()]
    return round_dir


@pytest.fixture(scope="module")
def summary(run_dir):
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def returned_name(summary) -> str:
    return next(d["name"] for d in summary["departments"] if d.get("submission") == "returned")


def body_paragraphs(path: Path) -> list:
    return docx.Document(str(path)).paragraphs


def keeps_with_next(paragraph) -> bool:
    fmt = paragraph.paragraph_format.keep_with_next
    style = paragraph.style
    while fmt is None and style is not None:
        fmt = style.paragraph_format.keep_with_next
        style = style.base_style
    return bool(fmt)


def test_returned_department_report_lists_every_error_and_the_date(run_dir, summary):
    name = returned_name(summary)
    path = run_dir / "部门报告" / f"{name}.docx"
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "已退回" in text and "不参与排名" in text
    y, m, d = (int(x) for x in summary["resubmit_by"].split("-"))
    assert f"{y}年{m}月{d}日前" in text
    errors = [f for s in summary["submissions"] if s["department"] == name and s["status"] == "rejected"
              for f in s["findings"] if f["severity"] == "error"]
    table = next(t for t in document.tables if "问题及修改要求" in [c.text for c in t.rows[0].cells])
    header = [c.text for c in table.rows[0].cells]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [(r[header.index("单元格")], r[header.index("问题及修改要求")]) for r in rows] == \
        [(f["cell"], f["message"]) for f in errors]


def test_summary_report_lists_returned_apart_and_does_not_rank_them(run_dir, summary):
    name = returned_name(summary)
    document = docx.Document(str(run_dir / "汇总报告.docx"))
    unranked = next(t for t in document.tables if "原因" in [c.text for c in t.rows[0].cells])
    assert name in [r.cells[1].text for r in unranked.rows[1:]]
    ranking = next(t for t in document.tables if [c.text for c in t.rows[0].cells][0] == "名次")
    assert name not in [r.cells[1].text for r in ranking.rows[1:]]
    text = "\n".join(p.text for p in document.paragraphs)
    for needed in ("主送" if False else "领导小组：", "特此报告。", "下一步工作", "失分", "“严重”指"):
        assert needed in text


def test_no_iso_dates_or_clock_times_in_prose(run_dir):
    for path in [run_dir / "汇总报告.docx", *sorted((run_dir / "部门报告").glob("*.docx"))]:
        for p in body_paragraphs(path):
            assert not ISO.search(p.text), (path.name, p.text)
            assert not CLOCK.search(p.text), (path.name, p.text)


def test_report_date_is_as_of(run_dir, summary):
    y, m, d = (int(x) for x in summary["as_of"].split("-"))
    paragraphs = body_paragraphs(run_dir / "汇总报告.docx")
    assert any(p.text == f"{y}年{m}月{d}日" and p.style.name == "落款" for p in paragraphs)


def test_signature_keeps_with_the_text_before(run_dir):
    for path in [run_dir / "汇总报告.docx", run_dir / "部门报告" / "办公室.docx"]:
        paragraphs = body_paragraphs(path)
        last = max(k for k, p in enumerate(paragraphs) if p.style.name == "落款")
        first = min(k for k, p in enumerate(paragraphs) if p.style.name == "落款")
        closing = max(k for k in range(first) if "特此" in paragraphs[k].text)
        for p in paragraphs[closing:last]:
            assert keeps_with_next(p), (path.name, p.text)


def test_no_table_has_an_all_empty_column(run_dir):
    for path in [run_dir / "汇总报告.docx", run_dir / "问题清单.docx", *(run_dir / "部门报告").glob("*.docx")]:
        for table in docx.Document(str(path)).tables:
            rows = table.rows[1:]
            if not rows:
                continue
            for j in range(len(table.rows[0].cells)):
                assert any(r.cells[j].text.strip() for r in rows), (path.name, table.rows[0].cells[j].text)


def test_each_gap_once_in_a_department_report(run_dir, summary):
    document = docx.Document(str(run_dir / "部门报告" / "办公室.docx"))
    mine = [g for g in summary["gaps"] if g["department"] == "办公室"]
    problems = [g["problem"] for g in mine if g["problem"]]
    everything = "\n".join([p.text for p in document.paragraphs]
                           + [c.text for t in document.tables for r in t.rows for c in r.cells])
    for problem in set(problems):
        assert everything.count(problem) == problems.count(problem)


def test_page_numbers_odd_right_even_left_and_line_grid(run_dir):
    document = docx.Document(str(run_dir / "汇总报告.docx"))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    assert section.footer.paragraphs[0].alignment == 2            # right
    assert section.even_page_footer.paragraphs[0].alignment == 0  # left
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and int(grid.get(qn("w:linePitch"))) == 579


def test_workbooks_print_on_a4_with_repeated_headers(run_dir, tmp_path):
    assert main(["template", "--output", str(tmp_path / "t"), "--rules", str(ROOT / "rules.yaml")]) == 0
    books = [*sorted((tmp_path / "t").glob("*.xlsx"))[:2], *sorted((run_dir / "退回").glob("*.xlsx"))]
    assert len(books) >= 3
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            assert int(ws.page_setup.paperSize) == 9, (book.name, ws.title)          # A4
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, (book.name, ws.title)
            if ws.title in ("自评表", "问题说明"):
                assert ws.print_title_rows, (book.name, ws.title)


def test_annotated_copy_is_chinese_only(run_dir):
    (book,) = sorted((run_dir / "退回").glob("*.xlsx"))[:1]
    ws = openpyxl.load_workbook(book)["问题说明"]
    visible = [c for c in ws[ws.max_row] if not ws.column_dimensions[c.column_letter].hidden]
    assert all(not re.search(r"[a-z]+\.[a-z_]+", str(c.value or "")) for c in visible)
    assert not any("/" in str(ws.cell(row=r, column=3).value or "") for r in range(2, 8))


def test_template_validation_stops_bad_values(tmp_path):
    assert main(["template", "--output", str(tmp_path / "t"), "--rules", str(ROOT / "rules.yaml")]) == 0
    ws = openpyxl.load_workbook(sorted((tmp_path / "t").glob("*.xlsx"))[0])["自评表"]
    header = [c.value for c in ws[1]]
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_column[header[rng.min_col - 1]] = dv
    assert by_column["自评得分"].type == "decimal" and by_column["自评得分"].operator == "between"
    assert by_column["完成时限"].type == "date"
    assert by_column["完成情况"].type == "list"
    for title in ("自评得分", "完成时限", "完成情况"):
        assert by_column[title].errorStyle in (None, "stop") and by_column[title].showErrorMessage
    assert ws.protection.sheet and ws.protection.sort is False and ws.protection.autoFilter is False


def test_analysis_splits_the_loss(summary):
    a = analysis.analyse(summary)
    assert abs(a["lost_missing"] + a["lost_returned"] + a["lost_low"] - a["lost"]) < 0.05
    assert a["lost_returned"] > 0 and a["lost_missing"] > 0
    assert a["departments"]["returned"] == [returned_name(summary)]
    assert a["shortfall"] == round(summary["pass_score"] - summary["unit"]["total"], 2)
    kinds = [x["kind"] for x in a["actions"]]
    assert kinds[:2] == ["resubmit", "submit"]
    assert all(x["deadline"] == summary["resubmit_by"] for x in a["actions"][:2])


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")), reason="needs LibreOffice")
def test_renders_with_libreoffice(run_dir, tmp_path):
    result = subprocess.run(["/work/main/.venv/bin/python" if Path("/work/main/.venv/bin/python").exists()
                             else "python", str(ROOT / "tools" / "preview.py"), str(run_dir / "汇总报告.docx"),
                             "--out", str(tmp_path / "pv"), "--dpi", "30"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    pages = sorted((tmp_path / "pv").rglob("*.png"))
    assert 3 <= len(pages) <= 20


def test_an_empty_column_is_dropped_and_its_width_goes_to_the_text_columns():
    document = docx.Document()
    docstyle.apply_styles(document)
    table = document.add_table(rows=3, cols=4)
    docstyle.table_layout(table, [20, 30, 20, 80])          # 编号, 责任人 (empty), 分值, 说明
    for cell, text in zip(table.rows[0].cells, ("编号", "责任人", "分值", "说明")):
        cell.text = text
    docstyle.header_row(table.rows[0])
    for k, row in enumerate(table.rows[1:], 1):
        row.cells[0].text, row.cells[1].text, row.cells[2].text, row.cells[3].text = str(k), " \u3000", "4", "说明"
    grid_before = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert docstyle.drop_empty_columns(document) == 1
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert [c.text for c in table.rows[0].cells] == ["编号", "分值", "说明"]
    assert sum(grid) == sum(grid_before)                          # the table keeps its width
    assert grid[:2] == [grid_before[0], grid_before[2]] and grid[2] == grid_before[3] + grid_before[1]
    for row in table._tbl.iter(qn("w:tr")):
        widths = [tc.find(qn("w:tcPr")).find(qn("w:tcW")) for tc in row.iter(qn("w:tc"))]
        assert [int(w.get(qn("w:w"))) for w in widths] == grid and {w.get(qn("w:type")) for w in widths} == {"dxa"}
    assert docstyle.drop_empty_columns(document) == 0             # nothing left to drop
