"""The gap list as an Excel workbook (问题清单.xlsx): one row per gap, and a 统计 sheet.

Rendered from summary["gaps"] (docs/summary.md), in its order (严重 first). Text a department
typed is always written as text: a value that starts with = + - @ would otherwise become a live
formula in Excel (formula injection), so such cells are stored as strings with Excel's
quote-prefix flag, which also keeps them text when someone edits the cell later.
"""
from __future__ import annotations

import datetime as dt
import re
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .text import display_width, fmt_number, xml_safe
from .xlsxutil import set_text

GAP_SHEET = "问题清单"
STATS_SHEET = "统计"
KINDS = ("低分", "逾期", "佐证缺失", "未报送", "一票否决")
TOTAL = "合计"
FILL = {"严重": PatternFill("solid", fgColor="FFC7CE"), "一般": PatternFill("solid", fgColor="FFF2CC")}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "宋体"
MAX_WIDTH = {"存在问题": 40, "整改措施": 40, "说明": 44, "测评指标": 26}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# (title, how a cell is taken from the gap)
COLUMNS = [
    ("序号", None), ("类型", "kind"), ("程度", "severity"), ("部门", "department"), ("指标编号", "indicator"),
    ("测评指标", "indicator_name"), ("存在问题", "problem"), ("整改措施", "measure"), ("责任人", "owner"),
    ("完成时限", "deadline"), ("完成情况", "status"), ("状态", "state"), ("说明", "note"),
]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return xml_safe(str(value))


def _put(cell, value) -> None:
    """Write value; strings always as text (never a formula), ISO dates as real dates."""
    if isinstance(value, str):
        if not value:
            return
        if _DATE.match(value):
            try:
                cell.value = dt.date.fromisoformat(value)
                cell.number_format = "yyyy-mm-dd"
                return
            except ValueError:
                pass
        set_text(cell, value)
    else:
        cell.value = value


def _rows(summary: dict, with_state: bool) -> list[list]:
    rows = []
    for no, gap in enumerate(summary.get("gaps", []), 1):
        row = []
        for title, key in COLUMNS:
            if key == "state" and not with_state:
                continue
            row.append(no if key is None else _text(gap.get(key)))
        rows.append(row)
    return rows


def _header(ws, titles: list[str]) -> None:
    for col, title in enumerate(titles, 1):
        cell = ws.cell(row=1, column=col, value=title)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(ws, titles: list[str], rows: list[list]) -> None:
    for col, title in enumerate(titles, 1):
        longest = max([display_width(title)] + [max((display_width(line) for line in str(r[col - 1]).split("\n")),
                                                     default=0) for r in rows])
        ws.column_dimensions[get_column_letter(col)].width = max(6, min(longest + 2, MAX_WIDTH.get(title, 24)))


def stats_frame(summary: dict) -> pd.DataFrame:
    """Gaps counted by department (rules order, every department) × kind, with totals."""
    gaps = pd.DataFrame(summary.get("gaps", []), columns=["department", "kind", "severity"])
    departments = [d["name"] for d in summary.get("departments", [])]
    departments += [d for d in gaps["department"].dropna().unique() if d not in departments]
    kinds = list(KINDS) + [k for k in gaps["kind"].dropna().unique() if k not in KINDS]
    table = pd.crosstab(gaps["department"], gaps["kind"]) if len(gaps) else pd.DataFrame()
    table = table.reindex(index=departments, columns=kinds, fill_value=0).fillna(0).astype(int)
    severe = gaps[gaps["severity"] == "严重"].groupby("department").size()
    table[TOTAL] = table[kinds].sum(axis=1)
    table["其中严重"] = severe.reindex(departments, fill_value=0).astype(int)
    table.loc[TOTAL] = table.sum(axis=0)
    table.index.name = "部门"
    return table


class _Styles:
    """The few cell styles of the gap rows, each built once. Assigning Font/Border/Alignment objects
    cell by cell makes openpyxl hash every object against the workbook's style lists (most of the
    time of a large list); a copied StyleArray refers to the same entries directly."""

    def __init__(self, ws):
        self.ws = ws
        self.made: dict = {}

    def get(self, *key):
        style = self.made.get(key)
        if style is None:
            style = self.made[key] = self._make(*key)
        return copy(style)

    def _make(self, fill, centred: bool):
        probe = Cell(self.ws)           # detached: only its style is kept
        probe.font = Font(name=FONT)
        probe.border = BORDER
        probe.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if centred else None)
        if fill is not None:
            probe.fill = fill
        return probe._style


class _StatStyles(_Styles):
    def _make(self, bold: bool, first: bool):
        probe = Cell(self.ws)
        probe.border = BORDER
        probe.font = Font(name=FONT, bold=bold)
        probe.alignment = Alignment(horizontal="left" if first else "center")
        return probe._style


def write_gap_xlsx(summary: dict, path: Path) -> Path:
    """Write the gap list workbook to path and return path."""
    path = Path(path)
    with_state = any(g.get("state") for g in summary.get("gaps", [])) or bool(summary.get("previous_round"))
    titles = [t for t, key in COLUMNS if with_state or key != "state"]
    rows = _rows(summary, with_state)
    wb = Workbook()
    ws = wb.active
    ws.title = GAP_SHEET
    _header(ws, titles)
    severity_col = titles.index("程度")
    styles = _Styles(ws)
    for r, row in enumerate(rows, 2):
        fill = FILL.get(row[severity_col])
        for c, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=c)
            cell._style = styles.get(fill, titles[c - 1] in ("序号", "类型", "程度", "状态"))
            _put(cell, value)
    if not rows:
        ws.cell(row=2, column=1, value="本轮未发现问题短板。").font = Font(name=FONT)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{max(2, len(rows) + 1)}"
    _widths(ws, titles, rows)
    ws.row_dimensions[1].height = 20
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"

    stats = stats_frame(summary)
    st = wb.create_sheet(STATS_SHEET)
    stat_titles = [stats.index.name, *map(str, stats.columns)]
    _header(st, stat_titles)
    stat_styles = _StatStyles(st)
    for r, (department, values) in enumerate(stats.iterrows(), 2):
        _put(st.cell(row=r, column=1), _text(department))
        for c, value in enumerate(values.tolist(), 2):
            st.cell(row=r, column=c, value=int(value))
        for c in range(1, len(stat_titles) + 1):
            cell = st.cell(row=r, column=c)
            cell._style = stat_styles.get(department == TOTAL, c == 1)
    st.freeze_panes = "B2"
    _widths(st, stat_titles, [[str(i)] + [fmt_number(v) for v in vals] for i, vals in
                              zip(stats.index, stats.values.tolist())])
    wb.properties.title = f"{_text(summary.get('title'))}问题清单（{_text(summary.get('round'))}）"
    wb.properties.creator = _text(summary.get("organization")) or "scorecard"
    wb.save(path)
    return path
