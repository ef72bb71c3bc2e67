"""The result of a run, defined once: frozen records that serialise to summary.json (CONTRACT.md §7).

Scoring builds a `Summary`; `Summary.to_dict()` is what summary.json holds and what every
renderer (Word, Excel, console, e-mail) reads. docs/summary.md describes these fields and a test
checks it against the dataclasses below, so the shape is spelt out in exactly one place.

Records have slots (no per-object __dict__): a round of 10,000 departments holds 140,000 entries.

Fields whose metadata says `omit_if_none` are left out of the JSON when they are None (a gap's
`state` exists only when an earlier round does, CONTRACT.md §8).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .jsonout import field_names, to_json, write_json  # noqa: F401 (the result's JSON, re-exported)


# The kinds of gap (CONTRACT §5) and their order in every list.
LOW, OVERDUE, NO_EVIDENCE, NOT_SUBMITTED, RETURNED, VETO = "低分", "逾期", "佐证缺失", "未报送", "退回", "一票否决"
DOUBT = "佐证存疑"              # §13: a file of the indicator reused, a near copy, or dated before the period
KIND_ORDER = {VETO: 0, RETURNED: 1, NOT_SUBMITTED: 2, LOW: 3, OVERDUE: 4, NO_EVIDENCE: 5, DOUBT: 6}


def gap_key(kind: str, department: str, indicator: str | None) -> str:
    """A gap's identity across rounds (CONTRACT §11): 低分|办公室|1.1, 未报送|信用监管科|-."""
    return f"{kind}|{department}|{indicator or '-'}"


def split_key(key: str) -> tuple[str, str, str | None]:
    """(kind, department, indicator or None) of a gap key (gap_key's inverse)."""
    kind, rest = key.split("|", 1)
    department, indicator = rest.rsplit("|", 1)
    return kind, department, None if indicator == "-" else indicator


def key_of(gap: dict) -> str:
    """The key of a gap as summary.json holds it (an older summary's gap may lack `key`)."""
    return gap.get("key") or gap_key(gap.get("kind", ""), gap.get("department", ""), gap.get("indicator"))

Number = float | int

OPTIONAL = {"omit_if_none": True}


def optional(default=None):
    return field(default=default, metadata=OPTIONAL)


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """A finding as summary.json holds it (CONTRACT §3), its place declared once: a department's
    (submissions[].findings: no `file`, the submission names it) or the office's (office_findings:
    the file it is about, "" for a round-level warning)."""
    severity: str
    rule: str
    file: str | None = optional()
    sheet: str = ""
    cell: str = ""
    message: str = ""
    value: str = ""

    @classmethod
    def of(cls, f, *, with_file: bool = False) -> FindingRecord:
        """From a base.findings.Finding (or anything with its fields)."""
        return cls(f.severity, f.rule, f.file if with_file else None, f.sheet, f.cell, f.message, f.value)


@dataclass(frozen=True, slots=True)
class Unit:
    score: Number
    max: Number
    bonus: Number
    total: Number
    veto: bool
    passed: bool
    rate: Number
    self_score: Number


@dataclass(frozen=True, slots=True)
class ItemResult:
    code: str
    name: str
    max: Number
    score: Number
    rate: Number
    self_score: Number


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    code: str
    item: str
    max: Number
    score: Number
    departments: tuple[str, ...]
    name: str
    item_name: str
    rate: Number
    combine: str
    method: str
    criteria: str
    self_score: Number
    computed: "ComputedSpec | None" = optional()     # §12: scored from data (absent for self-assessed ones)


@dataclass(frozen=True, slots=True)
class DepartmentResult:
    name: str
    submitted: bool                 # an accepted submission counts (CONTRACT §7)
    submission: str                 # accepted | returned | missing
    score: Number
    self_score: Number
    max: Number
    rate: Number
    rank: int | None                # None for returned / missing / no indicators
    head: str
    file: str
    fill_date: str
    filler: str
    phone: str
    indicator_count: int
    gap_count: int
    severe_gap_count: int


@dataclass(frozen=True, slots=True)
class EntryResult:
    department: str
    indicator: str
    item: str
    item_name: str
    name: str
    max: Number
    score: Number
    self_score: Number
    status: str
    evidence: str
    problem: str
    measure: str
    owner: str
    deadline: str
    submitted: bool
    # §12: a computed indicator's entry holds the computed score; what the department typed, if anything
    computed: bool = False
    reported_score: Number | None = optional()
    pending: bool | None = optional()   # §12: computed, and its data has not arrived (待数据): counts 0


# --- The office's own pass (CONTRACT.md §11); filled in by scorecard.office.apply --------------------

TRACKING_STATES = ("未整改", "整改中", "待核验", "已销号")


