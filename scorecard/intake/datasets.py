"""Data workbooks and computed indicators (CONTRACT.md §12).

A data workbook is a platform's own export (学习强国积分, volunteer hours, a survey) that the
office drops into the input folder. It is recognised by its columns, not its name: any sheet whose
header row, within the first `HEADER_ROWS` rows, has every column a `data:` entry of rules.yaml
declares. Title rows above the header, extra columns and any sheet name are fine.

    recognise(path, rules)   -> DataFile | None   (None: not a data workbook, read it as a department's)
    gather(files)            -> rows per data name (several files add up; a newer same-named file replaces)
    compute(rules, files)    -> Computation: a score per (computed indicator, department) + office findings

Rows are read with python-calamine (a Rust reader: tens of thousands of rows in well under a
second), after the same safety gate as every workbook (`safety.open_safely`) but with the data
limits `limits.max_data_rows` / `limits.max_data_cells`, since exports are long by nature.
A bad row is a finding with its cell and is skipped; a data file is never rejected as a whole.
"""
from __future__ import annotations

import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import python_calamine
from openpyxl.utils import get_column_letter

from ..base.findings import ERROR, FileProblem, Finding, finding
from ..base.formatting import percent, quantity
from ..rules import Computed, DataSource, Indicator, Rules
from .safety import READABLE, open_safely
from ..base.text import clean_text, did_you_mean, fmt_number, is_blank, parse_number, title_key

logger = logging.getLogger(__name__)

DATA = "data"                       # a data workbook's status in summary.json submissions[]
HEADER_ROWS = 10                    # the header row is looked for in the first 10 rows of a sheet
TOTAL_WORDS = {"合计", "总计", "小计", "总合计"}   # a platform's totals row: not a person, skipped silently
SCORES_SHEET = "自评表"             # a workbook with this sheet is a department's, never data
METHOD_WORDS = {"share": "达标率", "mean": "人均值", "sum": "合计值"}
PROBLEM_NAMES = 20                  # at most this many below-target people named in a gap's 存在问题


@dataclass(frozen=True)
class DataRow:
    """One person (one row) of a data workbook, department already matched through rules."""

    department: str
    person: str
    values: dict[str, float]            # value column -> number (a row with a non-number is skipped)
    file: str
    sheet: str
    row: int
    cells: dict[str, str]               # value column -> A1 cell


@dataclass
class DataTable:
    """The rows one sheet holds for one `data:` entry."""

    data: str
    sheet: str
    header_row: int
    rows: list[DataRow] = field(default_factory=list)
    seen: int = 0                       # the rows read (totals rows aside), counted or not


@dataclass
class DataFile:
    """A recognised data workbook: its tables and every finding about its rows."""

    file: str                           # as shown (relative to the input folder in a run)
    path: Path | None
    sha256: str = ""
    mtime: float = 0.0
    tables: list[DataTable] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    replaced_by: str | None = None      # the newer same-named file that replaces this one
    status: str = DATA

    @property
    def names(self) -> list[str]:
        """The data this file holds (a sheet may hold several, several sheets the same)."""
        return list(dict.fromkeys(t.data for t in self.tables))

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def department(self) -> None:       # read like a Submission by console helpers
        return None

    def row_count(self, data: str | None = None) -> int:
        """The rows counted (each bad row has a finding and is left out)."""
        return sum(len(t.rows) for t in self.tables if data is None or t.data == data)

    def seen_count(self, data: str | None = None) -> int:
        """The rows read, counted or left out for an error (137 = 135 counted + 2 with errors)."""
        return sum(t.seen for t in self.tables if data is None or t.data == data)


# ---------------------------------------------------------------------------------------------
# Recognising and reading

