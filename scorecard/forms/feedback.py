"""The annotated copy (退回件) of a rejected submission.

The department gets its own workbook back with every offending cell filled (red for errors,
yellow for warnings) and a comment holding the messages, plus a first sheet 问题说明 that lists
every finding with a link to its cell. When the submission cannot be opened at all, a new
workbook with only 问题说明 is written so the department still receives an explanation.

The original bytes are only ever read (openpyxl loads them from memory); values are never
rewritten, so what the department typed stays exactly as it was. They must be bytes that passed
safety.open_safely: that gate is the one zip-bomb and XML check, and none is repeated here.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..xlsx.package import openpyxl_bytes
from ..base.findings import ERROR, Finding
from ..base.text import display_width, title_key, xml_safe
from ..intake.layout import SCORES, TABLES
from ..xlsx.util import (MAX_CELL_TEXT, one_column_text, print_a4, print_landscape, print_legibly, row_height,
                         set_text)

log = logging.getLogger(__name__)

SHEET = "问题说明"
AUTHOR = "创建办"
ERROR_FILL = "FFC7CE"      # Excel's own "light red fill" preset
WARNING_FILL = "FFEB9C"    # Excel's own "yellow fill" preset
ERROR_ROW_FILL = "FFE5E5"  # lighter, for whole rows of the 问题说明 table
HEADER_FILL = "D9E1F2"

# Findings that mean the reader refused the file as a whole: loading it here would repeat the
# danger (zip bomb, entity tricks) or the cost (too many rows) the reader protected us from.
_NOT_LOADED = {"file.unreadable", "file.unsupported_format", "file.too_large"}

# Standard sheet order, for sorting findings when the workbook itself cannot tell us.
_STANDARD_ORDER = ["基本信息", "自评表", "否决事项", "特色亮点"]
_MAX_ROW, _MAX_COL = 1048576, 16384
_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_LEVEL = {ERROR: "错误", "warning": "提醒"}


def _row_height(text: str, width: float) -> float:
    """问题说明's rows: 16 pt lines, two characters of the width spare."""
    return max(1.0, row_height(text, width, 16, pad=4, spare=2))


@dataclass(frozen=True)
class _Header:
    title: str
    file_label: str
    department: str | None
    round_name: str
    resubmit_by: str = ""


def write_returned(original: bytes | None, findings: list[Finding], out_path: Path, *,
                   file_label: str, department: str | None, round_name: str, rules_title: str,
                   resubmit_by: "dt.date | str | None" = None) -> Path:
    """Write the annotated copy of a rejected submission to out_path and return out_path.

    `original` must be bytes that passed safety.open_safely (SafeFile.data, kept as
    Submission.data), or None when there are none to use: they are loaded with no zip-bomb or
    entity check of their own. Whatever the bytes, a file.unreadable, file.unsupported_format or
    file.too_large finding gives the explanation-only workbook without loading them.

    resubmit_by (a date or ISO text): the date by which to send the corrected file, shown on the
    first sheet. The visible columns are Chinese only: the file is named without the office's
    folders, and the rule id sits in the last column, hidden. Every sheet prints on A4.

    Never raises for a bad original: it falls back to a workbook holding only the 问题说明 sheet.
    """
    out_path = Path(out_path)
    header = _Header(f"{rules_title} 退回说明", file_label, department, round_name, _cn_date(resubmit_by))
    data = None
    wb = _load(original, findings, file_label)
    if wb is not None:
        data = _annotated_bytes(wb, findings, header, file_label)
    if data is None:
        data = _explanation_only_bytes(findings, header)
    out_path.write_bytes(data)
    return out_path


# --- loading -----------------------------------------------------------------------------------