@dataclass(frozen=True, slots=True)
class TrackingResult:
    """Where the rectification of a gap stands (问题清单's tracking columns)."""

    status: str = "未整改"          # 未整改 | 整改中 | 待核验 | 已销号
    note: str = ""                  # 整改情况
    closed_on: str = ""             # 销号日期
    verifier: str = ""              # 核验人
    extended_to: str | None = optional()          # §14 延期至, when an extension stands
    extension_reason: str | None = optional()     # 延期理由
    extensions: tuple[dict, ...] | None = optional()   # every change of 延期至, oldest first {to, reason, file, recorded}


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """One recorded 核定得分."""

    department: str
    indicator: str
    self_score: Number
    score: Number
    reason: str                     # 核定说明
    reviewer: str                   # 核定人
    date: str                       # 核定日期 (the file and time of each edit are in the ledger, office_edits)


def rectification(gaps) -> dict[str, int]:
    """{total, 未整改, 整改中, 待核验, 已销号} over the gaps' tracking."""
    counts = {state: 0 for state in TRACKING_STATES}
    for gap in gaps:
        counts[gap.tracking.status] += 1
    return {"total": len(gaps), **counts}

# --- end §11 -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    kind: str
    severity: str
    indicator: str
    department: str
    key: str
    indicator_name: str = ""
    item: str = ""
    owner: str = ""
    problem: str = ""
    measure: str = ""
    deadline: str = ""
    status: str = ""
    score: Number | None = None
    max: Number | None = None
    note: str = ""
    tracking: TrackingResult = TrackingResult()          # §11, carried across rounds while the gap persists
    departments: tuple[str, ...] | None = optional()     # 一票否决: every department that answered 是
    state: str | None = optional()                        # 新增 | 持续, only when a previous round exists
    defaults: tuple[str, ...] = ()                        # measure/owner/deadline filled by default (gap_defaults)
    light: str | None = optional()                        # §14: 红 | 黄 | 绿 on an open gap (scoring/lights.py)
    deadline_original: str | None = optional()            # §14: the first 完成时限, when an extension replaced it


@dataclass(frozen=True, slots=True)
class VetoResult:
    code: str
    name: str
    occurred: bool
    departments: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BonusResult:
    department: str
    project: str
    points: Number
    description: str
    evidence: str


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    file: str
    sha256: str
    department: str | None
    status: str                     # accepted | rejected | superseded | ignored | office (§11) (| data)
    fill_date: str
    returned: str | None
    findings: tuple[FindingRecord, ...]
    # §12, data workbooks only: the data names it holds, its rows, the newer same-named file replacing it
    data: tuple[str, ...] | None = optional()
    rows: int | None = optional()
    replaced_by: str | None = optional()
    # A rejected file older than the department's accepted one (the corrected file came after it):
    # its 退回 copy is out of date and no longer goes out with the department's report.
    corrected_by: str | None = optional()
    read_rows: int | None = optional()      # §12: the rows read, `rows` of them counted, the rest in error
    # A returned department's 特色加分 claims in a rejected file: not counted, said so in its documents.
    bonus_claims: tuple["BonusResult", ...] | None = optional()


@dataclass(frozen=True, slots=True)
class Counts:
    """Every count a document shows, computed once (renderers only format)."""

    departments: int                # departments with indicators
    accepted: int                   # of them, with an accepted submission
    returned: int                   # of them, every submission rejected
    missing: int                    # of them, no file at all
    gaps: int
    severe_gaps: int
    gaps_by_kind: dict[str, int]
    files: dict[str, int]           # submissions by status


@dataclass(frozen=True, slots=True)
class Summary:
    round: str
    as_of: str
    generated_at: str
    resubmit_by: str
    title: str
    organization: str
    pass_score: Number
    bonus_cap: Number
    gap_ratio: Number
    gap_severe_ratio: Number
    unit: Unit
    items: tuple[ItemResult, ...]
    indicators: tuple[IndicatorResult, ...]
    departments: tuple[DepartmentResult, ...]
    entries: tuple[EntryResult, ...]
    gaps: tuple[Gap, ...]
    vetoes: tuple[VetoResult, ...]
    bonuses: tuple[BonusResult, ...]
    unsubmitted: tuple[str, ...]
    returned: tuple[str, ...]
    counts: Counts
    submissions: tuple[SubmissionResult, ...]
    previous_round: str | None = optional()
    closed_gaps: tuple[Gap, ...] | None = optional()
    # §12 computed indicators; office_findings holds §12's data.* and §11's review.*/tracking.*
    computed: tuple["ComputedResult", ...] = ()
    office_findings: tuple[FindingRecord, ...] = ()   # the office's: each names its file
    # §11 (scorecard.office.apply): every recorded 核定得分 and the tracking totals
    reviews: tuple[ReviewResult, ...] = ()
    rectification: dict[str, int] = field(default_factory=lambda: rectification(()))
    analysis: dict | None = optional()      # analysis.analyse(): what the summary report analyses
    contact: dict | None = None             # rules' contact: {name, phone, text}, shown in the documents
    # §17 units mode (scoring/units.py): one verdict per unit, and per group; `unit` is then left out
    units: tuple["UnitResult", ...] = ()      # [] in departments mode
    groups: tuple["GroupResult", ...] = ()
    followup: FollowupResult | None = optional()       # §14 (scoring/lights.py)
    # §13 evidence files (scoring/evidence.py): absent while a round has neither files nor `evidence:`
    evidence: tuple["EvidenceFile", ...] | None = optional()
    evidence_summary: tuple["EvidenceTally", ...] | None = optional()

    def to_dict(self) -> dict:
        return to_json(self)