def recognise(path: Path, rules: Rules, *, label: str | None = None, mtime: float | None = None) -> DataFile | None:
    """The data workbook at path, or None when it is not one (then it is read as a department's
    workbook, which reports any problem the file has: unreadable, too large, ...)."""
    if not rules.data or path.suffix.lower() not in READABLE:
        return None
    shown = label or str(path)
    try:
        safe = open_safely(path, rules.limits.long_sheets())
    except FileProblem:
        return None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(safe.data))
        names = [m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        if any(title_key(name) == SCORES_SHEET for name in names):
            return None
        sheets = [(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in names]
    except (python_calamine.CalamineError, ValueError, KeyError) as exc:
        logger.info("%s: not read as a data workbook (%s)", shown, exc)
        return None
    found: list[tuple[str, list, DataSource, int, dict[str, int]]] = []
    for name, grid in sheets:
        for source in rules.data:
            header = _header(grid, source)
            if header is not None:
                found.append((name, grid, source, *header))
    if not found:
        return None
    if mtime is None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
    datafile = DataFile(file=shown, path=path, sha256=safe.sha256, mtime=mtime)
    values = _value_columns(rules)
    for sheet, grid, source, header_row, columns in found:
        datafile.tables.append(_read_table(rules, datafile, sheet, grid, source, header_row, columns,
                                           values.get(source.name, ())))
    return datafile


def _header(grid: list[list], source: DataSource) -> tuple[int, dict[str, int]] | None:
    """(1-based header row, declared column -> 0-based index) when a row in the first ten has them all."""
    wanted = {title_key(c): c for c in source.columns}
    for r, row in enumerate(grid[:HEADER_ROWS]):
        columns: dict[str, int] = {}
        for c, value in enumerate(row):
            if is_blank(value):
                continue
            column = wanted.get(title_key(clean_text(value)))
            if column is not None and column not in columns:
                columns[column] = c
        if len(columns) == len(wanted):
            return r + 1, columns
    return None


def _text(value) -> str:
    """clean_text, with the common cases (text without control characters, a number) short-cut."""
    if type(value) is str:
        text = value.strip()
        return text if text.isprintable() else clean_text(value)
    return clean_text(value)


def _value_columns(rules: Rules) -> dict[str, tuple[str, ...]]:
    """data name -> the declared columns computed indicators read as numbers (in declared spelling)."""
    out: dict[str, list[str]] = defaultdict(list)
    for ind in rules.computed_indicators:
        source = rules.data_source(ind.computed.data)
        column = _declared(source, ind.computed.value)
        if column not in out[source.name]:
            out[source.name].append(column)
    return {k: tuple(v) for k, v in out.items()}


def _declared(source: DataSource, column: str) -> str:
    """A column as spelt in `columns` (rules may spell it with other spaces or width)."""
    key = title_key(column)
    return next((c for c in source.columns if title_key(c) == key), column)


def person_column(source: DataSource, value_columns) -> str:
    """`person:` when given, else the first declared column that is neither the department nor a value column."""
    if source.person:
        return _declared(source, source.person)
    skip = {title_key(source.department), *(title_key(v) for v in value_columns)}
    return next((c for c in source.columns if title_key(c) not in skip), "")


def _read_table(rules: Rules, datafile: DataFile, sheet: str, grid: list[list], source: DataSource,
                header_row: int, columns: dict[str, int], value_columns: tuple[str, ...]) -> DataTable:
    table = DataTable(source.name, sheet, header_row)
    dept_col = columns[_declared(source, source.department)]
    person = person_column(source, value_columns)
    person_col = columns.get(person)
    used = [columns[v] for v in value_columns] + [dept_col] + ([person_col] if person_col is not None else [])
    letters = {c: get_column_letter(c + 1) for c in columns.values()}
    spellings = [s for d in rules.departments for s in (d.name, *d.aliases)]
    add = datafile.findings.append
    width = max(used) + 1
    departments: dict = {}          # typed spelling -> Department | None (exports repeat a few spellings)
    value_cols = [(column, columns[column], letters[columns[column]]) for column in value_columns]
    dept_letter = letters[dept_col]
    seen = 0
    for r in range(header_row, len(grid)):
        row = grid[r]
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if all(is_blank(row[c]) for c in used):
            continue
        number = r + 1
        who = _text(row[person_col]) if person_col is not None else ""
        raw_dept = row[dept_col]
        typed_dept = _text(raw_dept)
        if who in TOTAL_WORDS or typed_dept in TOTAL_WORDS:
            continue
        seen += 1
        if typed_dept in departments:
            department = departments[typed_dept]
        else:
            department = departments[typed_dept] = rules.department(typed_dept) if typed_dept else None
        if department is None:
            rule = "data.unknown_department" if typed_dept else "data.unknown_department/empty"
            add(finding(rule, sheet=sheet, cell=f"{dept_letter}{number}", value=typed_dept, file=datafile.file,
                        column=source.department, data=source.name, hint=did_you_mean(typed_dept, spellings)))
            continue
        values: dict[str, float] = {}
        cells: dict[str, str] = {}
        ok = True
        for column, c, letter in value_cols:
            raw = row[c]
            cells[column] = cell = f"{letter}{number}"
            # calamine gives numbers as float: the common case skips the text parser
            value = raw if type(raw) is float and raw == raw and abs(raw) != float("inf") else (
                None if is_blank(raw) else parse_number(raw))
            if value is None:
                ok = False
                rule = "data.not_number/empty" if is_blank(raw) else "data.not_number"
                add(finding(rule, sheet=sheet, cell=cell, value=clean_text(raw), file=datafile.file,
                            column=column, data=source.name))
            else:
                values[column] = value
        if ok:                          # a row with a non-number is skipped (its finding names the cell)
            table.rows.append(DataRow(department.name, who, values, datafile.file, sheet, number, cells))
    table.seen = seen
    if not seen:
        add(finding("data.no_rows/file", sheet=sheet, cell=f"A{header_row + 1}", file=datafile.file,
                    data=source.name))
    return table


# ---------------------------------------------------------------------------------------------
# Several files of the same data

def gather(files: list[DataFile]) -> dict[str, list[DataRow]]:
    """data name -> every row that counts. Files add up, except that of files with the same file
    name (in different folders) only the newest (modification time, then path) counts; the older
    ones get a `data.replaced` warning and `replaced_by`."""
    by_name: dict[str, list[DataFile]] = defaultdict(list)
    for f in files:
        by_name[Path(f.file).name.casefold()].append(f)
    for same in by_name.values():
        same.sort(key=lambda f: (f.mtime, f.file))
        newest = same[-1]
        for old in same[:-1]:
            if old.replaced_by is None:
                old.replaced_by = newest.file
                old.findings.append(finding("data.replaced", file=old.file, newer=newest.file))
    rows: dict[str, list[DataRow]] = defaultdict(list)
    for f in files:
        if f.replaced_by is None:
            for table in f.tables:
                rows[table.data].extend(table.rows)
    return dict(rows)


# ---------------------------------------------------------------------------------------------
# Scores from data

@dataclass(frozen=True)
class Person:
    """Someone below target, as the reports and the gap list name them."""

    name: str
    value: float
    file: str
    sheet: str
    cell: str


@dataclass(frozen=True)
class ComputedScore:
    """One department's computed score on one indicator (summary.json `computed[]`)."""

    indicator: str
    department: str
    rows: int                       # n: the department's rows with a number in the value column
    meeting: int                    # rows with v ≥ target
    value: float | None             # the share (0..1), the mean or the sum; None when rows = 0
    score: float
    data: str
    method: str
    target: float
    max: float
    mean: float | None              # always given, so a report can say 人均 … whatever the method
    total: float
    below: tuple[Person, ...] = ()  # rows with v < target (share and mean only; a sum has no per-person target)
    files: tuple[str, ...] = ()


@dataclass
class Computation:
    scores: list[ComputedScore] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)      # data.no_rows / data.missing, for office_findings
    missing: tuple[str, ...] = ()                               # computed indicators whose data never arrived

    def score(self, indicator: str, department: str) -> ComputedScore | None:
        return next((s for s in self.scores if (s.indicator, s.department) == (indicator, department)), None)


def score_department(ind: Indicator, department: str, rows: list[DataRow]) -> ComputedScore:
    """§12 for one department: share = max × meeting / n; mean = max × min(1, mean / target);
    sum = max × min(1, sum / target). No rows: 0."""
    spec: Computed = ind.computed
    column = spec.value
    values = [(r, r.values[column]) for r in rows if r.values.get(column) is not None]
    n = len(values)
    target = spec.target
    meeting = sum(1 for _, v in values if v >= target - 1e-9)
    total = sum(v for _, v in values)
    mean = total / n if n else None
    if n == 0:
        value, score = None, 0.0
    elif spec.method == "share":
        value = meeting / n
        score = ind.max * value
    elif spec.method == "mean":
        value = mean
        score = ind.max * min(1.0, mean / target)
    else:
        value = total
        score = ind.max * min(1.0, total / target)
    below = ()
    if spec.method != "sum":
        below = tuple(Person(r.person, v, r.file, r.sheet, r.cells[column]) for r, v in values if v < target - 1e-9)
    files = tuple(dict.fromkeys(r.file for r, _ in values))
    return ComputedScore(ind.code, department, n, meeting, value, score, spec.data, spec.method, target,
                         ind.max, mean, total, below, files)


def compute(rules: Rules, files: list[DataFile]) -> Computation:
    """Every computed indicator × its departments, from the data files of the round."""
    out = Computation()
    rows = gather(files)
    missing: dict[str, list[str]] = defaultdict(list)
    for ind in rules.computed_indicators:
        spec = ind.computed
        spec = replace(spec, value=_declared(rules.data_source(spec.data), spec.value))
        ind = replace(ind, computed=spec)
        if not any(spec.data in f.names and f.replaced_by is None for f in files):
            missing[spec.data].append(ind.code)
            continue
        by_dept: dict[str, list[DataRow]] = defaultdict(list)
        for r in rows.get(spec.data, ()):
            by_dept[r.department].append(r)
        for dept in ind.departments:
            result = score_department(ind, dept, by_dept.get(dept, []))
            out.scores.append(result)
            if result.rows == 0:
                out.findings.append(finding("data.no_rows", department=dept, data=spec.data, code=ind.code,
                                            name=ind.name))
    for data, codes in missing.items():
        source = rules.data_source(data)
        out.findings.append(finding("data.missing", data=data, columns="、".join(source.columns),
                                    codes="、".join(codes)))
    out.missing = tuple(code for codes in missing.values() for code in codes)
    return out


# ---------------------------------------------------------------------------------------------
# The basis in words (renderers only copy these strings)

def basis(s: ComputedScore) -> str:
    """42 人中 38 人达到 8000 分，人均 7,420 分 — how the score came about, in one sentence."""
    target = quantity(s.target)         # a measured amount: 8,000 分, as the mean reads 7,420
    if s.rows == 0:
        return f"“{s.data}”中没有本部门的记录，按 0 分计"
    mean = f"人均 {_big(s.mean)} 分"
    if s.method == "share":
        text = f"{s.rows} 人中 {s.meeting} 人达到 {target} 分，{mean}，达标率 {percent(s.value)}"
    elif s.method == "mean":
        text = f"{s.rows} 人{mean}，目标人均 {target} 分，{s.meeting} 人达到"
    else:
        text = f"{s.rows} 人合计 {_big(s.total)}，目标合计 {target}"
    return f"{text}，得 {fmt_number(s.score)} 分（满分 {fmt_number(s.max)} 分）"


def problem_text(s: ComputedScore) -> str:
    """存在问题 of a 低分 gap on a computed indicator: the basis and the people below target."""
    text = basis(s)
    if s.below:
        names = [f"{p.name or p.cell}（{_big(p.value)}分）" for p in s.below[:PROBLEM_NAMES]]
        more = f"等 {len(s.below)} 人" if len(s.below) > PROBLEM_NAMES else f"共 {len(s.below)} 人"
        text += f"；未达到 {quantity(s.target)} 分：{'、'.join(names)}{more}"
    return text


def method_words(spec: Computed) -> str:
    """The rule in words, for the template: data name, method and target."""
    target = fmt_number(spec.target)
    if spec.method == "share":
        how = f"达标率（{spec.value}达到 {target} 的人数 ÷ 总人数）× 分值"
    elif spec.method == "mean":
        how = f"人均{spec.value} ÷ {target} × 分值，最高为满分"
    else:
        how = f"{spec.value}合计 ÷ {target} × 分值，最高为满分"
    return f"数据：“{spec.data}”；计分方法：{how}；目标：{target}"


def _big(x) -> str:
    """7420 -> '7,420'; 7420.5 -> '7,420.5' (thousands separators, as a report writes them)."""
    return quantity(x)
