"""Reading a submitted workbook into plain values with their places (sheet, A1 cell).

The file first passes `safety.open_safely` (size, zip structure, inflation limits, no XML
entities); only then does a parser see the bytes, never the path. Values are read with
python-calamine (a Rust reader, well under a millisecond per workbook); openpyxl reads them only
when calamine cannot (and a sheet whose cells reach too far for calamine's dense grid). What the
values reader does not tell (the date system, formulas saved without a result, error cells, Strict
conformance) comes from the package itself (package.py), which also rewrites the layouts that
trip readers (backslashes, part names in another case, a workbook part at the package root).

Sheets, labels and columns are found by name (normalised, CONTRACT.md §2), not by position.
Merged cells read as their top-left value; a formula is read as its cached value, and one without
a cached value is a finding. What cannot be understood becomes a finding here; values are judged
in validation.py. Only what the file causes becomes a finding: the gate's refusals and whatever a
parser raises on the file's content. An exception from our own code escapes.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import python_calamine
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from . import layout as L
from ..base.findings import FileProblem, Finding, finding
from ..xlsx.package import Package, PackageError, for_openpyxl, open_package
from ..rules import Limits
from .safety import FileGone, SafeFile, open_safely, require_defusedxml
from ..base.text import is_blank, title_key

require_defusedxml()        # openpyxl parses worksheets with defusedxml only when it is installed
logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 30
LABEL_SCAN = (60, 20)       # rows, columns searched for a label on 基本信息
# calamine builds a dense rows x columns grid; past this many cells a sheet is read by openpyxl,
# which keeps only the cells that exist (one value at XFD1048576 must not cost gigabytes).
DENSE_LIMIT = 2_000_000
EXACT_INT = 2 ** 53
MERGE_BUDGET = 100_000      # merged cells followed back to their top-left, per sheet


@functools.lru_cache(maxsize=4096)
def _key(text) -> str:
    """title_key, remembered: the same titles and labels come back in every workbook."""
    return title_key(text)


@dataclass(frozen=True)
class Value:
    """One cell as read: the raw value (after merged/formula handling) and where it is."""

    raw: object
    sheet: str
    cell: str               # A1 reference; "" when the value is absent altogether
    row: int = 0

    @property
    def blank(self) -> bool:
        return is_blank(self.raw)


@dataclass
class Table:
    sheet: str
    header_row: int
    columns: dict[str, int]                 # column key -> 1-based column index
    rows: list[dict[str, Value]]            # non-blank data rows, in sheet order
    last_row: int                           # last row number read (for "add a row here")

    def place(self, key: str, row: int) -> str:
        col = self.columns.get(key)
        return f"{get_column_letter(col)}{row}" if col else ""


@dataclass
class ParsedWorkbook:
    safe: SafeFile
    epoch: object
    info: dict[str, Value] = field(default_factory=dict)    # label key -> value
    tables: dict[str, Table] = field(default_factory=dict)  # sheet name (canonical) -> table
    sheet_names: dict[str, str] = field(default_factory=dict)  # canonical -> actual name in the file
    fingerprint: str | None = None
    findings: list[Finding] = field(default_factory=list)
    reader: str = "calamine"        # which parser read the values: calamine | openpyxl
    repairs: tuple[str, ...] = ()   # layout rewrites the package needed (package.Package.repairs)


@dataclass
class Grid:
    """One worksheet's values, whichever parser read them, kept sparse: (row, col) -> value, 1-based."""

    title: str
    visible: bool
    cells: dict[tuple[int, int], object]            # non-empty cells only
    merges: list[tuple[int, int, int, int]]         # min_row, min_col, max_row, max_col (1-based)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)   # saved without a result

    def __post_init__(self):
        by_row: dict[int, list[int]] = {}
        for r, c in self.cells:
            by_row.setdefault(r, []).append(c)
        self._rows = {r: sorted(cols) for r, cols in sorted(by_row.items())}

    def get(self, row: int, col: int):
        return self.cells.get((row, col))

    def rows(self, first: int = 1, last: int | None = None) -> list[int]:
        """Row numbers that hold a value, in order."""
        return [r for r in self._rows if r >= first and (last is None or r <= last)]

    def columns(self, row: int) -> list[int]:
        return self._rows.get(row, [])