@dataclass(frozen=True, slots=True)
class FollowupResult:
    """§14 summary.json `followup`: the deadline, the warning window, the open gaps' lights counted,
    the reminders queued so far and the departments escalated (both read from the outbox when the
    run writes summary.json: ledger.reminders, ledger.escalated)."""

    submit_by: str | None
    warn_within: int
    lights: dict[str, int]
    reminders: tuple = ()
    escalated: tuple = ()


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """§13 summary.json evidence[]: one file a department sent as evidence."""

    department: str
    indicator: str | None           # the code told from its name or folder (None: none)
    file: str                       # its path inside the evidence folder or zip
    sha256: str | None
    kind: str | None                # image | document | video (None: neither, or unreadable)
    type: str                       # the real type by content: jpg, pdf, docx, zip, ...
    bytes: int
    pages: int | None               # a PDF's
    width: int | None               # an image's, in pixels
    height: int | None
    taken_on: str | None            # a photo's EXIF date
    counted: bool
    binder: str | None              # its path in output/<round>/佐证材料/ (counted files only)
    findings: tuple[FindingRecord, ...]


@dataclass(frozen=True, slots=True)
class EvidenceTally:
    """§13 summary.json evidence_summary[]: per (department, indicator) of an accepted submission."""

    department: str
    indicator: str
    files: int                      # counted files of the kinds the indicator accepts
    required: bool
    min_files: int
    ok: bool


@dataclass(frozen=True, slots=True)
class UnitResult:
    """§17: one unit's verdict (summary.json units[])."""

    name: str
    group: str
    submission: str                 # accepted | returned | missing
    score: Number                   # sum of its indicator scores (核定得分 where recorded)
    bonus: Number                   # min(bonus_cap, its own 申报加分)
    total: Number                   # score + bonus
    veto: bool                      # it answered 是 to a 否决事项
    passed: bool                    # accepted, no veto and total >= pass_score
    rank: int | None                # overall, by total, ties share; None without an accepted submission
    group_rank: int | None          # within its group, the same way
    max: Number = 0                 # the indicators' full marks
    claimed_bonus: Number = 0       # its 申报加分 before the cap
    veto_items: tuple[str, ...] = ()    # "V1 名称" of each 否决事项 it answered 是
    short: Number = 0               # points below pass_score (0 at or above it)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """§17: a peer group (summary.json groups[])."""

    name: str
    units: int
    passed: int
    mean_total: Number              # mean total over its units (2 decimals; units without a submission count 0)
    assessed: int = 0               # of them, with an accepted submission


# --- Computed indicators (CONTRACT.md §12) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ComputedSpec:
    """How an indicator is computed (rules.yaml `computed:`), and whether its data came this round."""

    data: str
    value: str
    target: Number
    method: str                     # share | mean | sum
    missing: bool                   # no data workbook this round: pending (待数据), counts 0 (data.missing)


@dataclass(frozen=True, slots=True)
class BelowTarget:
    """A data row with v < target: the person, the value and where it is."""

    name: str
    value: Number
    file: str
    sheet: str
    cell: str


@dataclass(frozen=True, slots=True)
class ComputedResult:
    """One department's computed score on one indicator (summary.json `computed[]`)."""

    indicator: str
    department: str
    rows: int                       # n: rows with a number in the value column
    meeting: int                    # rows with v ≥ target
    value: Number | None            # share (0..1) | mean | sum; null when rows = 0
    score: Number
    data: str                       # extra from here on
    method: str
    target: Number
    max: Number
    mean: Number | None             # null when rows = 0
    total: Number
    basis: str                      # the basis in words: 42 人中 38 人达到 8000 分，人均 7,420 分，…
    below: tuple[BelowTarget, ...]  # share and mean only
    files: tuple[str, ...]
