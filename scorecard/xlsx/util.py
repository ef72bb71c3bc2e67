"""Small openpyxl helpers shared by everything that writes a workbook for people to read."""
from __future__ import annotations

import math

from ..base.text import display_width, xml_safe

MAX_CELL_TEXT = 32767            # Excel's limit for one cell
FORMULA_START = ("=", "+", "-", "@")


def set_text(cell, value: str) -> None:
    """Write text that must display exactly as typed, never as a live formula.

    openpyxl turns a str starting with "=" into a formula; data_type "s" undoes that, and the
    quote prefix keeps Excel from re-reading "+1" or "@x" as a formula when the cell is edited.
    """
    cell.value = xml_safe(value)[:MAX_CELL_TEXT]
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        cell.quotePrefix = True


def print_landscape(ws, title_row: int) -> None:
    """Landscape, one page wide, the header row repeated on every printed page."""
    clear_header(ws)
    ws.print_title_rows = f"{title_row}:{title_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def print_a4(ws, title_row: int | None = None, *, landscape: bool | None = None, one_page: bool = False,
             margin: float = 0.5, page_numbers: bool = False) -> None:
    """A4, fit to one page wide (as many pages down as needed, or one page in all for a small table),
    the header row (if any; by default the row above the frozen panes) repeated on each page.
    landscape None keeps an orientation already chosen (print_landscape); margin: left and right,
    in inches; page_numbers: 第 N 页，共 M 页 in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if landscape is not None:
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if title_row is None and ws.print_title_rows is None and ws.freeze_panes:
        row = ws[ws.freeze_panes].row - 1
        title_row = row if row >= 1 else None
    if title_row:
        ws.print_title_rows = f"{title_row}:{title_row}"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = margin
    clear_header(ws)
    if page_numbers:
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


# Printing (issue 20): the page header and footer sit in the margins, clear of the table (a 0.3"
# header inside a 0.9" top margin), and a sheet prints at no less than MIN_SCALE of its 11 pt
# text, 9 pt on paper: the columns a reader needs are the print area, fitted to the page width.
HEADER_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.3, 0.9, 0.8
MIN_SCALE = 82                       # 11 pt × 0.82 = 9 pt
A4_WIDTH_IN, A4_HEIGHT_IN = 8.27, 11.69


def clear_header(ws) -> None:
    """Margins that keep the printed page header and footer off the table."""
    m = ws.page_margins
    m.top, m.bottom, m.header, m.footer = TOP_MARGIN, BOTTOM_MARGIN, HEADER_MARGIN, HEADER_MARGIN


def column_points(width) -> float:
    """The printed width of a column (Excel character units) in points: 7 px a character, 5 px padding."""
    return ((width if width is not None else 8.43) * 7 + 5) * 0.75


def printable_points(ws) -> float:
    landscape = ws.page_setup.orientation == "landscape"
    inches = (A4_HEIGHT_IN if landscape else A4_WIDTH_IN) - (ws.page_margins.left or 0) - (ws.page_margins.right or 0)
    return inches * 72


def fitted_scale(ws, first: int = 1, last: int | None = None) -> int:
    """The scale (percent) at which columns first..last fit the printable width of the sheet's page."""
    from openpyxl.utils import get_column_letter

    last = last or ws.max_column
    needed = sum(column_points(ws.column_dimensions[get_column_letter(c)].width)
                 for c in range(first, last + 1) if not ws.column_dimensions[get_column_letter(c)].hidden)
    return max(10, min(100, int(printable_points(ws) * 100 // max(needed, 1))))


def print_columns(ws, last: int, rows: int | None = None, first: int = 1) -> int:
    """Print columns first..last only (the rest stays on screen), fitted to the page width, and
    record the scale that gives (page_setup.scale, for readers of the file). Returns the scale."""
    from openpyxl.utils import get_column_letter

    rows = rows or max(ws.max_row, 1)
    ws.print_area = f"{get_column_letter(first)}1:{get_column_letter(last)}{rows}"
    scale = fitted_scale(ws, first, last)
    ws.page_setup.scale = scale
    return scale


NARROWEST = 12                   # print_legibly never narrows a column below this many characters


def print_legibly(ws, last: int | None = None) -> int:
    """Columns 1..last (default all) printed at MIN_SCALE or more: fitted to the page width, in
    landscape when portrait is too narrow, and when even that is too small the widest columns
    narrowed (their cells wrap) until it fits. Returns the scale."""
    last = last or ws.max_column
    if fitted_scale(ws, 1, last) < MIN_SCALE:
        ws.page_setup.orientation = "landscape"
    if fitted_scale(ws, 1, last) < MIN_SCALE:
        from openpyxl.utils import get_column_letter

        widths = {x: ws.column_dimensions[x].width or 8.43 for x in (get_column_letter(c) for c in range(1, last + 1))
                  if not ws.column_dimensions[x].hidden}
        excess = sum(column_points(w) for w in widths.values()) - printable_points(ws) * 100 / MIN_SCALE
        wide = {x: w - NARROWEST for x, w in widths.items() if w > NARROWEST}
        if wide and excess > 0:
            cut = min(1.0, excess / 0.75 / 7 / sum(wide.values()) + 0.01)
            for x, spare in wide.items():
                ws.column_dimensions[x].width = round(widths[x] - spare * cut, 1)
    return print_columns(ws, last)


def one_column_text(ws, column: str = "A") -> None:
    """A sheet of one column of text (a guide): the column as wide as the printed page, its
    cells wrapped and its rows as tall as their text."""
    # 85% of the page: LibreOffice measures a character unit from the sheet's default font, wider
    # than Excel's 7 px, and a page-wide column would be cut at both edges there.
    width = int((printable_points(ws) / 0.75 - 5) / 7 * 0.85)
    ws.column_dimensions[column].width = width
    from openpyxl.styles import Alignment

    for cell in ws[column]:
        if isinstance(cell.value, str) and cell.value:
            size = float((cell.font.sz if cell.font is not None else None) or 11)
            per_line = max(1.0, width * 0.9 * 11 / size - 1)
            lines = sum(max(1, math.ceil(display_width(part) / per_line)) for part in cell.value.split("\n"))
            ws.row_dimensions[cell.row].height = round(lines * size * 1.45 + 6, 1)
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def row_height(text, width_chars: float, line_points: float = 15.0, *, pad: float = 6, spare: int = 1) -> float:
    """Row height in points for wrapped text in a column width_chars wide (Excel character units):
    `spare` characters of the width left for the cell's margins, `pad` points added."""
    per_line = max(1, int(width_chars) - spare)
    lines = sum(max(1, math.ceil(display_width(part) / per_line)) for part in str(text or "").split("\n"))
    return lines * line_points + pad


def _stop(ws, ref: str, title: str, error: str, prompt: str | None, **rule) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(allow_blank=rule.pop("allow_blank", True), showErrorMessage=True, errorStyle="stop",
                        errorTitle=title, error=error, **rule)
    if prompt:
        dv.promptTitle, dv.prompt, dv.showInputMessage = title, prompt, True
    dv.add(ref)
    ws.add_data_validation(dv)


def stop_date(ws, ref: str, title: str, error: str, prompt: str | None = None) -> None:
    """Excel refuses anything but a date (after 2000-01-01) in ref, with this Chinese message."""
    _stop(ws, ref, title, error, prompt, type="date", operator="greaterThan", formula1="36526")


def stop_decimal(ws, ref: str, high: str, title: str, error: str, prompt: str | None = None) -> None:
    """Excel refuses anything but a number from 0 to high (a number, or a relative cell such as D2)."""
    _stop(ws, ref, title, error, prompt, type="decimal", operator="between", formula1="0", formula2=high)


def stop_list(ws, ref: str, choices: str, title: str, error: str, prompt: str | None = None,
              allow_blank: bool = True) -> None:
    """A drop-down (choices: a list formula such as '"是,否"') that refuses anything else."""
    _stop(ws, ref, title, error, prompt, type="list", formula1=choices, allow_blank=allow_blank)