def read_workbook(path: Path, limits: Limits, *, label: str | None = None) -> ParsedWorkbook:
    """Read a workbook; raises FileProblem when the file as a whole cannot be read."""
    shown = label or str(path)
    try:
        safe = open_safely(path, limits)
    except FileGone as gone:
        raise FileProblem(finding("file.vanished", file=shown, reason=gone.reason)) from gone
    try:
        pkg = _open_package(safe, shown)
        grids, source = _read_grids(pkg, shown)
    finally:
        safe.parts.clear()      # inflated XML is for this read only; a run may hold thousands of SafeFiles
    parsed = ParsedWorkbook(safe=safe, epoch=CALENDAR_MAC_1904 if pkg.date1904 else CALENDAR_WINDOWS_1900,
                            reader=source, repairs=tuple(pkg.repairs))
    if pkg.repairs:
        logger.info("%s: package rewritten for reading (%s)", shown, ", ".join(pkg.repairs))
    sheets = {canon: grid for canon, grid in grids.items() if canon != L.META}
    parsed.sheet_names = {canon: grid.title for canon, grid in sheets.items()}
    for canon in L.REQUIRED_SHEETS:
        if canon not in sheets:
            present = "、".join(f"“{s.name}”" for s in pkg.sheets if s.state == "visible")
            parsed.findings.append(finding("sheet.missing", sheet=canon, file=shown,
                                           hint=f"（本文件中的工作表：{present}）" if present else ""))
    reader = _SheetReader(shown, parsed.findings)
    if L.INFO in sheets:
        parsed.info = reader.labels(sheets[L.INFO], {**L.INFO_LABELS, **L.INFO_LABEL_SYNONYMS})
    for canon, columns in L.TABLES.items():
        if canon in sheets:
            table = reader.table(sheets[canon], columns)
            if table is not None:
                parsed.tables[canon] = table
    parsed.fingerprint = _fingerprint(grids.get(L.META))
    return parsed


# --- the parser calls, and only they, turn exceptions into findings ---------------------------

def _damaged(shown: str, exc: BaseException | None, what: str = "") -> FileProblem:
    kind = f"（{type(exc).__name__}）" if exc is not None else ""
    return FileProblem(finding("file.unreadable/damaged", file=shown, reason=(what or "工作簿内容损坏") + kind))


def _open_package(safe: SafeFile, shown: str) -> Package:
    try:
        return open_package(safe.data, safe.parts)
    except PackageError as exc:
        raise _damaged(shown, exc, "工作簿的组成部分（XML）损坏或缺失") from exc


def _is_panic(exc: BaseException) -> bool:
    """pyo3 turns a Rust panic into PanicException, which derives from BaseException, not Exception."""
    return type(exc).__name__ == "PanicException"


