"""Reading a submitted workbook into plain values with their places (sheet, A1 cell).

The file first passes `safety.open_safely` (size, zip structure, inflation limits, no XML
entities); only then does openpyxl parse the bytes, never the path. Sheets, labels and columns
are found by name (normalised, CONTRACT.md §2), not by position. Merged cells read as their
top-left value; a formula is read as its cached value, and one without a cached value is a
finding. What cannot be understood becomes a finding here; values are judged in validation.py.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from . import layout as L
from .findings import FileProblem, Finding, finding
from .rules import Limits
from .safety import SafeFile, open_safely, require_defusedxml
from .text import is_blank, title_key

require_defusedxml()        # openpyxl parses worksheets with defusedxml only when it is installed

HEADER_SCAN_ROWS = 30
LABEL_SCAN = (60, 20)       # rows, columns searched for a label on 基本信息


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


def read_workbook(path: Path, limits: Limits, *, label: str | None = None) -> ParsedWorkbook:
    """Read a workbook; raises FileProblem when the file as a whole cannot be read."""
    safe = open_safely(path, limits)
    shown = label or str(path)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation extensions, unknown styles etc.; none matters here.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(safe.data), data_only=True)
            formulas = _formula_workbook(safe) if safe.has_formulas else None
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl raises many types (KeyError, ValueError, TypeError...) for odd files
        raise FileProblem(finding("file.unreadable", file=shown,
                                  reason=f"工作簿内容损坏或不是标准 Excel 格式（{type(exc).__name__}）")) from exc
    parsed = ParsedWorkbook(safe=safe, epoch=wb.epoch)
    sheets = _match_sheets(wb)
    parsed.sheet_names = {canon: ws.title for canon, ws in sheets.items()}
    for canon in L.REQUIRED_SHEETS:
        if canon not in sheets:
            present = "、".join(f"“{ws.title}”" for ws in wb.worksheets if ws.sheet_state == "visible")
            parsed.findings.append(finding("sheet.missing", sheet=canon, file=shown,
                                           hint=f"（本文件中的工作表：{present}）" if present else ""))
    reader = _SheetReader(formulas, shown, parsed.findings)
    if L.INFO in sheets:
        parsed.info = reader.labels(sheets[L.INFO], L.INFO_LABELS)
    for canon, columns in L.TABLES.items():
        if canon in sheets:
            table = reader.table(sheets[canon], columns)
            if table is not None:
                parsed.tables[canon] = table
    parsed.fingerprint = _fingerprint(wb)
    return parsed


def _formula_workbook(safe: SafeFile):
    """The same bytes read for formulas, to tell 'formula with no cached value' from an empty cell."""
    return openpyxl.load_workbook(io.BytesIO(safe.data), data_only=False)


def _match_sheets(wb) -> dict:
    """Canonical sheet name -> worksheet. '自评表 ', '自评表（2）' and '自 评 表' all match 自评表."""
    wanted = {title_key(name): name for name in (L.INFO, L.SCORES, L.VETOES, L.BONUS)}
    found = {}
    for ws in wb.worksheets:
        canon = wanted.get(title_key(ws.title))
        if canon and canon not in found:
            found[canon] = ws
    return found


def _fingerprint(wb) -> str | None:
    if L.META not in wb.sheetnames:
        return None
    meta = wb[L.META]
    for row in meta.iter_rows(min_row=1, max_row=10, max_col=2, values_only=True):
        if row and row[0] == "rules_fingerprint":
            return str(row[1]) if row[1] is not None else None
    return None


class _SheetReader:
    def __init__(self, formulas, shown: str, findings: list):
        self.formulas = formulas
        self.shown = shown
        self.findings = findings

    def _merged(self, ws) -> dict[tuple[int, int], tuple[int, int]]:
        """(row, col) of every non-top-left merged cell -> (row, col) of its top-left."""
        out = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        out[(r, c)] = (rng.min_row, rng.min_col)
        return out

    def _value(self, ws, merged, row: int, col: int) -> Value:
        r, c = merged.get((row, col), (row, col))
        raw = ws.cell(row=r, column=c).value
        ref = f"{get_column_letter(col)}{row}"
        if raw is None and self.formulas is not None:
            formula = self.formulas[ws.title].cell(row=r, column=c).value
            if isinstance(formula, str) and formula.startswith("="):
                self.findings.append(finding("cell.formula_no_value", sheet=ws.title, cell=ref, value=formula,
                                             file=self.shown, formula=formula[:40]))
        return Value(raw, ws.title, ref, row)

    def labels(self, ws, labels: dict[str, str]) -> dict[str, Value]:
        """Each label's value: the first non-empty cell to its right (past the label's own merge),
        or the text after a colon in the label cell itself ('部门名称：办公室')."""
        merged = self._merged(ws)
        spans = {(rng.min_row, rng.min_col): rng.max_col for rng in ws.merged_cells.ranges}
        wanted = {title_key(k): v for k, v in labels.items()}
        out: dict[str, Value] = {}
        max_row = min(ws.max_row, LABEL_SCAN[0])
        max_col = min(ws.max_column, LABEL_SCAN[1])
        for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                key = wanted.get(title_key(cell.value))
                if key is None:
                    head, sep, tail = cell.value.replace("：", ":").partition(":")
                    key = wanted.get(title_key(head)) if sep and tail.strip() else None
                    if key and key not in out:
                        out[key] = Value(tail.strip(), ws.title, cell.coordinate, cell.row)
                    continue
                if key in out:
                    continue
                col = spans.get((cell.row, cell.column), cell.column) + 1
                first = self._value(ws, merged, cell.row, col)
                value = first
                for probe in range(col, col + 3):
                    candidate = self._value(ws, merged, cell.row, probe) if probe != col else first
                    if not candidate.blank:
                        value = candidate
                        break
                out[key] = value
        return out

    def table(self, ws, columns: tuple[L.Column, ...]) -> Table | None:
        merged = self._merged(ws)
        titles = {}
        for column in columns:
            for spelling in (column.title, *column.synonyms):
                titles.setdefault(title_key(spelling), column.key)
        header_row, header, duplicates = self._find_header(ws, titles, columns)
        for key, first, again in duplicates:
            title = next(c.title for c in columns if c.key == key)
            self.findings.append(finding("header.duplicate", sheet=ws.title, cell=f"{get_column_letter(again)}{header_row}",
                                         file=self.shown, column=title, first=get_column_letter(first)))
        missing = [c for c in columns if c.required and c.key not in header]
        if missing:
            # Point at the first free cell of the header row: where the column should be added back.
            next_col = 1
            if header_row:
                used = [c.column for c in ws[header_row] if not is_blank(c.value)]
                next_col = max(used) + 1 if used else 1
            for c in missing:
                cell = f"{get_column_letter(next_col)}{header_row}" if header_row else ""
                self.findings.append(finding("header.missing", sheet=ws.title, cell=cell, file=self.shown,
                                             column=c.title, what="列"))
            return None
        rows, last_row = [], header_row
        for r in range(header_row + 1, ws.max_row + 1):
            values = {key: self._value(ws, merged, r, col) for key, col in header.items()}
            if all(v.blank for v in values.values()):
                continue
            rows.append(values)
            last_row = r
        return Table(ws.title, header_row, header, rows, last_row)

    def _find_header(self, ws, titles: dict[str, str], columns) -> tuple[int, dict[str, int], list]:
        """The row (within the first 30) naming the most known columns, key -> column index, and
        the columns whose title appears twice in that row (key, first column, repeated column)."""
        best_row, best, best_dups = 0, {}, []
        primary = {c.key: title_key(c.title) for c in columns}
        for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, HEADER_SCAN_ROWS)):
            found: dict[str, int] = {}
            spelt: dict[str, str] = {}
            dups = []
            for cell in row:
                if cell.value is None:
                    continue
                typed = title_key(cell.value)
                key = titles.get(typed)
                if key is None:
                    continue
                if key in found:
                    if typed == spelt[key]:
                        dups.append((key, found[key], cell.column))
                    elif typed == primary[key]:
                        # The exact title beats a synonym met earlier in the row.
                        found[key], spelt[key] = cell.column, typed
                    continue
                found[key], spelt[key] = cell.column, typed
            if len(found) > len(best):
                best_row, best, best_dups = row[0].row, found, dups
        if len(best) < 2:
            return 0, {}, []
        return best_row, best, best_dups
