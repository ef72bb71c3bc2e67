"""Rows × rules → findings and clean data (CONTRACT.md §3). Never raises for bad data.

`validate(parsed, rules)` judges every value of a parsed workbook and returns a `Checked`:
the department it is from, every finding at once (each with sheet, A1 cell, value and a Chinese
message from the catalogue), and the clean entries, vetoes and bonus claims that scoring uses
when the submission is accepted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import layout as L
from ..base.findings import Finding, finding, has_error
from ..rules import Rules
from ..base.text import clean_text, did_you_mean, fmt_number, parse_date, parse_number, squash
from .workbook import ParsedWorkbook, Table, Value


def _quick_pickle(cls):
    """Pickle a frozen dataclass with slots by one attrgetter: dataclasses' own state methods call
    fields() for every object, which made the read pool's workers (pickling 140,000 entries at
    10,000 departments) spend twice as long pickling."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    get = operator.attrgetter(*names)

    def getstate(self):
        return get(self)

    def setstate(self, state):
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    cls.__getstate__, cls.__setstate__ = getstate, setstate
    return cls


# A submission's status in summary.json.
ACCEPTED, REJECTED, SUPERSEDED, IGNORED = "accepted", "rejected", "superseded", "ignored"


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Entry:
    """One indicator row of an accepted workbook, as scoring sees it."""

    indicator: str
    score: float
    status: str
    evidence: str
    problem: str
    measure: str
    owner: str
    deadline: dt.date | None
    refs: dict[str, str] = field(default_factory=dict)     # column key -> A1 cell


@_quick_pickle
@dataclass(frozen=True, slots=True)
class VetoAnswer:
    code: str
    occurred: bool
    note: str
    cell: str


@_quick_pickle
@dataclass(frozen=True, slots=True)
class BonusClaim:
    project: str
    points: float
    description: str
    evidence: str
    cell: str


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Checked:
    """What validation found in one file: who it is from, every finding, and the clean values.

    It carries no bytes and no place in the run (accepted, superseded...): those belong to the
    pipeline (scoring.Placed); how the ledger stores it belongs to ledger.py.
    """

    file: str                       # as shown to people and in summary.json
    path: Path | None
    sha256: str = ""
    mtime: float = 0.0
    department: str | None = None
    fill_date: dt.date | None = None
    filler: str = ""
    phone: str = ""
    findings: tuple[Finding, ...] = ()
    entries: tuple[Entry, ...] = ()
    vetoes: tuple[VetoAnswer, ...] = ()
    bonuses: tuple[BonusClaim, ...] = ()

    @property
    def ok(self) -> bool:
        return not has_error(self.findings)


@dataclass
class _Draft:
    """The mutable form of Checked while validation fills it in."""

    department: str | None = None
    fill_date: dt.date | None = None
    filler: str = ""
    phone: str = ""
    findings: list[Finding] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    vetoes: list[VetoAnswer] = field(default_factory=list)
    bonuses: list[BonusClaim] = field(default_factory=list)


def validate(parsed: ParsedWorkbook, rules: Rules, *, file: str, mtime: float = 0.0) -> Checked:
    sub = _Draft()
    sub.findings.extend(f if f.file else _with_file(f, file) for f in parsed.findings)
    check = _Checker(sub, rules, parsed, file)
    check.info()
    if parsed.fingerprint and parsed.fingerprint != rules.fingerprint:
        check.add("template.outdated", sheet="", cell="",
                  detail=f"模板指纹 {parsed.fingerprint}，现行 {rules.fingerprint}")
    if L.SCORES in parsed.tables and sub.department:
        check.scores(parsed.tables[L.SCORES])
    if L.VETOES in parsed.tables:
        check.vetoes(parsed.tables[L.VETOES])
    if L.BONUS in parsed.tables:
        check.bonuses(parsed.tables[L.BONUS])
    return Checked(file=file, path=parsed.safe.path, sha256=parsed.safe.sha256, mtime=mtime,
                   department=sub.department, fill_date=sub.fill_date, filler=sub.filler, phone=sub.phone,
                   findings=tuple(sub.findings), entries=tuple(sub.entries), vetoes=tuple(sub.vetoes),
                   bonuses=tuple(sub.bonuses))


def _with_file(f: Finding, file: str) -> Finding:
    return replace(f, file=file)