def _load(original: bytes | None, findings: list[Finding], file_label: str) -> Workbook | None:
    if original is None:
        return None
    refused = sorted({f.rule for f in findings} & _NOT_LOADED)
    if refused:
        log.info("%s: not loading the original (%s); writing the explanation only", file_label, ", ".join(refused))
        return None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # keep_vba=False: the copy is saved as .xlsx, and an .xlsx carrying a VBA project is
            # refused by Excel ("file format or extension is not valid"). Dropping the macros gives a
            # file that opens cleanly; the department keeps its own .xlsm anyway.
            # rich_text=True keeps formatted runs inside cells as the department typed them.
            # openpyxl_bytes: Strict, s="", odd layouts and Mac pivot caches made loadable first.
            wb = load_workbook(io.BytesIO(openpyxl_bytes(original)), keep_vba=False, rich_text=True,
                               data_only=False)
    # openpyxl raises many unrelated types for malformed packages (KeyError, ValueError,
    # BadZipFile, XML syntax errors, TypeError ...); any of them means "cannot annotate".
    except Exception as exc:  # noqa: BLE001 - see comment above
        log.warning("%s: openpyxl cannot load the original (%s: %s); writing the explanation only",
                    file_label, type(exc).__name__, exc)
        return None
    for w in caught:
        log.info("%s: openpyxl: %s", file_label, w.message)
    wb.template = False  # an .xltx/.xltm source must still be saved as a plain workbook
    return wb


# --- annotating the original -------------------------------------------------------------------

def _annotated_bytes(wb: Workbook, findings: list[Finding], header: _Header, file_label: str) -> bytes | None:
    try:
        old = wb[SHEET] if SHEET in wb.sheetnames else None
        if old is not None:
            wb.remove(old)  # a resubmitted returned copy: its explanation is out of date
        _clear_previous_annotations(wb)
        targets = [_locate(wb, f) for f in findings]
        _annotate_cells(findings, targets)
        ws = wb.create_sheet(SHEET, 0)
        order = _sheet_order(wb.sheetnames)
        _write_explanation(ws, findings, targets, header, order)
        _make_first_and_active(wb, ws)
        for sheet in wb.worksheets:
            if sheet is not ws and sheet.sheet_state == "visible":
                _print_legibly(sheet)
        buffer = io.BytesIO()
        wb.save(buffer)
        data = buffer.getvalue()
        # Prove the copy opens before sending it to a department.
        load_workbook(io.BytesIO(data), read_only=True).close()
        return data
    # Anything openpyxl cannot write back (exotic parts it half-read) must not lose the
    # department its explanation: fall back to the explanation-only workbook.
    except Exception as exc:  # noqa: BLE001 - see comment above
        log.warning("%s: cannot write an annotated copy (%s: %s); writing the explanation only",
                    file_label, type(exc).__name__, exc)
        return None


def _print_legibly(sheet: Worksheet) -> None:
    """A4 at a legible size (xlsxutil.print_legibly): the columns the standard layout names (not
    the reference columns 测评标准/测评方法 after them) as the print area; a sheet of one wide
    text column (填报说明) a page-wide column with rows as tall as its text. Only widths, heights and
    print settings change, never a value. Comments (ours) print at the end, each with its cell."""
    print_a4(sheet)
    if sheet.max_column == 1:
        one_column_text(sheet)
    if any(cell.comment is not None for cell in sheet._cells.values()):
        sheet.page_setup.cellComments = "atEnd"
    print_legibly(sheet, _last_needed_column(sheet))


_STANDARD_TITLES = {title_key(x) for cols in TABLES.values() for c in cols for x in (c.title, *c.synonyms)}


def _last_needed_column(sheet: Worksheet) -> int:
    """The last column with a title of the standard layout in the first ten rows (else the last)."""
    last = 0
    for row in sheet.iter_rows(min_row=1, max_row=min(10, sheet.max_row)):
        for cell in row:
            if isinstance(cell.value, str) and title_key(cell.value) in _STANDARD_TITLES:
                last = max(last, cell.column)
    return last or sheet.max_column


def _locate(wb: Workbook, f: Finding) -> tuple[Worksheet | None, str | None]:
    """(sheet, anchor cell) for a finding. The sheet is None when it does not exist; the anchor
    is None when the finding has no usable cell. Merged cells resolve to their top-left cell."""
    ws = _find_sheet(wb, f.sheet)
    if ws is None:
        return None, None
    pos = _parse_a1(f.cell)
    if pos is None:
        return ws, None
    row, col = pos
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            row, col = merged.min_row, merged.min_col
            break
    return ws, f"{get_column_letter(col)}{row}"


