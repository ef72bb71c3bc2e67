"""Judging the evidence files of a round (CONTRACT §13): a pure function of the rules, what was found
(evidence.find), what each file is (evidence.inspect) and what earlier rounds held; no files.

Each file gets its findings (in the §3 form: sheet 佐证材料, cell = its path in the evidence folder)
and whether it is counted: a counted file is assigned to one of the department's indicators, was
read whole, is what its name says, within the size limits and of a kind the indicator accepts.
Reuse (the same bytes, or a near-copy image, as another department's file or an earlier round's)
and a photo dated before `period_start` are warnings: such a file is still counted, and its
indicator gets a 佐证存疑 gap. Each (department, indicator) of an accepted submission gets a tally:
counted files against `min_files`, and the 佐证缺失 wording when it falls short.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from ..base.findings import Finding, finding
from ..base.text import chinese_date, fmt_number
from ..rules import Rules
from .inspect import SIMILAR_BITS, Inspection, hamming

SHEET = "佐证材料"
KIND_NAMES = {"image": "照片", "document": "文件", "video": "视频", "any": "材料"}
KIND_UNITS = {"image": "张", "document": "份", "video": "个", "any": "个"}
TYPE_NAMES = {"zip": "压缩包", "txt": "文本文件", "exe": "可执行程序", "unknown": "无法识别类型的文件"}
ERRORS = {"evidence.type_mismatch", "evidence.unreadable", "evidence.too_large"}
DOUBTS = {"evidence.duplicate", "evidence.similar", "evidence.dated_before"}


@dataclass(frozen=True)
class Read:
    """One found file after reading: its SHA-256 and what it is, or why it could not be read."""

    source: object                     # evidence.find.Source
    sha256: str | None = None
    inspection: Inspection | None = None
    problem: str | None = None         # evidence.too_large | evidence.unreadable (reading it)
    reason: str = ""


@dataclass(frozen=True)
class Earlier:
    """A file of an earlier round, as the ledger keeps it."""

    round: str
    department: str
    file: str
    sha256: str
    dhash: str | None = None


@dataclass(frozen=True)
class Judged:
    department: str
    indicator: str | None
    file: str
    sha256: str | None
    kind: str | None
    type: str
    bytes: int
    pages: int | None
    width: int | None
    height: int | None
    taken_on: str | None
    dhash: str | None
    counted: bool
    findings: tuple[Finding, ...]
    source: object = field(compare=False, repr=False)


@dataclass(frozen=True)
class Tally:
    department: str
    indicator: str
    files: int                          # counted files of the accepted kinds
    required: bool
    min_files: int
    ok: bool
    missing: str = ""                   # 佐证缺失's note when not ok: 需照片2张，现有1张
    doubt: str = ""                     # 佐证存疑's note when a file of it is reused or stale


@dataclass(frozen=True)
class Outcome:
    files: tuple[Judged, ...]
    tallies: tuple[Tally, ...]
    findings: Mapping[str, tuple[Finding, ...]]     # department -> every evidence finding of it
    thumbnails: Mapping[str, bytes] = field(default_factory=dict)   # sha256 -> a JPEG made while typing


def evidence_findings(summary: dict) -> dict[str, list[dict]]:
    """department -> the evidence findings its accepted submission carries in summary.json (sheet
    佐证材料), in order: what its report and its message list."""
    found: dict[str, list[dict]] = {}
    for sub in summary.get("submissions", []):
        if sub.get("status") == "accepted" and sub.get("department"):
            found.setdefault(sub["department"], []).extend(
                f for f in sub.get("findings") or [] if f.get("sheet") == SHEET)
    return found


def wanted(kinds: Sequence[str], count: int) -> str:
    """需照片2张 / 需照片或文件2个 / 需材料1个."""
    kinds = [k for k in kinds if k in KIND_NAMES] or ["any"]
    unit = KIND_UNITS[kinds[0]] if len(kinds) == 1 else "个"
    return f"需{'或'.join(KIND_NAMES[k] for k in kinds)}{count}{unit}"


def _have(kinds: Sequence[str], count: int) -> str:
    kinds = [k for k in kinds if k in KIND_NAMES] or ["any"]
    return f"{count}{KIND_UNITS[kinds[0]] if len(kinds) == 1 else '个'}"


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def judge(rules: Rules, reads: Sequence[Read], *, scores: Mapping[tuple[str, str], float],
          texts: Mapping[tuple[str, str], bool], earlier: Sequence[Earlier] = ()) -> Outcome:
    """scores: (department, indicator) -> the score of each accepted submission's row (the self-
    score, or the verified one); texts: whether that row's 佐证材料 column says anything."""
    settings = rules.evidence
    max_file = int(settings.max_file_mb * 1024 * 1024)
    max_total = int(settings.max_total_mb * 1024 * 1024)
    first: list[Judged] = []
    totals: dict[str, int] = {}
    for r in reads:
        first.append(_one(rules, r, max_file, max_total, totals))
    judged = _reuse(first, earlier)
    if settings.period_start is not None:
        judged = [_dated(j, settings.period_start) for j in judged]
    per_dept: dict[str, list[Finding]] = {}
    for j in judged:
        per_dept.setdefault(j.department, []).extend(j.findings)
    tallies = []
    for dept in rules.department_names():
        for ind in rules.indicators_of(dept):
            if ind.computed is not None or (dept, ind.code) not in scores:
                continue
            tally, problem = _tally(rules, dept, ind, judged, scores[(dept, ind.code)], texts.get((dept, ind.code)))
            tallies.append(tally)
            if problem is not None:
                per_dept.setdefault(dept, []).append(problem)
    return Outcome(tuple(judged), tuple(tallies), {d: tuple(f) for d, f in per_dept.items()})


