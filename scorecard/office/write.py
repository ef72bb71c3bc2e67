"""Writing the office's workbook 核定表.xlsx (CONTRACT.md §11), and the sheet habits it shares
with the gap list: locked/unlocked cells, protection that still allows filter and sort, A4 print
setup, row heights for wrapped text, and the hidden _meta sheet that says what was written.

Rendered from the summary alone (entries, indicators, reviews); computes no score.
"""
from __future__ import annotations

import datetime as dt
import math
import uuid
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter

from .read import REVIEW, REVIEW_SHEET, fmt_canonical, norm, review_key, write_meta
from ..base.formatting import rounded
from ..base.text import display_width, xml_safe
from ..xlsx.bulk import Body, quoted, save, stored
from ..xlsx.util import print_a4, print_columns, set_text, stop_date, stop_decimal

FONT = "宋体"
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
REFUSED_FILL = PatternFill("solid", fgColor="FFC7CE")     # a typed value that was not taken (as 退回 marks)
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNLOCKED = Protection(locked=False)
LINE_HEIGHT = 15.0               # points per wrapped line at 11 pt (宋体 in Excel and LibreOffice)
FILL_RATIO = 0.9                 # of a column's width that wrapped Chinese text really fills (word breaks)
MAX_ROW_HEIGHT = 409             # Excel's limit
DATE_FORMAT = "yyyy-mm-dd"

# (title, entry/review key, width, editable)
# The contract's nine columns first, in its order (A..I), then the indicator's own text for reference.
REVIEW_COLUMNS = [
    ("部门", "department", 14, False), ("指标编号", "indicator", 9, False), ("测评指标", "name", 22, False),
    ("分值", "max", 7, False), ("自评得分", "self_score", 9, False),
    ("核定得分", "score", 9, True), ("核定说明", "reason", 30, True), ("核定人", "reviewer", 10, True),
    ("核定日期", "date", 12, True), ("测评标准", "criteria", 36, False), ("测评方法", "method", 12, False),
    ("测评项目", "item_name", 14, False),
]


def protect(ws) -> None:
    """Protected without a password (against accidents), filter, sort and resizing still allowed."""
    p = ws.protection
    p.sheet = True
    p.autoFilter = False
    p.sort = False
    p.formatColumns = False
    p.formatRows = False
    p.formatCells = False


OFFICE_PRINT = {"margin": 0.4, "page_numbers": True}      # the office's workbooks: 核定表, 问题清单


@lru_cache(maxsize=1 << 16)
def text_width(text: str) -> int:
    """display_width, remembered: the same names and texts recur in thousands of rows."""
    return len(text) if text.isascii() else display_width(text)


class RowHeights:
    """Row heights for wrapped text (Excel does not grow rows written by a library on its own),
    from each cell's text and its column's width. Lines per (text, width) are remembered: the
    same names and criteria fill thousands of rows."""

    def __init__(self, widths):
        self.usable = [max(1.0, (w or 8.43) * FILL_RATIO - 1) for w in widths]
        self._lines: dict[tuple[str, float], int] = {}

    def lines(self, text: str, width: float) -> int:
        n = self._lines.get((text, width))
        if n is None:
            n = sum(max(1, math.ceil(text_width(part) / width)) for part in text.split("\n"))
            if len(self._lines) < 200_000:
                self._lines[(text, width)] = n
        return n

    def __call__(self, values, lines: int = 1) -> float:
        """The height of a row of cell values (None: empty) as the cells hold them; lines: at
        least this many (of cells counted apart)."""
        return self.height(self.count(values, lines))

    def count(self, values, lines: int = 1, columns=None) -> int:
        """Lines the row needs (columns: the column of each value, default 0, 1, 2...)."""
        usable = self.usable if columns is None else [self.usable[c] for c in columns]
        for value, width in zip(values, usable):
            if value is not None:
                n = self.lines(value if type(value) is str else str(value), width)
                if n > lines:
                    lines = n
        return lines

    @staticmethod
    def height(lines: int) -> float:
        return min(MAX_ROW_HEIGHT, max(18.0, lines * LINE_HEIGHT + 4))


def column_widths(ws) -> list[float | None]:
    return [ws.column_dimensions[get_column_letter(col)].width for col in range(1, ws.max_column + 1)]


def fit_row_heights(ws, first_row: int = 2) -> None:
    """Row heights for the rows of ws from first_row down (see RowHeights)."""
    height = RowHeights(column_widths(ws))
    for r, values in enumerate(ws.iter_rows(min_row=first_row, values_only=True), first_row):
        ws.row_dimensions[r].height = height(values)