def _find_sheet(wb: Workbook, name: str) -> Worksheet | None:
    if not name or name == SHEET:
        return None
    if name in wb.sheetnames:
        ws = wb[name]
    else:
        # The reader matches sheet titles loosely (spaces, full-width); do the same.
        matches = [s for s in wb.sheetnames if s != SHEET and title_key(s) == title_key(name)]
        if len(matches) != 1:
            return None
        ws = wb[matches[0]]
    return ws if isinstance(ws, Worksheet) else None  # a chartsheet has no cells


def _parse_a1(ref: str) -> tuple[int, int] | None:
    """(row, column) of "E7", "$E$7" or the first cell of "E7:F9"; None if not a cell."""
    match = _A1.match((ref or "").split(":")[0].strip())
    if not match:
        return None
    col = column_index_from_string(match.group(1).upper())
    row = int(match.group(2))
    if not (1 <= row <= _MAX_ROW and 1 <= col <= _MAX_COL):
        return None
    return row, col


def _clear_previous_annotations(wb: Workbook) -> None:
    """Remove what an earlier 退回 left in a resubmitted copy: our comments, and our fill on
    those same cells, so a corrected cell does not stay red. Comments by others are kept."""
    for ws in wb.worksheets:
        # ws._cells holds only the cells that exist; iter_rows() would materialise the whole
        # bounding box, which is huge for a sheet with one far-away cell.
        for cell in list(ws._cells.values()):
            comment = cell.comment
            if comment is None or comment.author != AUTHOR:
                continue
            cell.comment = _restored(comment.text or "")
            fill = cell.fill
            rgb = fill.fgColor.rgb if fill is not None and fill.fill_type == "solid" else None
            if isinstance(rgb, str) and rgb[-6:].upper() in (ERROR_FILL, WARNING_FILL):
                cell.fill = PatternFill(fill_type=None)
            side = cell.border.left if cell.border is not None else None
            if side is not None and side.style in ("medium", "dashed") and str(side.color.rgb if side.color else "")[-6:] in (
                    FLAG_ERROR, FLAG_WARNING):
                cell.border = _PLAIN_BORDER


def _annotate_cells(findings: list[Finding], targets) -> None:
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    sheets: dict[str, Worksheet] = {}
    for f, (ws, anchor) in zip(findings, targets):
        if ws is None or anchor is None:
            continue
        by_cell.setdefault((ws.title, anchor), []).append(f)
        sheets[ws.title] = ws
    for (title, anchor), group in by_cell.items():
        cell = sheets[title][anchor]
        group = sorted(group, key=lambda f: f.severity != ERROR)  # errors first, stable otherwise
        colour = ERROR_FILL if group[0].severity == ERROR else WARNING_FILL
        # Fill and border change (a border prints in black and white, where pink is pale grey);
        # value, font and number format stay the department's.
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        cell.border = _FLAG_BORDER[group[0].severity == ERROR]
        lines = [f"【{_LEVEL.get(f.severity, f.severity)}】{_text(f.message)}" for f in group]
        if len(lines) > 1:
            lines = [f"{i}. {line}" for i, line in enumerate(lines, 1)]
        text = "\n".join(lines)
        previous = cell.comment
        if previous is not None:  # the department's own note: keep it below ours
            text += _PREVIOUS.format(author=_text(previous.author or ""), text=_text(previous.text or ""))
        cell.comment = _comment(text[:MAX_CELL_TEXT])


FLAG_ERROR, FLAG_WARNING = "C00000", "BF8F00"
_FLAG_BORDER = {True: Border(*(Side(style="medium", color=FLAG_ERROR),) * 4),
                False: Border(*(Side(style="dashed", color=FLAG_WARNING),) * 4)}
