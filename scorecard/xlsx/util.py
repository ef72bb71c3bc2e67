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
    ws.print_title_rows = f"{title_row}:{title_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def print_a4(ws, title_row: int | None = None) -> None:
    """A4, fit to one page wide (as many pages down as needed), the header row (if any) repeated.
    Keeps an orientation already chosen (print_landscape)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if title_row is None and ws.print_title_rows is None and ws.freeze_panes:
        row = ws[ws.freeze_panes].row - 1
        title_row = row if row >= 1 else None
    if title_row:
        ws.print_title_rows = f"{title_row}:{title_row}"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def row_height(text, width_chars: float, line_points: float = 15.0) -> float:
    """Row height in points for wrapped text in a column width_chars wide (Excel character units)."""
    per_line = max(1, int(width_chars) - 1)
    lines = sum(max(1, math.ceil(display_width(part) / per_line)) for part in str(text or "").split("\n"))
    return lines * line_points + 6


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