def header(ws, titles: list[str], row: int = 1) -> None:
    for col, title in enumerate(titles, 1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 22


def put(cell, value) -> None:
    """Text always as text (never a live formula); numbers as numbers; date objects as dates."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        set_text(cell, value)
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = value


def _stored(value):
    """A value as put() leaves it in a cell: None for blank, text as set_text stores it."""
    if value is None or value == "":
        return None
    return stored(value) if isinstance(value, str) else value


def date_value(text: str):
    """An ISO date string as a date (so Excel shows and validates it as one); other text as is."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return text


CENTRED = ("department", "indicator", "max", "self_score", "score", "reviewer", "date", "method")
BODY_FONT = Font(name=FONT)
TOP = Alignment(vertical="top", wrap_text=True)
TOP_CENTRED = Alignment(vertical="top", wrap_text=True, horizontal="center")
NUMBER_FORMATS = {"indicator": "@", "date": DATE_FORMAT}


def _cell_style(key: str, editable: bool, refused: bool = False) -> dict:
    style = {"font": BODY_FONT, "border": BORDER, "alignment": TOP_CENTRED if key in CENTRED else TOP,
             "fill": REFUSED_FILL if refused else INPUT_FILL if editable else LOCKED_FILL}
    if editable:
        style["protection"] = UNLOCKED
    if key in NUMBER_FORMATS:
        style["number_format"] = NUMBER_FORMATS[key]
    return style


NOT_SCORED = {"returned": "被退回", "missing": "未报送"}
PRINTED_TO = "测评标准"          # printed: the contract's columns and the criteria; 测评方法, 测评项目 on screen only


# What _meta records for a row the office has typed nothing into (norm() of blank cells).
BLANK_WRITTEN = {"score": "", "reason": "", "reviewer": "", "date": ""}


def review_rows(summary: dict) -> dict[tuple[str, str], dict]:
    """(department, indicator) -> {score, reason, reviewer, date} from summary["reviews"]."""
    return {(r["department"], r["indicator"]): r for r in summary.get("reviews", [])}


def write_review_xlsx(summary: dict, path: Path, rows: dict[tuple[str, str], dict] | None = None, *,
                      copy_id: str | None = None, now: dt.datetime | None = None,
                      refused: dict[tuple[str, str], dict] | None = None) -> Path:
    """Write 核定表.xlsx: a row per (department, assigned indicator) with everything recorded so far.

    rows: the office's recorded values per (department, indicator), including ones without a
    核定得分 (a 核定说明 typed alone); defaults to summary["reviews"].
    refused: rows whose edit was refused ({"values": field -> as typed, "note": why}): the typed
    values stay in their cells, red with a comment, while _meta records what is recorded, so the
    next run reads them as an edit again and repeats the error until the cell is corrected.
    """
    path = Path(path)
    recorded_rows = review_rows(summary) if rows is None else rows
    refused = refused or {}
    indicators = {i["code"]: i for i in summary.get("indicators", [])}
    # Departments in the reports' order (the rules'), each one's indicators in the rules' order.
    order = {d.get("name"): k for k, d in enumerate(summary.get("departments", []))}
    entries = sorted(summary.get("entries", []), key=lambda e: order.get(e["department"], len(order)))
    # A department whose files were all returned, or that sent none, typed no score: say so, not 0.
    unsent = {d.get("name"): NOT_SCORED.get(d.get("submission"), "") for d in summary.get("departments", [])}
    titles = [c[0] for c in REVIEW_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.title = REVIEW_SHEET
    header(ws, titles)
    for i, (_, _, width, _) in enumerate(REVIEW_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    body = Body(ws, len(entries), len(REVIEW_COLUMNS))
    keys = [key for _, key, _, _ in REVIEW_COLUMNS]
    styles = {(key, quote): body.style(key, lambda key=key, editable=editable: _cell_style(key, editable), quote)
              for _, key, _, editable in REVIEW_COLUMNS for quote in (False, True)}
    marked = {(key, quote): body.style(("refused", key), lambda key=key: _cell_style(key, True, True), quote)
              for _, key, _, editable in REVIEW_COLUMNS if editable for quote in (False, True)}
    # A self-score kept exact (4.5454545) shows as the reports write it (4.55): two decimals at
    # most, none for a whole number (Excel's 0.## would leave "4.").
    styles[("self_score:dec", False)] = body.style("self_score:dec", lambda: dict(
        _cell_style("self_score", False), number_format="0.##"))
    height = RowHeights([width for _, _, width, _ in REVIEW_COLUMNS])

    def values_of(entry: dict, recorded: dict) -> dict:
        ind = indicators.get(entry["indicator"], {})
        return {"department": entry["department"], "indicator": entry["indicator"],
                "item_name": entry.get("item_name") or ind.get("item_name", ""), "name": entry.get("name", ""),
                "max": entry.get("max"),
                "self_score": (unsent.get(entry["department"]) if not entry.get("submitted", True)
                               and not entry.get("computed") and unsent.get(entry["department"])
                               else entry.get("self_score", entry.get("score"))),
                "score": recorded.get("score"), "reason": recorded.get("reason", ""),
                "reviewer": recorded.get("reviewer", ""), "date": date_value(recorded.get("date", "")),
                "criteria": ind.get("criteria", ""), "method": ind.get("method", "")}

    # The indicator's own columns repeat in every department's row: their cells and the lines
    # they need are made once per indicator (and whatever the entry repeats of it).
    fixed_keys = ("indicator", "name", "max", "criteria", "method", "item_name")
    fixed_at = [keys.index(k) for k in fixed_keys]
    other_at = [n for n, k in enumerate(keys) if k not in fixed_keys]
    fixed_rows: dict[tuple, tuple[list, int]] = {}

    for number, entry in enumerate(entries, 2):
        typed = refused.get((entry["department"], entry["indicator"]))
        if typed:
            first = next((k for k in keys if k in typed["values"]), keys[0])
            body.comments[(number, keys.index(first) + 1)] = typed["note"]

    def body_rows():
        for entry in entries:
            row_key = (entry["department"], entry["indicator"])
            typed = refused.get(row_key, {}).get("values", {})
            values = values_of(entry, recorded_rows.get(row_key, {}))
            values.update({k: ("" if v is None else v) for k, v in typed.items()})
            signature = tuple(values[k] for k in fixed_keys)
            fixed = fixed_rows.get(signature)
            if fixed is None:
                cells = [_stored(v) for v in signature]
                fixed = fixed_rows[signature] = ([(v, styles[(k, quoted(v))]) for v, k in zip(cells, fixed_keys)],
                                                 height.count(cells, 1, fixed_at))
            row: list = [None] * len(keys)
            for n, cell in zip(fixed_at, fixed[0]):
                row[n] = cell
            others = [_stored(values[keys[n]]) for n in other_at]
            for n, v in zip(other_at, others):
                key = keys[n]
                if key == "self_score" and isinstance(v, float) and rounded(v) != int(rounded(v)):
                    key = "self_score:dec"
                row[n] = (v, (marked if keys[n] in typed else styles)[(key, quoted(v))])
            yield height.height(height.count(others, fixed[1], other_at)), row

    body.rows = body_rows()
    # What each editable cell holds as written (the next run tells the office's edits by it).
    written: dict[str, dict[str, str]] = {}
    for entry in entries:
        recorded = recorded_rows.get((entry["department"], entry["indicator"]))
        if recorded is None:
            mark = BLANK_WRITTEN
        else:
            values = values_of(entry, recorded)
            mark = {"score": "" if values["score"] is None else fmt_canonical(values["score"]),
                    "reason": norm("reason", values["reason"]), "reviewer": norm("reviewer", values["reviewer"]),
                    "date": norm("date", values["date"])}
        written[review_key(entry["department"], entry["indicator"])] = mark
    last = max(2, len(entries) + 1)
    col = {key: get_column_letter(i) for i, (_, key, _, _) in enumerate(REVIEW_COLUMNS, 1)}
    stop_decimal(ws, f"{col['score']}2:{col['score']}{last}", f"{col['max']}2", "核定得分",
                 "核定得分应为 0 到该指标分值之间的数字。", prompt="填写 0 到分值之间的数字；与自评得分不同时须填写核定说明")
    stop_date(ws, f"{col['date']}2:{col['date']}{last}", "核定日期", "请按 2026-12-31 的格式填写日期。")
    if not entries:
        ws.cell(row=2, column=1, value="本轮没有需要核定的指标。").font = Font(name=FONT)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{last}"
    if not entries:
        fit_row_heights(ws)
    print_a4(ws, 1, landscape=True, **OFFICE_PRINT)
    print_columns(ws, titles.index(PRINTED_TO) + 1, last)
    ws.oddHeader.center.text = xml_safe(f"{summary.get('title', '')} 核定表（{summary.get('round', '')}）")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    protect(ws)
    write_meta(wb, REVIEW, copy_id or uuid.uuid4().hex, summary.get("round", ""), written, now)
    wb.properties.title = xml_safe(f"{summary.get('title', '')}核定表（{summary.get('round', '')}）")
    wb.properties.creator = xml_safe(summary.get("organization") or "scorecard")
    save(wb, path, [body])
    return path
