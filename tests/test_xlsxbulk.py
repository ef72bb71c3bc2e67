"""xlsxbulk writes body rows as openpyxl would: the same values, types, styles and row heights."""
from __future__ import annotations

import datetime as dt

import openpyxl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

from scorecard.xlsx import bulk as xlsxbulk
from scorecard.base.fsutil import atomic_save_workbook
from scorecard.xlsx.util import set_text

THIN = Side(style="thin", color="A6A6A6")
STYLES = {
    "plain": lambda: {"font": Font(name="宋体"), "border": Border(left=THIN, bottom=THIN),
                      "alignment": Alignment(vertical="top", wrap_text=True)},
    "open": lambda: {"font": Font(name="宋体"), "fill": PatternFill("solid", fgColor="FFFFFF"),
                     "protection": Protection(locked=False)},
    "date": lambda: {"font": Font(name="宋体", bold=True), "number_format": "yyyy-mm-dd"},
}
ROWS = [
    (None, [("部门甲", "plain"), (3.5, "plain"), (dt.date(2027, 1, 9), "date"), (None, "open"), ("", "open")]),
    (40.5, [("=SUM(A1:A3)", "plain"), (7, "plain"), ("不是日期", "date"), ("+86 123", "open"), ("@x", "plain")]),
    (18.0, [("  前后空格 ", "plain"), (0.1 + 0.2, "plain"), (dt.datetime(2026, 12, 31, 18, 30), "date"),
            ("a & b <c> \r\n第二行", "open"), ("控制\x01字符\ufffe", "plain")]),
    (None, [(True, "plain"), (-2, "plain"), (None, "date"), ("-减号开头", "open"), ("x" * 40000, "plain")]),
]


def _header(ws) -> None:
    for col, title in enumerate(["甲", "乙", "丙", "丁", "戊"], 1):
        ws.cell(row=1, column=col, value=title).font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.protection.sheet = True


def _by_openpyxl(path):
    wb = Workbook()
    ws = wb.active
    _header(ws)
    for r, (height, cells) in enumerate(ROWS, 2):
        for c, (value, style) in enumerate(cells, 1):
            cell = ws.cell(row=r, column=c)
            for name, obj in STYLES[style]().items():
                setattr(cell, name, obj)
            if isinstance(value, str) and value:
                set_text(cell, value)
            elif value != "":
                cell.value = value
        if height is not None:
            ws.row_dimensions[r].height = height
    wb.create_sheet("另一张").cell(row=1, column=1, value="后面的工作表")
    atomic_save_workbook(wb, path)


def _by_bulk(path):
    wb = Workbook()
    ws = wb.active
    _header(ws)
    body = xlsxbulk.Body(ws, len(ROWS), 5)
    rows = [(height, [(value, body.style(style, STYLES[style], xlsxbulk.quoted(value))) for value, style in cells])
            for height, cells in ROWS]
    body.rows = iter(rows)
    wb.create_sheet("另一张").cell(row=1, column=1, value="后面的工作表")
    xlsxbulk.save(wb, path, [body])


def _cell(c):
    return (c.value, c.data_type, c.number_format, c.quotePrefix, c.protection.locked, c.font.b, c.font.name,
            c.fill.fgColor.rgb, c.border.left.style, c.border.bottom.style, c.alignment.wrap_text)


def test_rows_read_back_exactly_as_openpyxl_writes_them(tmp_path):
    _by_openpyxl(tmp_path / "a.xlsx")
    _by_bulk(tmp_path / "b.xlsx")
    a, b = openpyxl.load_workbook(tmp_path / "a.xlsx"), openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert a.sheetnames == b.sheetnames
    for x, y in zip(a, b):
        assert x.dimensions == y.dimensions
        assert [[_cell(c) for c in row] for row in x.iter_rows()] == [[_cell(c) for c in row] for row in y.iter_rows()]
        assert ([x.row_dimensions[r].height for r in range(1, 7)] == [y.row_dimensions[r].height for r in range(1, 7)])
        assert x.freeze_panes == y.freeze_panes and x.protection.sheet == y.protection.sheet
    ws = b.active
    assert ws["A3"].value == "=SUM(A1:A3)" and ws["A3"].data_type == "s" and ws["A3"].quotePrefix
    assert ws["C2"].value == dt.datetime(2027, 1, 9) and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["E4"].value == "控制字符" and len(ws["E5"].value) == 32767
    assert not ws["D2"].protection.locked and ws.row_dimensions[3].height == 40.5


def test_read_only_readers_see_every_row(tmp_path):
    """The dimension covers the body (read-only openpyxl and calamine size the sheet by it)."""
    from python_calamine import CalamineWorkbook

    _by_bulk(tmp_path / "b.xlsx")
    ro = openpyxl.load_workbook(tmp_path / "b.xlsx", read_only=True)
    assert ro.active.max_row == len(ROWS) + 1 and ro.active.max_column == 5
    rows = CalamineWorkbook.from_path(str(tmp_path / "b.xlsx")).get_sheet_by_index(0).to_python()
    assert len(rows) == len(ROWS) + 1 and rows[1][0] == "部门甲"


def test_announced_row_count_is_checked_and_nothing_is_left_behind(tmp_path):
    wb = Workbook()
    body = xlsxbulk.Body(wb.active, 3, 2)
    body.rows = iter([(None, [("a", 0)])])
    try:
        xlsxbulk.save(wb, tmp_path / "c.xlsx", [body])
    except ValueError as exc:
        assert "3" in str(exc)
    else:
        raise AssertionError("a short body must fail")
    assert list(tmp_path.iterdir()) == []


def test_a_style_first_used_while_saving_is_refused(tmp_path):
    wb = Workbook()
    body = xlsxbulk.Body(wb.active, 1, 1)
    body.rows = ((None, [("a", body.style("late", STYLES["plain"]))]) for _ in range(1))
    try:
        xlsxbulk.save(wb, tmp_path / "d.xlsx", [body])
    except RuntimeError:
        pass
    else:
        raise AssertionError("a style the style sheet does not hold must fail")
    assert list(tmp_path.iterdir()) == []