def _one(rules: Rules, r: Read, max_file: int, max_total: int, totals: dict[str, int]) -> Judged:
    s, ins = r.source, r.inspection
    name = _name(s.path)
    problems: list[Finding] = []

    def add(rule, **params):
        problems.append(finding(rule, sheet=SHEET, cell=s.path, value=name, name=name, **params))

    if s.problem:
        add(s.problem, reason=s.reason)
    elif s.size > max_file:
        add("evidence.too_large", reason=f"大小为{_mb(s.size)}，超过单个文件{_mb(max_file)}的上限")
    elif r.problem:
        add(r.problem, reason=r.reason)
    elif ins is not None and ins.problem:
        add(ins.problem, reason=ins.reason)
    ind = rules.indicator(s.indicator) if s.indicator else None
    mine = ind is not None and s.department in ind.departments
    if not problems and s.indicator is None:
        add("evidence.unassigned", reason="的文件名和所在文件夹名都没有指标编号")
    elif not problems and not mine:
        add("evidence.unassigned", reason=f"对应的指标“{s.indicator}”不是本部门负责的指标")
    kind = ins.kind if ins is not None and not ins.problem else None
    if not problems:
        rule = ind.evidence
        if kind is None:
            actual = TYPE_NAMES.get(ins.type if ins else "unknown", f"{ins.type if ins else ''}文件")
            add("evidence.wrong_kind", actual=actual, code=ind.code, wanted=_kinds_text(rule.kinds),
                note=_note(rule.note))
        elif "any" not in rule.kinds and kind not in rule.kinds:
            add("evidence.wrong_kind", actual=KIND_NAMES[kind], code=ind.code, wanted=_kinds_text(rule.kinds),
                note=_note(rule.note))
    if not any(p.rule in ERRORS for p in problems) and s.problem is None:
        total = totals.get(s.department, 0) + s.size
        if total > max_total:
            add("evidence.too_large", reason=f"使本部门佐证材料合计超过{_mb(max_total)}的上限")
        else:
            totals[s.department] = total
    counted = not problems
    return Judged(s.department, s.indicator, s.path, r.sha256, kind,
                  ins.type if ins is not None else "unknown", s.size, ins.pages if ins else None,
                  ins.width if ins else None, ins.height if ins else None, ins.taken_on if ins else None,
                  ins.dhash if ins else None, counted, tuple(problems), s)


def _kinds_text(kinds) -> str:
    return "或".join(KIND_NAMES[k] for k in kinds if k in KIND_NAMES) or "材料"


def _note(note: str) -> str:
    return f"要求：{note}。" if note else ""


def _mb(size: float) -> str:
    return f"{fmt_number(round(size / 1024 / 1024, 1))} MB"