_PLAIN_BORDER = Border(*(Side(style="thin", color="999999"),) * 4)     # the template's own
_PREVIOUS = "\n——原有批注（{author}）——\n{text}"
_PREVIOUS_RE = re.compile(r"\n——原有批注（(.*?)）——\n", re.S)


def _restored(text: str) -> Comment | None:
    """The department's own comment that an earlier 退回 folded into ours, or None."""
    parts = _PREVIOUS_RE.split(text, maxsplit=1)
    if len(parts) != 3:
        return None
    return Comment(parts[2], parts[1] or "")


def _comment(text: str) -> Comment:
    """A comment box big enough to read Chinese text without resizing (sizes are pixels)."""
    width = 340
    units_per_line = 44  # ~22 Chinese characters in Excel's default 9 pt comment font
    lines = sum(max(1, math.ceil(display_width(part) / units_per_line)) for part in text.split("\n"))
    height = min(800, max(80, 18 * lines + 20))
    return Comment(text, AUTHOR, height=height, width=width)


def _sheet_order(names) -> dict[str, int]:
    order = {name: i for i, name in enumerate(_STANDARD_ORDER)}
    for name in names:
        order.setdefault(name, len(order))
    return order


def _make_first_and_active(wb: Workbook, ws: Worksheet) -> None:
    wb.move_sheet(ws, -wb.index(ws))  # no-op when created at 0; keeps the guarantee local
    wb.active = 0
    # A copy saved with several tabs selected would open with the sheets grouped, and typing
    # would then change all of them: only our sheet is selected.
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    for chart in wb.chartsheets:
        for view in chart.sheetViews.sheetView:
            view.tabSelected = False
    for view in wb.views or []:
        view.activeTab = 0
        view.firstSheet = 0
        view.visibility = "visible"


# --- the 问题说明 sheet ---------------------------------------------------------------------------

def _explanation_only_bytes(findings: list[Finding], header: _Header) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    targets = [(None, None)] * len(findings)
    _write_explanation(ws, findings, targets, header, _sheet_order([]))
    ws.sheet_view.tabSelected = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# 规则编号 (for the office) is hidden; 指标编号 after it, visible and printed (hidden columns do not print).
_COLUMNS = [("序号", 6), ("级别", 8), ("工作表", 14), ("单元格", 10), ("问题说明", 62), ("规则编号", 24),
            ("指标编号", 10)]
_MESSAGE, _RULE = 5, 6    # 1-based columns
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _write_explanation(ws: Worksheet, findings: list[Finding], targets, header: _Header,
                       order: dict[str, int]) -> None:
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings_ = len(findings) - errors
    last_col = get_column_letter(len(_COLUMNS))

    _put(ws, 1, 1, header.title).font = Font(bold=True, size=16)
    ws.merge_cells(f"A1:{last_col}1")
    ws.row_dimensions[1].height = 28
    info = [
        ("文件", _shown_name(header.file_label)),
        ("部门", header.department or "（未能识别）"),
        ("轮次", header.round_name),
        ("结论", f"共发现 {errors} 个错误、{warnings_} 个提醒；请修改标红单元格后"
                 + (f"于{header.resubmit_by}前重新报送。" if header.resubmit_by else "重新报送。")),
        *([("报送时限", f"请于{header.resubmit_by}前将修改后的自评表重新报送创建办。")] if header.resubmit_by else []),
        ("说明", "红色单元格为必须修改的错误，黄色单元格为建议补充的提醒；鼠标移到单元格上可查看批注，"
                 "点击下表“单元格”一栏可跳转到对应位置。"),
    ]
    for offset, (label, value) in enumerate(info):
        row = 2 + offset
        label_cell = _put(ws, row, 1, label)
        label_cell.font = Font(bold=True)
        label_cell.alignment = Alignment(vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = _put(ws, row, 3, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=len(_COLUMNS))
        if label == "结论":
            cell.font = Font(bold=True, color="C00000" if errors else "000000")
        ws.row_dimensions[row].height = _row_height(value, sum(w for _, w in _COLUMNS[2:-1]))

    head_row = 2 + len(info) + 1
    for col, (title, width) in enumerate(_COLUMNS, 1):
        cell = _put(ws, head_row, col, title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
    print_landscape(ws, head_row)
    # The rule id helps the office, not the department: kept, hidden (a hidden column does not print).
    ws.column_dimensions[get_column_letter(_RULE)].hidden = True
    ws.print_area = f"A1:{last_col}{head_row + max(1, len(findings))}"

    row_fill = PatternFill(fill_type="solid", start_color=ERROR_ROW_FILL, end_color=ERROR_ROW_FILL)
    codes: dict = {}
    for number, (f, (target_ws, anchor)) in enumerate(_sorted(findings, targets, order), 1):
        row = head_row + number
        values = [number, _LEVEL.get(f.severity, f.severity), f.sheet or "—", f.cell or "—", f.message, f.rule,
                  _indicator_code(target_ws, anchor, codes) or "—"]
        for col, value in enumerate(values, 1):
            cell = _put(ws, row, col, value)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top",
                                       horizontal="left" if col in (3, _MESSAGE, _RULE) else "center")
            if f.severity == ERROR:
                cell.fill = row_fill
        if target_ws is not None:
            link = ws.cell(row=row, column=4)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=_location(target_ws.title, anchor or "A1"))
            link.font = Font(color="0563C1", underline="single")
        ws.row_dimensions[row].height = max(_row_height(_text(f.message), _COLUMNS[_MESSAGE - 1][1]),
                                            _row_height(_text(f.sheet), _COLUMNS[2][1]))


