"""The body rows of a big sheet, written straight as worksheet XML when the workbook is saved.

openpyxl costs ~30 µs per styled cell (a Cell object, its style, then lxml writing the cell
element), also in write-only mode: at 10,000 departments 核定表 has 1.7 million cells, 77 s and
~700 MB. Here openpyxl still builds and writes everything else of the workbook (header rows,
widths, panes, filter, data validations, print setup, protection, other sheets, the style sheet);
`Body` only registers the few distinct cell styles with the workbook and formats the rows, which
are produced lazily (a generator) and streamed into the sheet's part of the package as it is saved.
The XML is what openpyxl itself writes for the same cells (inline strings, `t="n"` numbers, dates
as serial numbers with a date format); tests/test_xlsxbulk.py compares the two cell by cell.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from .fsutil import atomic_write_bytes
from .text import xml_safe
from .xlsxutil import FORMULA_START, MAX_CELL_TEXT

Row = tuple[float | None, list]     # (height in points or None, [(value, style id), ...])
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')
_SHEET_DATA_END = b"</sheetData>"
_ROW = re.compile(rb'<row r="(\d+)"(?:[^>]*/>|[^>]*>.*?</row>)', re.S)
ROWS_PER_CHUNK = 512


class Body:
    """Rows from `first_row` down of worksheet ws (an ordinary openpyxl worksheet whose own cells
    all lie above first_row), given as (height, [(value, style id), ...]) by an iterable.

    Values: str (always text, never a formula; stored as xlsxutil.set_text stores it, and text that
    starts like a formula is given its style with quote=quoted(value), as set_text sets the quote
    prefix), int/float, date/datetime (with a date number format in the style), None or "" (an
    empty cell that keeps its style)."""

    def __init__(self, ws, count: int, columns: int, first_row: int = 2):
        self.ws = ws
        self.count = count                      # rows the iterable gives (the sheet's dimension
        self.columns = columns                  # is written before them), and cells per row at most
        self.first_row = first_row
        self.rows: Iterable[Row] = ()
        self.comments: dict[tuple[int, int], str] = {}     # (row, column) -> a comment on that body cell
        self._ids: dict = {}
        self._sealed = False                    # the style sheet is written: no new styles

    def style(self, key, make: Callable[[], dict], quote: bool = False) -> int:
        """The style id for key: make() returns {attribute: style object} on first use; quote:
        the same style with the quote prefix (text that starts like a formula). Every style is
        registered before save() (the style sheet is written before the rows)."""
        sid = self._ids.get((key, quote))
        if sid is None:
            if self._sealed:
                raise RuntimeError("every style must be registered before the workbook is saved")
            cell = Cell(self.ws)                # detached: never part of the sheet
            for name, value in make().items():
                setattr(cell, name, value)
            if quote:
                cell.quotePrefix = True
            sid = self._ids[(key, quote)] = cell.style_id
        return sid


    def xml(self) -> Iterator[bytes]:
        """The rows' XML, in chunks of UTF-8."""
        letters = ['<c r="' + get_column_letter(c) for c in range(1, self.columns + 1)]
        epoch = self.ws.parent.epoch
        tails: dict = {}            # (type, value, style id) -> the cell's XML after its reference
        r = self.first_row - 1
        parts: list[str] = []
        for height, cells in self.rows:
            r += 1
            if len(cells) > self.columns:
                raise ValueError(f"row {r}: {len(cells)} cells, more than the {self.columns} announced")
            row = str(r)
            parts.append('<row r="' + row + '">' if height is None else
                         f'<row r="{row}" ht="{height:.16g}" customHeight="1">')
            for start, (value, sid) in zip(letters, cells):
                key = (type(value), value, sid)
                tail = tails.get(key)
                if tail is None:
                    if len(tails) > 100_000:
                        tails.clear()
                    tail = tails[key] = _cell_tail(value, sid, epoch)
                parts.append(start + row + tail)
            parts.append("</row>")
            if len(parts) > ROWS_PER_CHUNK * 16:
                yield "".join(parts).encode("utf-8")
                parts.clear()
        if parts:
            yield "".join(parts).encode("utf-8")
        if r - self.first_row + 1 != self.count:
            raise ValueError(f"{r - self.first_row + 1} rows, not the {self.count} announced")