def _reuse(judged: list[Judged], earlier: Sequence[Earlier]) -> list[Judged]:
    """evidence.duplicate and evidence.similar: against the other departments' files of this round
    (both are told) and against any file of an earlier round (named)."""
    readable = [j for j in judged if j.sha256 and not any(f.rule in ERRORS for f in j.findings)]
    by_sha: dict[str, list[Judged]] = {}
    for j in readable:
        by_sha.setdefault(j.sha256, []).append(j)
    old_by_sha: dict[str, Earlier] = {}
    for e in earlier:
        old_by_sha.setdefault(e.sha256, e)
    extra: dict[int, list[Finding]] = {}
    for j in readable:
        other = next((o for o in by_sha[j.sha256] if o.department != j.department), None)
        where = None
        if other is not None:
            where = (other.department, other.file)
        elif j.sha256 in old_by_sha:
            e = old_by_sha[j.sha256]
            where = (f"{e.round}{e.department}", e.file)
        if where is not None:
            extra.setdefault(id(j), []).append(_doubt("evidence.duplicate", j, *where))
    images = [j for j in readable if j.dhash]
    old_images = [e for e in earlier if e.dhash]
    for j in images:
        if any(f.rule == "evidence.duplicate" for f in extra.get(id(j), ())):
            continue
        near = next((o for o in images if o.department != j.department and o.sha256 != j.sha256
                     and hamming(o.dhash, j.dhash) <= SIMILAR_BITS), None)
        where = (near.department, near.file) if near is not None else None
        if where is None:
            old = next((e for e in old_images if e.sha256 != j.sha256 and hamming(e.dhash, j.dhash) <= SIMILAR_BITS),
                       None)
            where = (f"{old.round}{old.department}", old.file) if old is not None else None
        if where is not None:
            extra.setdefault(id(j), []).append(_doubt("evidence.similar", j, *where))
    return [replace(j, findings=j.findings + tuple(extra[id(j)])) if id(j) in extra else j for j in judged]


def _doubt(rule: str, j: Judged, other: str, other_file: str) -> Finding:
    name = _name(j.file)
    return finding(rule, sheet=SHEET, cell=j.file, value=name, name=name, other=other, other_file=_name(other_file))


def _dated(j: Judged, start: dt.date) -> Judged:
    if not j.taken_on or any(f.rule in ERRORS for f in j.findings):
        return j
    try:
        taken = dt.date.fromisoformat(j.taken_on)
    except ValueError:
        return j
    if taken >= start:
        return j
    name = _name(j.file)
    return replace(j, findings=j.findings + (finding("evidence.dated_before", sheet=SHEET, cell=j.file, value=name,
                                                     name=name, taken=chinese_date(taken),
                                                     start=chinese_date(start)),))


def _tally(rules: Rules, dept: str, ind, judged: Sequence[Judged], score: float, text: bool | None):
    rule = ind.evidence
    mine = [j for j in judged if j.department == dept and j.indicator == ind.code]
    counted = [j for j in mine if j.counted]
    doubts = [f for j in counted for f in j.findings if f.rule in DOUBTS]
    doubt = _doubt_note(doubts)
    need = wanted(rule.kinds, rule.min_files)
    if not rule.required or score <= 0:
        return Tally(dept, ind.code, len(counted), rule.required, rule.min_files, True, doubt=doubt), None
    problem = None
    if not counted and rules.evidence.files == "required":
        missing = f"{need}，现有0{KIND_UNITS.get(rule.kinds[0], '个') if len(rule.kinds) == 1 else '个'}"
        problem = finding("evidence.missing/files", sheet=SHEET, code=ind.code, score=fmt_number(score), need=need,
                          note=_note(rule.note))
    elif not counted:
        missing = "" if text else "得分但未填写佐证材料"        # the workbook's evidence.missing says it
    elif len(counted) < rule.min_files:
        missing = f"{need}，现有{_have(rule.kinds, len(counted))}"
        problem = finding("evidence.too_few", sheet=SHEET, code=ind.code, need=need,
                          have=_have(rule.kinds, len(counted)), note=_note(rule.note))
    else:
        missing = ""
    return Tally(dept, ind.code, len(counted), True, rule.min_files, not missing, missing, doubt), problem


def _doubt_note(doubts: Sequence[Finding]) -> str:
    if not doubts:
        return ""
    parts = []
    for rule, text in (("evidence.duplicate", "与其他部门或往轮材料重复"), ("evidence.similar", "与其他图片高度相似"),
                       ("evidence.dated_before", "拍摄日期早于本轮")):
        n = sum(f.rule == rule for f in doubts)
        if n:
            parts.append(f"{n}个文件{text}")
    return "佐证材料存疑：" + "，".join(parts)