def _indicator_code(ws: Worksheet | None, anchor: str | None, cache: dict) -> str:
    """The 指标编号 on the row of a finding's cell in the 自评表 (found by its title), else ''."""
    if ws is None or anchor is None or title_key(ws.title) != title_key(SCORES):
        return ""
    if ws.title not in cache:
        cache[ws.title] = None
        for row in ws.iter_rows(min_row=1, max_row=min(10, ws.max_row)):
            for cell in row:
                if isinstance(cell.value, str) and title_key(cell.value) in _CODE_TITLES:
                    cache[ws.title] = (cell.row, cell.column)
                    break
            if cache[ws.title]:
                break
    found = cache[ws.title]
    pos = _parse_a1(anchor)
    if not found or pos is None or pos[0] <= found[0]:
        return ""
    value = ws.cell(row=pos[0], column=found[1]).value
    return "" if value is None else _text(value).strip()


_CODE_TITLES = {title_key(x) for c in TABLES[SCORES] if c.key == "code" for x in (c.title, *c.synonyms)}


def _sorted(findings, targets, order):
    """Errors first, then warnings; each in sheet order (file-level first), then row, column."""
    def key(item):
        index, (f, _) = item
        pos = _parse_a1(f.cell) or (0, 0)
        sheet_rank = -1 if not f.sheet else order.get(f.sheet, len(order))
        return (f.severity != ERROR, sheet_rank, f.sheet, pos[0], pos[1], index)

    pairs = sorted(enumerate(zip(findings, targets)), key=key)
    return [pair for _, pair in pairs]


def _location(sheet: str, cell: str) -> str:
    """An internal link target; the sheet name is always quoted, quotes inside doubled."""
    return "'" + sheet.replace("'", "''") + "'!" + cell


# --- text helpers ------------------------------------------------------------------------------

def _cn_date(value) -> str:
    """A date as 2026年12月4日 ('' for none); text that is not an ISO date is shown as given."""
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", str(value or ""))
    return f"{match[1]}年{int(match[2])}月{int(match[3])}日" if match else str(value or "")


def _shown_name(file_label: str) -> str:
    """The department's file by its name only: the office's folders mean nothing to it."""
    return re.split(r"[\\/]", file_label or "")[-1]


def _text(value) -> str:
    return xml_safe("" if value is None else str(value))[:MAX_CELL_TEXT]


def _put(ws: Worksheet, row: int, col: int, value):
    """Write a value that must display as typed: strings are never formulas."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value
    return cell


