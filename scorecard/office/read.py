"""Reading the office's workbooks back (CONTRACT.md §11): 核定表.xlsx and 问题清单.xlsx.

Every copy the tool writes carries a very hidden `_meta` sheet with a copy id and the values it
wrote into each editable cell; an edit is a cell whose value now differs from that. This module
only reads: it turns a file into rows of normalised values with their A1 cells and tells which
cells changed. Judging the values and keeping them is scorecard.office.apply.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from ..intake.safety import Limits, open_safely
from ..base.text import clean_text, parse_date, parse_number, title_key

REVIEW_SHEET = "核定表"
REVIEW_FILE = "核定表.xlsx"
GAP_SHEET = "问题清单"
GAP_FILE = "问题清单.xlsx"
CLOSED_SHEET = "已消除问题"          # 问题清单.xlsx: last round's gaps that are gone, to sign off
META_SHEET = "_meta"
REVIEW, TRACKING = "review", "tracking"

NOT_STARTED, IN_PROGRESS, TO_VERIFY, CLOSED = "未整改", "整改中", "待核验", "已销号"
TRACKING_STATES = (NOT_STARTED, IN_PROGRESS, TO_VERIFY, CLOSED)

# Editable columns: title -> field. Locked columns are only read to find the row.
REVIEW_FIELDS = {"核定得分": "score", "核定说明": "reason", "核定人": "reviewer", "核定日期": "date"}
TRACKING_FIELDS = {"整改状态": "status", "整改情况": "note", "销号日期": "closed_on", "核验人": "verifier",
                   "延期至": "extended_to", "延期理由": "extension_reason"}                  # §14 延期
# Columns added after copies were already in use (§14): a copy without them is not missing anything.
LATER_TITLES = {"延期至", "延期理由"}
FIELDS = {REVIEW: REVIEW_FIELDS, TRACKING: TRACKING_FIELDS}
SHEETS = {REVIEW: REVIEW_SHEET, TRACKING: GAP_SHEET}                 # what makes a file an office file
READ_SHEETS = {REVIEW: (REVIEW_SHEET,), TRACKING: (GAP_SHEET, CLOSED_SHEET)}   # what is read from it
KEY_TITLES = {REVIEW: ("部门", "指标编号"), TRACKING: ("问题编号",)}
# Locked columns read for what the office saw beside its edit: a 延期至 must be after the 完成时限.
CONTEXT_TITLES = {REVIEW: (), TRACKING: ("完成时限",)}
NUMBER_FIELDS = {"score"}
DATE_FIELDS = {"date", "closed_on", "extended_to"}
HEADER_SEARCH_ROWS = 10
META_CHUNK = 30000               # characters per _meta cell (Excel's limit is 32767)
_SHEET_NAME = re.compile(r'<(?:\w+:)?sheet\s[^>]*?\bname="([^"]*)"')
_WORKBOOK_XML_LIMIT = 2 << 20


def norm(fieldname: str, value, epoch=None) -> str:
    """A cell's value as it is compared and stored: numbers and dates canonical, text trimmed.

    Excel, WPS and LibreOffice may save 3 as 3.0, a date as a datetime or a serial number; all
    compare equal to what was written. Blank is "". A blank 整改状态 means 未整改.
    """
    if fieldname in NUMBER_FIELDS:
        number = parse_number(value)
        if number is not None:
            return fmt_canonical(number)
    elif fieldname in DATE_FIELDS:
        day = parse_date(value, epoch)
        if day is not None:
            return day.isoformat()
    text = clean_text(value)
    if fieldname == "status" and not text:
        return NOT_STARTED
    if fieldname == "status":
        return text.replace(" ", "").replace("\u3000", "")
    return text


def required_fields(kind: str) -> list[str]:
    """The editable titles every copy of ours has had since it was first written."""
    return [t for t in FIELDS[kind] if t not in LATER_TITLES]


def fmt_canonical(number: float) -> str:
    number = round(float(number), 10)
    return str(int(number)) if number.is_integer() else repr(number)


def review_key(department: str, indicator: str) -> str:
    return f"{department}|{indicator}"


@dataclass
class Row:
    """One data row of an office sheet: its key cells and editable cells, normalised."""

    number: int                                   # Excel row number
    keys: dict[str, str]                          # key title -> text (部门, 指标编号 / 问题编号)
    values: dict[str, str]                        # field -> normalised value
    raw: dict[str, object]                        # field -> value as typed
    cells: dict[str, str]                         # field -> A1 cell
    key_cells: dict[str, str] = field(default_factory=dict)
    context: dict[str, object] = field(default_factory=dict)   # CONTEXT_TITLES title -> value as typed


@dataclass
class OfficeCopy:
    """What one office workbook holds: its rows and, when it is one of ours, what we wrote into it."""

    kind: str                                     # review | tracking
    file: str                                     # label shown in findings
    path: Path
    mtime: float
    sheet: str
    rows: list[Row]
    copy_id: str | None = None
    round: str | None = None
    written: dict[str, dict[str, str]] | None = None   # row key -> field -> normalised value
    missing: list[str] = field(default_factory=list)   # editable titles absent from the header
    header_row: int = 1


@dataclass
class Edit:
    """One row's edits in one office copy, as found (judged by office.apply)."""
    kind: str
    key: object                   # (department, indicator) or gap key
    changes: dict[str, str]       # field -> normalised new value
    row: Row
    copy: OfficeCopy
    order: int

    @property
    def sort_key(self):
        return self.copy.mtime, self.order