@lru_cache(maxsize=1 << 16)
def stored(text: str) -> str:
    """Text as a cell holds it (what xlsxutil.set_text stores): XML-safe, within Excel's limit."""
    return xml_safe(text)[:MAX_CELL_TEXT]


def quoted(value) -> bool:
    """Whether a cell value needs the quote prefix: text that starts like a formula."""
    return isinstance(value, str) and stored(value).startswith(FORMULA_START)


def _cell_tail(value, sid: int, epoch) -> str:
    """A cell's XML from just after its reference: the same for every cell of that value and style."""
    if value is None or value == "":
        return f'" s="{sid}" t="n"/>'
    if isinstance(value, str):
        text = stored(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'" s="{sid}" t="inlineStr"><is><t{space}>{text.translate(_ESCAPE)}</t></is></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        value = to_excel(value, epoch)
    elif isinstance(value, bool):
        return f'" s="{sid}" t="b"><v>{int(value)}</v></c>'
    return f'" s="{sid}" t="n"><v>{value:.16g}</v></c>'


def save(wb, path: Path, bodies: Iterable[Body]) -> Path:
    """Save wb to path (written aside, then renamed into place) with each body's rows streamed
    into its sheet."""
    path = Path(path)
    bodies = list(bodies)
    for body in bodies:
        body._sealed = True
        for (row, column), text in body.comments.items():    # openpyxl writes the comment parts;
            comment = Comment(xml_safe(text), "创建办")         # its empty anchor cell is dropped below
            comment.width, comment.height = 300, 120
            body.ws.cell(row=row, column=column).comment = comment
    buffer = io.BytesIO()
    wb.save(buffer)                             # sets each sheet's part name (ws.path)
    by_part = {b.ws.path.lstrip("/"): b for b in bodies}
    packed = io.BytesIO()                       # compressed: a few MB even at 10,000 departments
    # Level 1: a third of the default's time for the 100 MB of XML of 10,000 departments, a file
    # about a quarter larger.
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            body = by_part.get(info.filename)
            if body is None:
                out.writestr(info, src.read(info))
            else:
                _write_sheet(out, info, src.read(info), body)
    return atomic_write_bytes(path, packed.getvalue())


def _write_sheet(out: zipfile.ZipFile, info: zipfile.ZipInfo, xml: bytes, body: Body) -> None:
    """The sheet's XML with the body's rows inserted at the end of sheetData (the rows openpyxl
    wrote lie above them) and the dimension covering them."""
    end = xml.find(_SHEET_DATA_END)
    if end < 0:                                 # no rows of its own: an empty <sheetData/>
        empty = xml.find(b"<sheetData/>")
        if empty < 0:
            raise ValueError(f"{info.filename}: no sheetData")
        head, tail = xml[:empty] + b"<sheetData>", _SHEET_DATA_END + xml[empty + len(b"<sheetData/>"):]
    else:
        head, tail = xml[:end], xml[end:]
    if body.comments:       # rows openpyxl wrote for the comments' anchor cells: the body writes them
        head = _ROW.sub(lambda m: b"" if int(m.group(1)) >= body.first_row else m.group(0), head)
    if body.count:
        last = body.first_row + body.count - 1
        ref = f"A1:{get_column_letter(max(1, body.columns, body.ws.max_column))}{last}".encode()
        head = _DIMENSION.sub(b'<dimension ref="' + ref + b'"/>', head, count=1)
    with out.open(info.filename, "w") as fh:     # the ZipFile's compression and level
        fh.write(head)
        for chunk in body.xml():
            fh.write(chunk)
        fh.write(tail)
