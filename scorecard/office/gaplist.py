"""The gap list as an Excel workbook (问题清单.xlsx): one row per gap, and a 统计 sheet.

Rendered from summary["gaps"] (docs/summary.md), in its order (严重 first). Text a department
typed is always written as text: a value that starts with = + - @ would otherwise become a live
formula in Excel (formula injection), so such cells are stored as strings with Excel's
quote-prefix flag, which also keeps them text when someone edits the cell later.

It is also the office's tracking sheet (CONTRACT.md §11): 问题编号 (the gap's key, locked) and the
unlocked columns 整改状态 (drop-down), 整改情况, 销号日期, 核验人, read back by scorecard.office.apply.
A very hidden _meta sheet records what was written into each tracking cell, so the next run can
tell the office's edits from our own values.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..xlsx import bulk as xlsxbulk
from .read import CLOSED_SHEET, TRACKING, TRACKING_STATES, norm, write_meta
from .write import OFFICE_PRINT, UNLOCKED, RowHeights, column_widths, fit_row_heights, protect, text_width
from ..base.text import fmt_number, xml_safe
from ..xlsx.bulk import Body, quoted, stored
from ..scoring.result import key_of
from ..xlsx.util import fitted_scale, print_a4, print_columns, stop_date, stop_list

GAP_SHEET = "问题清单"
STATS_SHEET = "统计"
KINDS = ("低分", "逾期", "佐证缺失", "佐证存疑", "未报送", "退回", "一票否决")
TOTAL = "合计"
FILL = {"严重": PatternFill("solid", fgColor="FFC7CE"), "一般": PatternFill("solid", fgColor="FFF2CC")}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "宋体"
MAX_WIDTH = {"存在问题": 34, "整改措施": 32, "说明": 44, "测评指标": 22, "部门": 16, "问题编号": 26, "整改情况": 30}
# What a reader of the printed list needs: the gap itself, 序号 to 完成时限 and its 延期至 (the first
# columns); the rest (完成情况, 说明, 问题编号, the tracking columns) stays on screen for the office.
PRINTED_TO = "延期至"
MIN_WIDTH = {"整改状态": 10, "整改情况": 24, "销号日期": 12, "核验人": 10, "延期至": 11, "延期理由": 24}
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
REFUSED_FILL = PatternFill("solid", fgColor="FFC7CE")     # a typed value that was not taken (§11)
# §14 traffic lights: the 预警 cell in the light's colour (strong enough to tell apart when printed grey)
LIGHT_FILL = {"红": PatternFill("solid", fgColor="FF7C80"), "黄": PatternFill("solid", fgColor="FFE699"),
              "绿": PatternFill("solid", fgColor="C6EFCE")}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# (title, how a cell is taken from the gap)
COLUMNS = [
    ("序号", None), ("类型", "kind"), ("程度", "severity"), ("预警", "light"), ("部门", "department"),
    ("指标编号", "indicator"),
    ("测评指标", "indicator_name"), ("存在问题", "problem"), ("整改措施", "measure"), ("责任人", "owner"),
    ("完成时限", "deadline"), ("延期至", "tracking.extended_to"), ("完成情况", "status"), ("状态", "state"),
    ("说明", "note"), ("问题编号", "key"),
    ("整改状态", "tracking.status"), ("整改情况", "tracking.note"), ("销号日期", "tracking.closed_on"),
    ("核验人", "tracking.verifier"), ("延期理由", "tracking.extension_reason"),
]
TRACKING_TITLES = ("整改状态", "整改情况", "销号日期", "核验人", "延期至", "延期理由")
TRACKING_NAMES = ("status", "note", "closed_on", "verifier", "extended_to", "extension_reason")   # their fields
EXTENSION_KEYS = ("tracking.extended_to", "tracking.extension_reason")   # §14: only on open gaps
DATE_TITLES = ("销号日期", "延期至")


def _value(gap: dict, key: str):
    if key == "key":
        return key_of(gap)
    if key == "deadline":               # §14: the 完成时限 first set; an extension is in 延期至
        return gap.get("deadline_original") or gap.get("deadline")
    if key == "tracking.extended_to" and gap.get("deadline_original"):
        return gap.get("deadline")      # the row's standing extension, whichever of its gaps it was typed on
    if key.startswith("tracking."):
        tracking = gap.get("tracking") or {}
        name = key.split(".", 1)[1]
        return tracking.get(name) or ("未整改" if name == "status" else "")
    return gap.get(key)


def _with_state(summary: dict) -> bool:
    return any(g.get("state") for g in summary.get("gaps", [])) or bool(summary.get("previous_round"))


def titles_of(summary: dict) -> list[str]:
    with_state = _with_state(summary)
    return [t for t, key in COLUMNS if with_state or key != "state"]


def tracking_cell(index: int, with_state: bool) -> str:
    """A1 cell of the 整改状态 of gap number `index` (0-based) in the workbook write_gap_xlsx writes;
    with_state: whether it has the 状态 (新增/持续) column, i.e. an earlier round exists."""
    titles = [t for t, key in COLUMNS if with_state or key != "state"]
    return f"{get_column_letter(titles.index('整改状态') + 1)}{index + 2}"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return xml_safe(str(value))


def _rows(gaps: list[dict], titles: list[str]) -> list[list]:
    keys = [dict(COLUMNS)[title] for title in titles]
    return [[no if key is None else _text(_value(gap, key)) for key in keys] for no, gap in enumerate(gaps, 1)]


def _header(ws, titles: list[str]) -> None:
    for col, title in enumerate(titles, 1):
        cell = ws.cell(row=1, column=col, value=title)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(ws, titles: list[str], rows: list[list]) -> None:
    for col, title in enumerate(titles, 1):
        longest = max([text_width(title)] + [max((text_width(line) for line in str(r[col - 1]).split("\n")),
                                                  default=0) for r in rows])
        width = max(6, min(longest + 2, MAX_WIDTH.get(title, 24)))
        ws.column_dimensions[get_column_letter(col)].width = max(width, MIN_WIDTH.get(title, 0))


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


CENTRED = ("序号", "类型", "程度", "预警", "状态", "整改状态", "销号日期", "核验人")
BODY_FONT = Font(name=FONT)
TOP = Alignment(vertical="top", wrap_text=True)
TOP_CENTRED = Alignment(vertical="top", wrap_text=True, horizontal="center")


def _gap_style(centred: bool, editable: bool, fill, date: bool) -> dict:
    style = {"font": BODY_FONT, "border": BORDER, "alignment": TOP_CENTRED if centred else TOP}
    if editable:
        style.update(protection=UNLOCKED, fill=INPUT_FILL)
    elif fill is not None:
        style["fill"] = fill
    if date:
        style["number_format"] = "yyyy-mm-dd"
    return style


def _cell_value(value):
    """What _put leaves in a cell: None for blank text, ISO dates as dates, text as stored."""
    if isinstance(value, str):
        if not value:
            return None
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        return stored(value)
    return value


def _gap_sheet(ws, gaps: list[dict], titles: list[str], with_state: bool, empty: str, heading: str,
               refused: dict | None = None) -> Body | None:
    """One row per gap, the tracking columns open (drop-down, date check), the rest locked.
    Returns the rows to stream into the sheet when the workbook is saved (xlsxbulk).
    refused: gap key -> {"values": field -> as typed, "note": why}: a tracking edit that was not
    taken stays in its cells, red with a comment (CONTRACT §11), and is read again next run."""
    refused = refused or {}
    rows = _rows(gaps, titles)
    marked: set[tuple[int, int]] = set()            # (row, column) of each refused value
    comments: dict[tuple[int, int], str] = {}
    for n, gap in enumerate(gaps):
        typed = refused.get(key_of(gap))
        if not typed:
            continue
        shown = {name: value for name, value in typed["values"].items()
                 if TRACKING_TITLES[TRACKING_NAMES.index(name)] in titles}
        columns = [titles.index(TRACKING_TITLES[TRACKING_NAMES.index(name)]) for name in shown]
        for c, value in zip(columns, shown.values()):
            day = value.date() if isinstance(value, dt.datetime) else value
            rows[n][c] = day.isoformat() if isinstance(day, dt.date) else _text(value)
            marked.add((n + 2, c + 1))
        if columns:
            comments[(n + 2, min(columns) + 1)] = typed["note"]
    _header(ws, titles)
    severity_col = titles.index("程度")
    editable = {titles.index(t) + 1 for t in TRACKING_TITLES if t in titles}
    date_cols = {titles.index(t) + 1 for t in DATE_TITLES if t in titles}
    if not rows and empty:
        ws.cell(row=2, column=1, value=empty).font = Font(name=FONT)
    last = max(2, len(rows) + 1)
    col = {t: get_column_letter(titles.index(t) + 1) for t in TRACKING_TITLES if t in titles}
    stop_list(ws, f"{col['整改状态']}2:{col['整改状态']}{last}", '"' + ",".join(TRACKING_STATES) + '"', "整改状态",
              "请从下拉列表中选择：" + "、".join(TRACKING_STATES) + "。", prompt="销号时须同时填写销号日期和核验人")
    stop_date(ws, f"{col['销号日期']}2:{col['销号日期']}{last}", "销号日期", "请按 2026-12-31 的格式填写日期。")
    if "延期至" in col:
        stop_date(ws, f"{col['延期至']}2:{col['延期至']}{last}", "延期至",
                  "请按 2027-01-31 的格式填写延期后的完成时限（须晚于原完成时限），并填写延期理由。")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"
    _widths(ws, titles, rows)
    body = None
    if rows:
        body = Body(ws, len(rows), len(titles))
        severities = dict.fromkeys(row[severity_col] for row in rows)
        # A date (a column of dates, or an ISO date in any column) has the date format; text that
        # starts like a formula, the quote prefix.
        styles = {(c, severity, date, quote): body.style((c, severity, date), lambda c=c, severity=severity, date=date:
                                                         _gap_style(titles[c - 1] in CENTRED, c in editable,
                                                                    FILL.get(severity), date), quote)
                  for severity in severities for c in range(1, len(titles) + 1)
                  for date in (False, True) for quote in (False, True)}
        red = {(c, date, quote): body.style(("refused", c, date), lambda c=c, date=date: {
            **_gap_style(titles[c - 1] in CENTRED, True, None, date), "fill": REFUSED_FILL}, quote)
            for c in editable for date in (False, True) for quote in (False, True)} if marked else {}
        light_col = titles.index("预警") + 1 if "预警" in titles else None      # not on the closed gaps' sheet
        lights = {(value, quote): body.style(("light", value), lambda value=value: {
            **_gap_style(True, False, None, False), "fill": LIGHT_FILL[value]}, quote)
            for value in LIGHT_FILL for quote in (False, True)}
        body.comments.update(comments)
        height = RowHeights(column_widths(ws))

        def body_rows():
            for r, row in enumerate(rows, 2):
                severity = row[severity_col]
                cells = [_cell_value(v) for v in row]
                yield height(cells), [(v, red[(c, c in date_cols or isinstance(v, dt.date), quoted(v))]
                                       if (r, c) in marked else
                                       lights[(v, False)] if c == light_col and v in LIGHT_FILL else
                                       styles[(c, severity, c in date_cols or isinstance(v, dt.date), quoted(v))])
                                      for c, v in enumerate(cells, 1)]

        body.rows = body_rows()
    else:
        fit_row_heights(ws)
    ws.row_dimensions[1].height = 22
    print_a4(ws, 1, landscape=True, **OFFICE_PRINT)
    print_columns(ws, titles.index(PRINTED_TO if PRINTED_TO in titles else "完成时限") + 1, last)
    ws.oddHeader.center.text = heading
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    protect(ws)
    return body


def _stats_sheet(st, stats: pd.DataFrame) -> Body:
    """Gaps counted by department × kind (stats_frame), the 合计 row in bold."""
    stat_titles = [stats.index.name, *map(str, stats.columns)]
    _header(st, stat_titles)
    st.freeze_panes = "B2"
    _widths(st, stat_titles, [[str(i)] + [fmt_number(v) for v in vals] for i, vals in
                              zip(stats.index, stats.values.tolist())])
    body = Body(st, len(stats), len(stat_titles))
    def style(first: bool, bold: bool, date: bool = False) -> dict:
        out = {"border": BORDER, "font": Font(name=FONT, bold=bold),
               "alignment": Alignment(horizontal="left" if first else "center")}
        return {**out, "number_format": "yyyy-mm-dd"} if date else out

    styles = {(first, bold, date, quote): body.style((first, bold, date), lambda f=first, b=bold, d=date: style(f, b, d),
                                                     quote)
              for first in (True, False) for bold in (True, False) for date in (False, True) for quote in (False, True)}
    height = RowHeights(column_widths(st))

    def body_rows():
        for department, values in zip(stats.index, stats.values.tolist()):
            bold = department == TOTAL
            name = _cell_value(_text(department))
            cells = [name] + [int(v) for v in values]
            yield height(cells), [(name, styles[(True, bold, isinstance(name, dt.date), quoted(name))])] + [
                (v, styles[(False, bold, False, False)]) for v in cells[1:]]

    body.rows = body_rows()
    print_a4(st, 1, landscape=False, one_page=True, **OFFICE_PRINT)
    st.page_setup.scale = fitted_scale(st)
    return body


def write_gap_xlsx(summary: dict, path: Path, *, copy_id: str | None = None, refused: dict | None = None) -> Path:
    """Write the gap list workbook to path and return path. refused: tracking edits not taken,
    by gap key, kept in their cells (see _gap_sheet)."""
    path = Path(path)
    with_state = _with_state(summary)
    wb = Workbook()
    ws = wb.active
    ws.title = GAP_SHEET
    bodies = [_gap_sheet(ws, summary.get("gaps", []), titles_of(summary), with_state, "本轮未发现问题短板。",
                         f"{_text(summary.get('title'))} 问题清单（{_text(summary.get('round'))}）", refused)]
    closed = summary.get("closed_gaps") or []
    if closed:
        # Last round's gaps that are gone: where the office signs them off (已销号, 销号日期, 核验人).
        cs = wb.create_sheet(CLOSED_SHEET)
        bodies.append(_gap_sheet(cs, closed, [t for t, key in COLUMNS if key not in ("state", "light", *EXTENSION_KEYS)],
                                 False, "",
                                 f"{_text(summary.get('title'))} 上轮问题本轮已消除（{_text(summary.get('round'))}）",
                                 refused))
    st = wb.create_sheet(STATS_SHEET)
    bodies.append(_stats_sheet(st, stats_frame(summary)))
    st.oddHeader.center.text = f"{_text(summary.get('title'))} 问题统计（{_text(summary.get('round'))}）"
    written = {key_of(g): {name: norm(name, _value(g, f"tracking.{name}"))
                         for name in TRACKING_NAMES}
               for g in list(summary.get("gaps", [])) + list(summary.get("closed_gaps") or [])}
    write_meta(wb, TRACKING, copy_id or uuid.uuid4().hex, _text(summary.get("round")), written)
    wb.properties.title = f"{_text(summary.get('title'))}问题清单（{_text(summary.get('round'))}）"
    wb.properties.creator = _text(summary.get("organization")) or "scorecard"
    # Replaced, never written through: the file in place may be a hard link to the last run's copy
    # (reports' render cache), which the office may have edited.
    xlsxbulk.save(wb, path, [b for b in bodies if b is not None])
    return path