def _wanted(names: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Canonical sheet name -> (name, state). '自评表 ', '自评表（2）' and '自 评 表' all match 自评表."""
    wanted = {title_key(name): name for name in (L.INFO, L.SCORES, L.VETOES, L.BONUS)}
    found: dict[str, tuple[str, str]] = {}
    for name, state in names:
        canon = wanted.get(title_key(name))
        if canon and canon not in found:
            found[canon] = (name, state)
        elif name == L.META and L.META not in found:
            found[L.META] = (name, state)
    return found


def _read_grids(pkg: Package, shown: str) -> tuple[dict[str, Grid], str]:
    """Canonical name -> Grid for the sheets we read, and which parser read them."""
    wanted = _wanted([(s.name, s.state) for s in pkg.sheets])
    parts = {s.name: s for s in pkg.sheets}
    notes = {}
    try:
        for canon, (name, _) in wanted.items():
            notes[canon] = pkg.cell_notes(parts[name])
        extents = [pkg.extent(parts[name]) for name, _ in wanted.values()]
    except PackageError as exc:
        raise _damaged(shown, exc, "工作表内容（XML）损坏") from exc
    failure: BaseException | None = None
    if all(rows * cols <= DENSE_LIMIT for rows, cols in extents):
        try:
            raw = _calamine_sheets(pkg.data, [name for name, _ in wanted.values()])
        except Exception as exc:        # noqa: BLE001 - calamine raises CalamineError, XmlError, ZipError, ValueError...
            failure = exc
        except BaseException as exc:    # noqa: BLE001
            if not _is_panic(exc):
                raise
            failure = exc
        else:
            grids = {}
            for (canon, (name, state)), (rows, merges) in zip(wanted.items(), raw):
                grids[canon] = _calamine_grid(name, state, rows, merges, notes[canon])
            return grids, "calamine"
        logger.info("%s: calamine could not read it (%s: %s); trying openpyxl", shown, type(failure).__name__, failure)
    data = for_openpyxl(pkg)
    try:
        wb = _openpyxl_book(data)
    except Exception as exc:            # noqa: BLE001 - openpyxl raises KeyError, TypeError, ValueError... on odd files
        if pkg.strict:
            raise _strict(shown) from exc
        raise _damaged(shown, failure or exc) from exc
    if not wb.worksheets and pkg.strict:
        raise _strict(shown) from failure
    found = _wanted([(ws.title, ws.sheet_state) for ws in wb.worksheets])
    by_name = {s.name: s for s in pkg.sheets}
    grids = {}
    for canon, (name, state) in found.items():
        part = by_name.get(name)
        if canon not in notes and part is not None:
            try:
                notes[canon] = pkg.cell_notes(part)
            except PackageError as exc:
                raise _damaged(shown, exc, "工作表内容（XML）损坏") from exc
        grids[canon] = _openpyxl_grid(wb[name], state, notes.get(canon))
    return grids, "openpyxl"


def _strict(shown: str) -> FileProblem:
    return FileProblem(finding("file.unreadable/strict", file=shown))


def _calamine_sheets(data: bytes, names: list[str]) -> list[tuple[list[list], list]]:
    """The parser calls: values and merged ranges of each named sheet."""
    out = []
    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        for name in names:
            sheet = book.get_sheet_by_name(name)
            out.append((sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []))
    return out


def _openpyxl_book(data: bytes):
    with warnings.catch_warnings():
        # openpyxl warns about data validation extensions, unknown styles etc.; none matters here.
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


# --- from a parser's values to a Grid ---------------------------------------------------------

def _calamine_value(value):
    """Values as openpyxl gives them, so both readers feed validation the same things."""
    if value == "" or value is None:
        return None
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() and -EXACT_INT < value < EXACT_INT else value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _calamine_grid(name: str, state: str, rows: list[list], merges, notes) -> Grid:
    cells = {}
    for r, line in enumerate(rows, 1):
        for c, v in enumerate(line, 1):
            if v != "":
                value = _calamine_value(v)
                if value is not None:
                    cells[(r, c)] = value
    # calamine gives error cells (#N/A, #DIV/0!) as empty; openpyxl and people see their text.
    cells.update(notes.errors)
    spans = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merges]
    return Grid(name, state == "visible", cells, spans, dict(notes.formulas_without_value))


def _openpyxl_grid(ws, state: str, notes) -> Grid:
    # ws._cells is openpyxl's own sparse store; iter_rows would fill in the whole rectangle.
    cells = {key: cell.value for key, cell in ws._cells.items() if cell.value is not None}
    spans = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return Grid(ws.title, state == "visible", cells, spans, dict(notes.formulas_without_value) if notes else {})


def _fingerprint(meta: Grid | None) -> str | None:
    if meta is None:
        return None
    for r in meta.rows(1, 10):
        if meta.get(r, 1) == "rules_fingerprint":
            value = meta.get(r, 2)
            return str(value) if value is not None else None
    return None


class _SheetReader:
    def __init__(self, shown: str, findings: list):
        self.shown = shown
        self.findings = findings

    @staticmethod
    def _merged(grid: Grid) -> dict[tuple[int, int], tuple[int, int]]:
        """(row, col) of every non-top-left merged cell -> (row, col) of its top-left."""
        out = {}
        budget = MERGE_BUDGET
        for min_row, min_col, max_row, max_col in grid.merges:
            size = (max_row - min_row + 1) * (max_col - min_col + 1)
            if size > budget:
                continue            # a merge over a whole sheet says nothing about our cells
            budget -= size
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    if (r, c) != (min_row, min_col):
                        out[(r, c)] = (min_row, min_col)
        return out

    def _value(self, grid: Grid, merged, row: int, col: int) -> Value:
        r, c = merged.get((row, col), (row, col))
        raw = grid.get(r, c)
        ref = f"{get_column_letter(col)}{row}"
        if raw is None:
            formula = grid.formulas.get((r, c))
            if formula is not None:
                self.findings.append(finding("cell.formula_no_value", sheet=grid.title, cell=ref, value=formula,
                                             file=self.shown, formula=formula[:40]))
        return Value(raw, grid.title, ref, row)

    def labels(self, grid: Grid, labels: dict[str, str]) -> dict[str, Value]:
        """Each label's value: the first non-empty cell to its right (past the label's own merge),
        or the text after a colon in the label cell itself ('部门名称：办公室')."""
        merged = self._merged(grid)
        spans = {(m[0], m[1]): m[3] for m in grid.merges}
        wanted = {title_key(k): v for k, v in labels.items()}
        out: dict[str, Value] = {}
        for row in grid.rows(1, LABEL_SCAN[0]):
            for col in grid.columns(row):
                if col > LABEL_SCAN[1]:
                    break
                text = grid.get(row, col)
                if not isinstance(text, str):
                    continue
                key = wanted.get(_key(text))
                if key is None:
                    head, sep, tail = text.replace("：", ":").partition(":")
                    key = wanted.get(title_key(head)) if sep and tail.strip() else None
                    if key and key not in out:
                        out[key] = Value(tail.strip(), grid.title, f"{get_column_letter(col)}{row}", row)
                    continue
                if key in out:
                    continue
                first_col = spans.get((row, col), col) + 1
                first = self._value(grid, merged, row, first_col)
                value = first
                for probe in range(first_col, first_col + 3):
                    candidate = self._value(grid, merged, row, probe) if probe != first_col else first
                    if not candidate.blank:
                        value = candidate
                        break
                out[key] = value
        return out

    def table(self, grid: Grid, columns: tuple[L.Column, ...]) -> Table | None:
        merged = self._merged(grid)
        titles = {}
        for column in columns:
            for spelling in (column.title, *column.synonyms):
                titles.setdefault(title_key(spelling), column.key)
        header_row, header, duplicates = self._find_header(grid, titles, columns)
        for key, first, again in duplicates:
            title = next(c.title for c in columns if c.key == key)
            self.findings.append(finding("header.duplicate", sheet=grid.title,
                                         cell=f"{get_column_letter(again)}{header_row}",
                                         file=self.shown, column=title, first=get_column_letter(first)))
        missing = [c for c in columns if c.required and c.key not in header]
        if missing:
            # Point at the first free cell of the header row: where the column should be added back.
            next_col = 1
            if header_row:
                used = [c for c in grid.columns(header_row) if not is_blank(grid.get(header_row, c))]
                next_col = max(used) + 1 if used else 1
            for c in missing:
                cell = f"{get_column_letter(next_col)}{header_row}" if header_row else ""
                self.findings.append(finding("header.missing", sheet=grid.title, cell=cell, file=self.shown,
                                             column=c.title, what="列"))
            return None
        # Rows holding a value, plus rows covered by a merge from above and formula rows (their
        # cells are empty in the grid but still belong to the table).
        candidates = set(grid.rows(header_row + 1))
        candidates.update(r for r, _ in merged if r > header_row)
        candidates.update(r for r, _ in grid.formulas if r > header_row)
        rows, last_row = [], header_row
        for r in sorted(candidates):
            values = {key: self._value(grid, merged, r, col) for key, col in header.items()}
            if all(v.blank for v in values.values()):
                continue
            rows.append(values)
            last_row = r
        return Table(grid.title, header_row, header, rows, last_row)

    def _find_header(self, grid: Grid, titles: dict[str, str], columns) -> tuple[int, dict[str, int], list]:
        """The row (within the first 30) naming the most known columns, key -> column index, and
        the columns whose title appears twice in that row (key, first column, repeated column)."""
        best_row, best, best_dups = 0, {}, []
        primary = {c.key: title_key(c.title) for c in columns}
        for row in grid.rows(1, HEADER_SCAN_ROWS):
            found: dict[str, int] = {}
            spelt: dict[str, str] = {}
            dups = []
            for col in grid.columns(row):
                typed = _key(grid.get(row, col))
                key = titles.get(typed)
                if key is None:
                    continue
                if key in found:
                    if typed == spelt[key]:
                        dups.append((key, found[key], col))
                    elif typed == primary[key]:
                        # The exact title beats a synonym met earlier in the row.
                        found[key], spelt[key] = col, typed
                    continue
                found[key], spelt[key] = col, typed
            if len(found) > len(best):
                best_row, best, best_dups = row, found, dups
        if len(best) < 2:
            return 0, {}, []
        return best_row, best, best_dups
