"""Small openpyxl helpers shared by everything that writes a workbook for people to read."""
from __future__ import annotations

from .text import xml_safe

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
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