class _Checker:
    def __init__(self, sub: _Draft, rules: Rules, parsed: ParsedWorkbook, file: str):
        self.sub, self.rules, self.parsed, self.file = sub, rules, parsed, file

    def add(self, rule: str, *, sheet: str, cell: str, value=None, **params) -> None:
        self.sub.findings.append(finding(rule, sheet=sheet, cell=cell, value=value, file=self.file, **params))

    def at(self, rule: str, v: Value, **params) -> None:
        shown = clean_text(v.raw) if v is not None else ""
        self.add(rule, sheet=v.sheet, cell=v.cell, value=shown, **params)

    def date(self, v: Value | None) -> dt.date | None:
        if v is None or v.blank:
            return None
        return parse_date(v.raw, self.parsed.epoch)

    # -- 基本信息 ------------------------------------------------------------------------------
    def info(self) -> None:
        if L.INFO not in self.parsed.sheet_names:
            return
        sheet = self.parsed.sheet_names[L.INFO]
        info = self.parsed.info
        dept = info.get("department")
        if dept is None:
            self.add("header.missing", sheet=sheet, cell="", column="部门名称", what="标签")
        elif dept.blank:
            self.at("department.missing", dept)
        else:
            found = self.rules.department(dept.raw)
            if found is None:
                typed = clean_text(dept.raw)
                spellings = [s for d in self.rules.departments for s in (d.name, *d.aliases)]
                self.at("department.unknown", dept, hint=did_you_mean(typed, spellings))
            else:
                self.sub.department = found.name
        for key, label in (("filler", "填报人"), ("phone", "联系电话")):
            v = info.get(key)
            if v is None or v.blank:
                self.add("info.missing", sheet=sheet, cell=v.cell if v else "", label=label)
            else:
                setattr(self.sub, key, clean_text(v.raw))
        fill = info.get("fill_date")
        if fill is None or fill.blank:
            self.add("info.missing", sheet=sheet, cell=fill.cell if fill else "", label="填报日期")
        else:
            self.sub.fill_date = self.date(fill)
            if self.sub.fill_date is None:
                self.at("date.invalid", fill, column="填报日期")

    # -- 自评表 --------------------------------------------------------------------------------
    def scores(self, table: Table) -> None:
        rules, dept = self.rules, self.sub.department
        assigned = {i.code for i in rules.indicators_of(dept)}
        codes = [i.code for i in rules.indicators]
        seen: dict[str, int] = {}
        for row in table.rows:
            code_v = row["code"]
            code = _code(code_v.raw)
            if not code:
                if any(not row[k].blank for k in ("score", "status", "problem", "measure") if k in row):
                    self.at("indicator.code_missing", code_v, row=code_v.row)
                continue
            indicator = rules.indicator(code)
            if indicator is None:
                self.at("indicator.unknown", code_v, hint=did_you_mean(code, codes))
                continue
            if code in seen:
                self.at("indicator.duplicate", code_v, first_row=seen[code])
                continue
            seen[code] = code_v.row
            if code not in assigned:
                self.at("indicator.not_assigned", code_v, code=code, name=indicator.name)
                continue
            if indicator.computed is not None:
                self.computed_entry(row, indicator)
            else:
                self.entry(row, indicator)
        name = {i.code: i for i in rules.indicators}
        # A computed indicator (§12) needs no row: its score comes from data.
        for code in (c for c in codes if c in assigned and c not in seen and name[c].computed is None):
            cell = table.place("code", table.last_row + 1)
            self.add("indicator.missing", sheet=table.sheet, cell=cell, code=code, name=name[code].name,
                     max=fmt_number(name[code].max), what="不在表中")

    def entry(self, row: dict[str, Value], ind) -> None:
        maximum = ind.max
        score_v = row["score"]
        score = None
        if score_v.blank:
            self.at("indicator.missing", score_v, code=ind.code, name=ind.name, max=fmt_number(maximum),
                    what="未填写自评得分")
        else:
            score = parse_number(score_v.raw)
            if score is None:
                self.at("score.not_number", score_v, max=fmt_number(maximum), example=fmt_number(maximum))
            elif score < 0 or score > maximum + 1e-9:
                self.add("score.out_of_range", sheet=score_v.sheet, cell=score_v.cell, value=fmt_number(score),
                         code=ind.code, max=fmt_number(maximum))
                score = None
        shown_max = row.get("max")
        if shown_max is not None and not shown_max.blank:
            shown = parse_number(shown_max.raw)
            if shown is None or abs(shown - maximum) > 1e-9:
                self.at("indicator.max_mismatch", shown_max, shown=clean_text(shown_max.raw),
                        max=fmt_number(maximum))
        status = self.status(row["status"])
        texts = {k: clean_text(row[k].raw) for k in ("evidence", "problem", "measure", "owner")}
        deadline_v = row["deadline"]
        deadline = self.date(deadline_v)
        if not deadline_v.blank and deadline is None:
            self.at("date.invalid", deadline_v, column="完成时限")
        if score is not None and score < maximum - 1e-9:
            for key, title in (("problem", "存在问题"), ("measure", "整改措施"), ("owner", "责任人"),
                               ("deadline", "完成时限")):
                if row[key].blank:
                    self.at("field.required", row[key], score=fmt_number(score), max=fmt_number(maximum),
                            column=title)
        if score is not None and score > 0 and ind.evidence_required and row["evidence"].blank:
            self.at("evidence.missing", row["evidence"], code=ind.code, score=fmt_number(score))
        if score is not None:
            self.sub.entries.append(Entry(
                indicator=ind.code, score=score, status=status or "", deadline=deadline,
                refs=_refs(row), **texts))

    def computed_entry(self, row: dict[str, Value], ind) -> None:
        """A row for a computed indicator (§12): read and shown beside the computed score, never
        counted while the round has the data. Nothing is required; a typed score is still checked."""
        score_v = row["score"]
        if score_v.blank:
            return
        score = parse_number(score_v.raw)
        if score is None:
            self.at("score.not_number", score_v, max=fmt_number(ind.max), example=fmt_number(ind.max))
            return
        if score < 0 or score > ind.max + 1e-9:
            self.add("score.out_of_range", sheet=score_v.sheet, cell=score_v.cell, value=fmt_number(score),
                     code=ind.code, max=fmt_number(ind.max))
            return
        statuses = {squash(s): s for s in self.rules.statuses}
        texts = {k: clean_text(row[k].raw) for k in ("evidence", "problem", "measure", "owner")}
        self.sub.entries.append(Entry(
            indicator=ind.code, score=score, status=statuses.get(squash(row["status"].raw), ""),
            deadline=self.date(row["deadline"]), refs=_refs(row), **texts))

    def status(self, v: Value) -> str | None:
        if v.blank:
            self.at("status.invalid/empty", v, allowed="、".join(self.rules.statuses))
            return None
        typed = squash(v.raw)
        for allowed in self.rules.statuses:
            if squash(allowed) == typed:
                return allowed
        self.at("status.invalid", v, allowed="、".join(self.rules.statuses))
        return None

    # -- 否决事项 ------------------------------------------------------------------------------
    def vetoes(self, table: Table) -> None:
        known = {squash(v.code).upper(): v for v in self.rules.vetoes}
        seen: dict[str, int] = {}
        for row in table.rows:
            code_v, answer_v = row["code"], row["occurred"]
            code = squash(clean_text(code_v.raw)).upper()
            if not code:
                if squash(answer_v.raw) == L.YES:
                    self.at("veto.unknown", code_v, hint="")
                continue
            veto = known.get(code)
            if veto is None:
                self.at("veto.unknown", code_v, hint=did_you_mean(code, list(known)))
                continue
            if veto.code in seen:
                self.at("veto.duplicate", code_v, first_row=seen[veto.code])
                continue
            seen[veto.code] = code_v.row
            answer = squash(answer_v.raw)
            if answer not in (L.YES, L.NO):
                rule = "veto.invalid/empty" if answer_v.blank else "veto.invalid"
                self.at(rule, answer_v, code=veto.code)
                continue
            note = clean_text(row["note"].raw) if "note" in row else ""
            self.sub.vetoes.append(VetoAnswer(veto.code, answer == L.YES, note, answer_v.cell))
        for veto in self.rules.vetoes:
            if veto.code not in seen:
                self.add("veto.missing", sheet=table.sheet, cell="", code=veto.code, name=veto.name)

    # -- 特色亮点 ------------------------------------------------------------------------------
    def bonuses(self, table: Table) -> None:
        cap = self.rules.bonus_cap
        for row in table.rows:
            points_v, project_v = row["points"], row["project"]
            if points_v.blank:
                continue                    # a highlight without a claim scores nothing
            points = parse_number(points_v.raw)
            if points is None:
                self.at("bonus.not_number", points_v, cap=fmt_number(cap))
                continue
            if points < 0 or points > cap + 1e-9:
                self.add("bonus.out_of_range", sheet=points_v.sheet, cell=points_v.cell,
                         value=fmt_number(points), cap=fmt_number(cap))
                continue
            if project_v.blank:
                self.at("bonus.name_missing", project_v, row=project_v.row)
                continue
            self.sub.bonuses.append(BonusClaim(
                clean_text(project_v.raw), points,
                clean_text(row["description"].raw) if "description" in row else "",
                clean_text(row["evidence"].raw) if "evidence" in row else "", points_v.cell))


_REFS: dict[tuple, dict[str, str]] = {}


def _refs(row: dict[str, Value]) -> dict[str, str]:
    """Column key -> A1 cell of a row. Rows of the standard form have the same cells in every
    workbook: one shared dict each (never changed), not 140,000 at 10,000 departments; pickled
    results of a chunk of files keep sharing them."""
    key = tuple((k, v.cell) for k, v in row.items())
    found = _REFS.get(key)
    if found is None:
        if len(_REFS) > 4096:
            _REFS.clear()
        found = _REFS[key] = dict(key)
    return found


def _code(raw) -> str:
    """An indicator code as typed: '1.1', 1.1 (a number), '１．１', ' 1.1 '."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        return repr(raw)
    return squash(clean_text(raw)).rstrip(".")