def is_office_workbook(path: Path) -> bool:
    """True for a workbook with a sheet named 核定表 or 问题清单 and no 自评表 (a department's form).

    Cheap: reads only the workbook part's sheet list, never the sheets. Anything unreadable is
    "not an office workbook" and goes the ordinary way (where it is reported).
    """
    return bool(office_kinds(path))


def office_kinds(path: Path) -> list[str]:
    names = _sheet_names(path)
    keys = {title_key(n) for n in names}
    if title_key("自评表") in keys:
        return []
    return [kind for kind, sheet in SHEETS.items() if title_key(sheet) in keys]


def _sheet_names(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/workbook.xml")
            if info.file_size > _WORKBOOK_XML_LIMIT:
                return []
            with zf.open(info) as part:
                text = part.read(_WORKBOOK_XML_LIMIT + 1).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError):
        return []
    return [html.unescape(n) for n in _SHEET_NAME.findall(text)]


def read_copies(path: Path, label: str, limits: Limits) -> list[OfficeCopy]:
    """Both office sheets a file holds (a 问题清单.xlsx has one, a merged copy may have both).

    Raises findings.FileProblem when the file cannot be read safely at all.
    """
    safe = open_safely(path, limits)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Read-only (streamed rows): 核定表 has 140,000 rows at 10,000 departments, which a full
            # load held as 1.7 million cell objects (over 1 GB, most of a rerun's time).
            wb = openpyxl.load_workbook(io.BytesIO(safe.data), data_only=True, read_only=True)
        except Exception as exc:  # openpyxl raises many types for odd files
            from ..base.findings import FileProblem, finding

            raise FileProblem(finding("file.unreadable", file=label,
                                      reason=f"工作簿内容损坏或不是标准 Excel 格式（{type(exc).__name__}）")) from exc
    try:
        meta = _meta(wb)
        copies = []
        for kind, names in READ_SHEETS.items():
            for sheet_name in names:
                ws = next((ws for ws in wb.worksheets if title_key(ws.title) == title_key(sheet_name)), None)
                if ws is None:
                    continue
                copy = _read_sheet(ws, kind, wb.epoch)
                copy.file, copy.path, copy.mtime = label, path, mtime
                info = meta.get(kind)
                if info:
                    copy.copy_id, copy.round, copy.written = info["copy"], info.get("round"), info["values"]
                copies.append(copy)
    except (SyntaxError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        # Rows are parsed while they are read: a damaged sheet shows here (XML errors are SyntaxErrors).
        from ..base.findings import FileProblem, finding

        raise FileProblem(finding("file.unreadable", file=label,
                                  reason=f"工作簿内容损坏或不是标准 Excel 格式（{type(exc).__name__}）")) from exc
    finally:
        wb.close()
    return copies


def _read_sheet(ws, kind: str, epoch) -> OfficeCopy:
    fields = FIELDS[kind]
    wanted = {title_key(t): t for t in (*KEY_TITLES[kind], *CONTEXT_TITLES[kind], *fields)}
    header_row, columns = None, {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), 1):
        found = {}
        for c, value in enumerate(row, 1):
            title = wanted.get(title_key(value)) if value is not None else None
            if title and title not in found:
                found[title] = c
        if all(t in found for t in KEY_TITLES[kind]):
            header_row, columns = r, found
            break
    copy = OfficeCopy(kind=kind, file="", path=Path(), mtime=0.0, sheet=ws.title, rows=[])
    if header_row is None:
        copy.missing = list(KEY_TITLES[kind])
        return copy
    copy.missing = [t for t in fields if t not in columns and t not in LATER_TITLES]
    copy.header_row = header_row
    for r, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), header_row + 1):
        keys = {t: clean_text(row[columns[t] - 1]) if columns[t] - 1 < len(row) else "" for t in KEY_TITLES[kind]}
        if not any(keys.values()):
            continue
        values, raw, cells = {}, {}, {}
        for title, name in fields.items():
            col = columns.get(title)
            if col is None:
                continue
            value = row[col - 1] if col - 1 < len(row) else None
            raw[name] = value
            values[name] = norm(name, value, epoch)
            cells[name] = f"{openpyxl.utils.get_column_letter(col)}{r}"
        key_cells = {t: f"{openpyxl.utils.get_column_letter(columns[t])}{r}" for t in KEY_TITLES[kind]}
        context = {t: row[columns[t] - 1] for t in CONTEXT_TITLES[kind] if t in columns and columns[t] - 1 < len(row)}
        copy.rows.append(Row(number=r, keys=keys, values=values, raw=raw, cells=cells, key_cells=key_cells,
                             context=context))
    return copy


