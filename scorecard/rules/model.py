"""What rules.yaml declares, as frozen dataclasses: limits, departments, leaders, items and
indicators, vetoes, data sources and computed indicators, the whole `Rules`, and `RulesError`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property


from ..base.text import squash
from .evidence import EvidenceRule, EvidenceSettings  # noqa: F401 (§13)
from .schedule import Schedule  # noqa: F401 (§14)

METHODS = ("材料审核", "实地考察", "问卷调查", "网络媒体调查", "听取汇报")
COMBINES = ("min", "mean", "lead")
EVIDENCE = ("required", "optional")
DEFAULT_STATUSES = ("已完成", "推进中", "未开始")
SECURITIES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class Limits:
    """Safe-reading limits (rules.yaml `limits:`); defaults suit a department's workbook with room to spare."""

    max_file_mb: float = 20
    max_uncompressed_mb: float = 100
    max_ratio: float = 200          # inflated / compressed bytes, for any member over 1 MB inflated
    max_members: int = 2000
    max_rows: int = 5000            # per sheet
    max_cells: int = 200_000        # per workbook
    # Data workbooks (platform exports, §12) are long by nature: their own, larger limits.
    max_data_rows: int = 200_000    # per sheet of a data workbook
    max_data_cells: int = 3_000_000  # per data workbook

    def long_sheets(self) -> "Limits":
        """For workbooks long by nature: data exports (§12), and the office's 核定表 and 问题清单,
        which have a row per (department, indicator) or per gap: 14,000 rows at 1,000 departments."""
        return replace(self, max_rows=self.max_data_rows, max_cells=self.max_data_cells)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * 1024 * 1024)


@dataclass(frozen=True)
class Department:
    name: str
    aliases: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    head: str = ""                  # 负责人: owner of the department's 未报送/退回 gap
    group: str = ""                 # units mode (§17): the unit's peer group (分组)
    head_email: tuple[str, ...] = ()  # §14: the 负责人's addresses, copied on escalation (督办)
    leader: str = ""                # §14: the 分管领导 (a name from leaders), copied on escalation


@dataclass(frozen=True)
class Leader:
    name: str
    email: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    max: float
    item: str                       # the item's code
    item_name: str
    criteria: str = ""
    method: str = ""
    departments: tuple[str, ...] = ()
    combine: str = "min"
    evidence_required: bool = True
    computed: "Computed | None" = None    # scored from a data workbook (§12), not self-assessed
    evidence: "EvidenceRule" = field(default_factory=lambda: EvidenceRule())   # §13 long form


@dataclass(frozen=True)
class DataSource:
    """A data workbook the office drops into input/ (rules.yaml `data:`, CONTRACT.md §12)."""

    name: str
    columns: tuple[str, ...]        # a sheet whose header row has all of these is this data
    department: str                 # the column naming the department (names or aliases)
    person: str = ""                # the column naming a person (`person:`; default: first other column)


@dataclass(frozen=True)
class Computed:
    """An indicator scored from data (`computed:` on an indicator)."""

    data: str
    value: str
    target: float
    method: str                     # share | mean | sum


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    indicators: tuple[Indicator, ...]

    @property
    def max(self) -> float:
        return sum(i.max for i in self.indicators)


@dataclass(frozen=True)
class Veto:
    code: str
    name: str


@dataclass(frozen=True)
class Contact:
    """Who a reader calls about a document (`contact:`): shown in every report and message."""
    name: str
    phone: str

    @property
    def text(self) -> str:
        return "；".join(x for x in (f"联系人：{self.name}" if self.name else "",
                                     f"联系电话：{self.phone}" if self.phone else "") if x)


@dataclass(frozen=True)
class Rules:
    path: str
    title: str
    organization: str
    round: str | None
    as_of: dt.date | None
    pass_score: float
    bonus_cap: float
    gap_ratio: float
    gap_severe_ratio: float
    statuses: tuple[str, ...]
    done_status: str
    departments: tuple[Department, ...]
    leaders: tuple[Leader, ...]
    items: tuple[Item, ...]
    vetoes: tuple[Veto, ...]
    limits: Limits = field(default_factory=Limits)
    mail: dict = field(default_factory=dict)
    resubmit_days: int = 3          # working days after a run by which a returned/missing department resubmits
    fingerprint: str = ""
    data: tuple[DataSource, ...] = ()     # data workbooks (§12)
    contact: Contact | None = None        # the office's contact person and phone (documents, mail)
    holidays: tuple[dt.date, ...] = ()    # days off beyond the Chinese calendar (resubmit_by counts working days)
    workdays: tuple[dt.date, ...] = ()    # working days (调休) beyond the Chinese calendar
    mode: str = "departments"             # §17: departments | units (each department is a unit)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)   # top-level evidence: (§13)
    schedule: Schedule = field(default_factory=Schedule)                   # follow-up dates (§14)

    @property
    def units_mode(self) -> bool:
        return self.mode == "units"

    def groups(self) -> dict[str, list[str]]:
        """§17: group -> its units' names, in rules order (a unit without a group under "")."""
        out: dict[str, list[str]] = {}
        for d in self.departments:
            out.setdefault(d.group, []).append(d.name)
        return out

    def data_source(self, name: str) -> DataSource | None:
        return next((d for d in self.data if d.name == name), None)

    @property
    def computed_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.computed is not None)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for item in self.items for i in item.indicators)

    @property
    def total_max(self) -> float:
        return sum(i.max for i in self.indicators)

    def indicator(self, code: str) -> Indicator | None:
        return self._by_code.get(code)

    def indicators_of(self, department: str) -> tuple[Indicator, ...]:
        found = self._indicators_by_department.get(department)
        return found if found is not None else tuple(i for i in self.indicators if department in i.departments)

    @cached_property
    def _indicators_by_department(self) -> dict[str, tuple[Indicator, ...]]:
        """indicators_of for every named department, built once: scoring asks per department, and
        scanning every indicator's department list each time made a round quadratic in departments."""
        found: dict[str, list[Indicator]] = {}
        for i in self.indicators:
            for name in dict.fromkeys(i.departments):
                found.setdefault(name, []).append(i)
        return {name: tuple(inds) for name, inds in found.items()}

    def department(self, typed) -> Department | None:
        """The department a typed name or alias means (spaces, width and line breaks ignored)."""
        return self._by_spelling.get(squash(typed))

    def department_names(self) -> list[str]:
        return [d.name for d in self.departments]

    # Look-up tables, built on first use; the dataclass is frozen, so they cannot go stale.
    @cached_property
    def _by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    @cached_property
    def _by_spelling(self) -> dict[str, Department]:
        return {squash(spelling): d for d in self.departments for spelling in (d.name, *d.aliases)}


@dataclass(frozen=True)
class RuleProblem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key or '(文件)'}: {self.message}"


class RulesError(Exception):
    """The rules file cannot be used. `problems` lists every problem found."""

    def __init__(self, problems: list[RuleProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