def _meta(wb) -> dict[str, dict]:
    """kind -> {copy, round, values} from the hidden _meta sheet, if the file is one of ours."""
    if META_SHEET not in wb.sheetnames:
        return {}
    found: dict[str, dict] = {}
    rows = list(wb[META_SHEET].iter_rows(min_row=1, max_col=3, values_only=True))
    current = None
    chunks: dict[str, list[str]] = {}
    for row in rows:
        label = row[0] if row else None
        if label == "kind":
            current = str(row[1])
            found[current] = {"copy": None, "round": None, "values": {}}
            chunks[current] = []
        elif current and label == "copy":
            found[current]["copy"] = str(row[1]) if row[1] is not None else None
        elif current and label == "round":
            found[current]["round"] = str(row[1]) if row[1] is not None else None
        elif current and label == "values" and row[1] is not None:
            chunks[current].append(str(row[1]))
    for kind, parts in chunks.items():
        try:
            values = json.loads("".join(parts)) if parts else {}
        except ValueError:
            values = None
        if not isinstance(values, dict) or not found[kind]["copy"]:
            found.pop(kind)
            continue
        found[kind]["values"] = values
    return found


def write_meta(wb, kind: str, copy_id: str, round_name: str, written: dict[str, dict[str, str]],
               now: dt.datetime | None = None) -> None:
    """Add (or extend) the very hidden _meta sheet describing this copy."""
    ws = wb[META_SHEET] if META_SHEET in wb.sheetnames else wb.create_sheet(META_SHEET)
    ws.sheet_state = "veryHidden"
    start = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value is not None else 1
    text = json.dumps(written, ensure_ascii=False, sort_keys=True)
    lines = [("kind", kind), ("copy", copy_id), ("round", round_name),
             ("written_at", (now or dt.datetime.now()).isoformat(timespec="seconds"))]
    lines += [("values", text[i:i + META_CHUNK]) for i in range(0, len(text), META_CHUNK)] or [("values", "{}")]
    for offset, (label, value) in enumerate(lines):
        ws.cell(row=start + offset, column=1, value=label)
        cell = ws.cell(row=start + offset, column=2, value=value)
        cell.data_type = "s"


def changed_cells(row: Row, baseline: dict[str, str] | None) -> dict[str, str]:
    """Fields whose value differs from what was written (baseline) into this row."""
    baseline = baseline or {}
    return {name: value for name, value in row.values.items() if value != baseline.get(name, _blank(name))}


def _blank(name: str) -> str:
    return NOT_STARTED if name == "status" else ""

