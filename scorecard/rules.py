"""rules.yaml: the indicator system, departments and thresholds (CONTRACT.md §1).

`load_rules(path)` reads and checks the file once, at start-up, and returns frozen dataclasses.
Every problem is collected (not only the first) with the file, the line and the key path, and a
did-you-mean hint for a misspelt key; `RulesError` carries them all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .text import did_you_mean, squash

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
    holidays: tuple[dt.date, ...] = ()    # days off beyond the Chinese calendar (resubmit_by counts working days)
    workdays: tuple[dt.date, ...] = ()    # working days (调休) beyond the Chinese calendar

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


# ---------------------------------------------------------------------------------------------
# YAML with line numbers

class _Located:
    """Plain data converted from YAML, with the line of every key path."""

    def __init__(self, path: str):
        self.path = path
        self.lines: dict[tuple, int] = {}
        self.problems: list[RuleProblem] = []

    def problem(self, keypath: tuple, message: str, line: int | None = None) -> None:
        if line is None:
            # The nearest key path that has a line (a missing key is reported at its parent).
            probe = keypath
            while probe and probe not in self.lines:
                probe = probe[:-1]
            line = self.lines.get(probe)
        self.problems.append(RuleProblem(self.path, line, _keystr(keypath), message))

    def convert(self, node, keypath=()):
        self.lines.setdefault(keypath, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key_node, value_node in node.value:
                key = SafeConstructor().construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self.problem(keypath + (key,), f"键“{key}”重复出现", key_node.start_mark.line + 1)
                    continue
                self.lines[keypath + (key,)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, keypath + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(child, keypath + (i,)) for i, child in enumerate(node.value)]
        try:
            return SafeConstructor().construct_object(node)
        except ConstructorError as exc:
            self.problem(keypath, f"无法解析的值：{exc.problem}")
            return None


def _keystr(keypath: tuple) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------------------------------------
# Checking

TOP_KEYS = {"version", "title", "organization", "round", "as_of", "pass_score", "bonus_cap", "gap",
            "statuses", "done_status", "departments", "leaders", "items", "vetoes", "limits", "mail",
            "resubmit_days", "data", "holidays", "workdays"}
REQUIRED_TOP = ("pass_score", "departments", "items")
DEFAULT_TITLE = "自评测评"
GAP_KEYS = {"ratio", "severe_ratio"}
DEPARTMENT_KEYS = {"name", "aliases", "email", "head"}
LEADER_KEYS = {"name", "email"}
ITEM_KEYS = {"code", "name", "indicators"}
INDICATOR_KEYS = {"code", "name", "max", "method", "criteria", "departments", "combine", "evidence",
                  "computed"}
VETO_KEYS = {"code", "name"}
LIMIT_KEYS = set(Limits.__dataclass_fields__)
MAIL_KEYS = {"host", "port", "security", "user", "sender",
             "max_mb", "timeout", "cafile"}   # mail delivery (scorecard/smtp.py): size limit, seconds, CA file


class _Checker:
    def __init__(self, located: _Located):
        self.loc = located

    def problem(self, keypath, message):
        self.loc.problem(tuple(keypath), message)

    def mapping(self, value, keypath, allowed, required=()):
        if not isinstance(value, dict):
            self.problem(keypath, "应为键值对（映射）" if value is not None else "不能为空")
            return {}
        for key in value:
            if key not in allowed:
                self.problem(tuple(keypath) + (key,), f"未知的键“{key}”{did_you_mean(key, sorted(allowed))}")
        for key in required:
            if value.get(key) in (None, ""):
                self.problem(tuple(keypath) + (key,), f"缺少必填项“{key}”")
        return value

    def sequence(self, value, keypath, allow_empty=False):
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(keypath, "应为列表")
            return []
        if not value and not allow_empty:
            self.problem(keypath, "列表不能为空")
        return value

    def text(self, value, keypath, required=True) -> str:
        if value is None or value == "":
            if required:
                self.problem(keypath, "不能为空")
            return ""
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            self.problem(keypath, "应为文字")
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def code(self, value, keypath) -> str:
        # Codes are text: an unquoted 1.1 in YAML arrives as a float, which is fine; 1.10 would not be.
        if isinstance(value, float):
            return repr(value)
        return self.text(value, keypath)

    def number(self, value, keypath, *, positive=False, minimum=None, maximum=None, default=None):
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(keypath, f"应为数字（现为“{value}”）")
            return default
        if positive and value <= 0:
            self.problem(keypath, f"必须大于 0（现为 {value}）")
        if minimum is not None and value < minimum:
            self.problem(keypath, f"不能小于 {minimum}（现为 {value}）")
        if maximum is not None and value > maximum:
            self.problem(keypath, f"不能大于 {maximum}（现为 {value}）")
        return value

    def strings(self, value, keypath) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(keypath, "应为文字列表")
            return ()
        return tuple(self.text(v, tuple(keypath) + (i,)) for i, v in enumerate(value))

    def choice(self, value, keypath, choices, default):
        if value is None:
            return default
        if value not in choices:
            self.problem(keypath, f"“{value}”无效，应为 {' | '.join(choices)} 之一{did_you_mean(str(value), choices)}")
            return default
        return value


def load_rules(path) -> Rules:
    """Read and check a rules file. Raises RulesError listing every problem found."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RulesError([RuleProblem(shown, None, "", "找不到规则文件")]) from None
    except UnicodeDecodeError as exc:
        raise RulesError([RuleProblem(shown, None, "", f"规则文件不是 UTF-8 编码（{exc.reason}），请另存为 UTF-8")]) from exc
    except OSError as exc:
        raise RulesError([RuleProblem(shown, None, "", f"无法读取规则文件：{exc.strerror}")]) from exc
    return parse_rules(text, shown)


# libyaml's parser when PyYAML has it (its wheels do): the pure-Python one took 0.8 s for the rules
# of 1,000 departments, most of an unchanged rerun. Same nodes, same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# PyYAML's own words -> what to do, in Chinese (the original stays in brackets for a technician).
_YAML_HINTS = (
    ("'\\t'", "这一行用了 Tab 键缩进或对齐。rules.yaml 只能用空格缩进：请把 Tab 换成空格（每级 2 个空格）"),
    ("mapping values are not allowed", "这一行的冒号用法有误：冒号后面要有一个空格；值本身含冒号时，请给值加引号"),
    ("could not find expected ':'", "这一行缺少冒号，或上一行的引号没有配对"),
    ("expected <block end>", "缩进不一致：同一层的键要对齐，下一层比上一层多缩进 2 个空格"),
    ("found undefined alias", "值中的 * 号请加引号"),
    ("found unexpected end of stream", "引号没有配对（少了结尾的引号）"),
    ("found duplicate anchor", "值中的 & 号请加引号"),
)


def yaml_problem(exc: Exception, text: str = "") -> str:
    """A YAML syntax error as a Chinese sentence saying what to change (line given separately)."""
    problem = str(getattr(exc, "problem", None) or exc)
    mark = getattr(exc, "problem_mark", None)
    where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
    line = text.splitlines()[mark.line] if mark and text and mark.line < len(text.splitlines()) else ""
    hint = next((h for key, h in _YAML_HINTS if key in problem or key in str(exc)), None)
    if hint is None and "\t" in line:
        hint = _YAML_HINTS[0][1]
    hint = hint or "格式有误，请对照 rules.yaml 中相邻的写法检查这一行和上一行"
    return f"YAML 格式错误（{where}）：{hint}。（{problem}）" if where else f"YAML 格式错误：{hint}。（{problem}）"


def parse_rules(text: str, shown: str = "rules.yaml") -> Rules:
    loc = _Located(shown)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RulesError([RuleProblem(shown, line, "", yaml_problem(exc, text))]) from exc
    data = loc.convert(node) if node is not None else None
    rules = _build(data, _Checker(loc))
    if loc.problems:
        raise RulesError(sorted(loc.problems, key=lambda p: (p.line or 0)))
    return rules


def _build(data, c: _Checker) -> Rules:
    """Every section is checked whatever the others hold, so one run of check-rules lists all."""
    top = c.mapping(data, (), TOP_KEYS, REQUIRED_TOP)
    version = top.get("version", 1)
    if version != 1:
        c.problem(("version",), f"不支持的规则文件版本“{version}”，本程序支持版本 1")
    departments = _departments(top.get("departments"), c)
    statuses, done = _statuses(top, c)
    items = _items(top.get("items"), c, departments)
    sources = _data_sources(top.get("data"), c)                       # §12
    items = _with_computed(items, top.get("items"), c, sources)
    ratio, severe = _gap_lines(top.get("gap"), c)
    bonus_cap = c.number(top.get("bonus_cap"), ("bonus_cap",), minimum=0, default=0)
    pass_score = _pass_score(top.get("pass_score"), c, items, bonus_cap or 0)
    resubmit_days = c.number(top.get("resubmit_days"), ("resubmit_days",), minimum=0, default=3)
    if isinstance(resubmit_days, float) and not resubmit_days.is_integer():
        c.problem(("resubmit_days",), f"应为整数（工作日数），现为 {resubmit_days}")
    rules = Rules(
        path=c.loc.path,
        title=c.text(top.get("title"), ("title",), required=False) or DEFAULT_TITLE,
        organization=c.text(top.get("organization"), ("organization",), required=False),
        round=c.text(top.get("round"), ("round",), required=False) or None,
        as_of=_as_of(top.get("as_of"), c), pass_score=pass_score or 0, bonus_cap=bonus_cap or 0,
        gap_ratio=ratio if ratio is not None else 0.9, gap_severe_ratio=severe if severe is not None else 0.6,
        statuses=statuses, done_status=done, departments=departments, leaders=_leaders(top.get("leaders"), c),
        items=items, vetoes=_vetoes(top.get("vetoes"), c), limits=_limits(top.get("limits"), c),
        mail=_mail(top.get("mail"), c), resubmit_days=int(resubmit_days or 0), data=sources,
        holidays=_dates(top.get("holidays"), "holidays", c), workdays=_dates(top.get("workdays"), "workdays", c))
    return _with_fingerprint(rules)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9\u00a0-\uffff](?:[A-Za-z0-9\u00a0-\uffff-]{0,61}[A-Za-z0-9\u00a0-\uffff])?"
ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def one_address(text: str) -> bool:
    """Exactly one plain address (local@domain.tld) and nothing else: no second address hidden by a
    comma or quotes (`evil,"x"bgs@…` would have the server deliver to `evil`), no display name."""
    from email.utils import getaddresses

    if not ADDRESS.fullmatch(text):
        return False
    pairs = getaddresses([text])
    return len(pairs) == 1 and pairs[0] == ("", text)


def _dates(value, key: str, c: _Checker) -> tuple[dt.date, ...]:
    """A list of days (`holidays:`, `workdays:`), each as as_of is written."""
    if value is None:
        return ()
    if not isinstance(value, list):
        c.problem((key,), "应为日期列表，例如 [2027-01-01, 2027-02-09]")
        return ()
    out = []
    for j, item in enumerate(value):
        if isinstance(item, dt.datetime):
            out.append(item.date())
            continue
        if isinstance(item, dt.date):
            out.append(item)
            continue
        from .text import parse_date

        parsed = parse_date(item) if isinstance(item, str) else None
        if parsed is None:
            c.problem((key, j), f"“{item}”不是有效日期，应写作 2027-01-01")
        else:
            out.append(parsed)
    return tuple(out)


def _emails(value, kp, c: _Checker) -> tuple[str, ...]:
    """Addresses checked one way for departments and leaders alike: each entry exactly one address."""
    emails = c.strings(value, kp + ("email",))
    for j, email in enumerate(emails):
        if email and not one_address(email.strip()):
            c.problem(kp + ("email", j), f"“{email}”不是有效的电子邮箱地址（每项只能写一个地址，"
                                         "如 bgs@example.gov.cn；多个地址请分行写成列表的多项）")
    return tuple(e.strip() for e in emails if e)


def _departments(value, c: _Checker) -> tuple[Department, ...]:
    departments = []
    seen_spelling: dict[str, tuple] = {}
    for i, d in enumerate(c.sequence(value, ("departments",))):
        kp = ("departments", i)
        d = c.mapping(d, kp, DEPARTMENT_KEYS, ("name",))
        name = c.text(d.get("name"), kp + ("name",))
        aliases = c.strings(d.get("aliases"), kp + ("aliases",))
        emails = _emails(d.get("email"), kp, c)
        head = c.text(d.get("head"), kp + ("head",), required=False)
        for spelling, where in [(name, kp + ("name",))] + [(a, kp + ("aliases", j)) for j, a in enumerate(aliases)]:
            key = squash(spelling)
            if not key:
                continue
            if key in seen_spelling and seen_spelling[key][0] != i:
                other = seen_spelling[key][1]
                c.problem(where, f"“{spelling}”与部门“{other}”的名称或别名重复，无法区分")
            seen_spelling.setdefault(key, (i, name))
        if name:
            departments.append(Department(name, tuple(a for a in aliases if a), emails, head))
    return tuple(departments)


def _leaders(value, c: _Checker) -> tuple[Leader, ...]:
    leaders = []
    for i, ld in enumerate(c.sequence(value, ("leaders",), allow_empty=True)):
        kp = ("leaders", i)
        ld = c.mapping(ld, kp, LEADER_KEYS, ("name",))
        leaders.append(Leader(c.text(ld.get("name"), kp + ("name",)), _emails(ld.get("email"), kp, c)))
    return tuple(leaders)


def _statuses(top: dict, c: _Checker) -> tuple[tuple[str, ...], str]:
    statuses = c.strings(top.get("statuses"), ("statuses",)) or DEFAULT_STATUSES
    if len(set(statuses)) != len(statuses):
        c.problem(("statuses",), "完成情况选项有重复")
    if any("," in x or "，" in x for x in statuses) or len(",".join(statuses)) > 250:
        # The template's drop-down is an inline list: Excel splits it on commas and caps it at 255 characters.
        c.problem(("statuses",), "完成情况选项不能含逗号，合计不能超过 250 个字符（Excel 下拉列表的限制）")
    done = c.text(top.get("done_status"), ("done_status",), required=False) or (
        "已完成" if "已完成" in statuses else statuses[0])
    if done not in statuses:
        c.problem(("done_status",), f"“{done}”不在 statuses 中")
    return statuses, done


def _items(value, c: _Checker, departments: tuple[Department, ...]) -> tuple[Item, ...]:
    by_spelling = {squash(s): d.name for d in departments for s in (d.name, *d.aliases)}
    items, codes_seen, item_codes = [], {}, set()
    for i, it in enumerate(c.sequence(value, ("items",))):
        kp = ("items", i)
        it = c.mapping(it, kp, ITEM_KEYS, ("code", "name", "indicators"))
        icode = c.code(it.get("code"), kp + ("code",))
        iname = c.text(it.get("name"), kp + ("name",))
        if icode and icode in item_codes:
            c.problem(kp + ("code",), f"测评项目编号“{icode}”重复")
        item_codes.add(icode)
        indicators = []
        for j, ind in enumerate(c.sequence(it.get("indicators"), kp + ("indicators",))):
            ip = kp + ("indicators", j)
            ind = c.mapping(ind, ip, INDICATOR_KEYS, ("code", "name", "max", "departments"))
            code = c.code(ind.get("code"), ip + ("code",))
            if code and code in codes_seen:
                c.problem(ip + ("code",), f"指标编号“{code}”重复（已用于 {codes_seen[code]}）")
            codes_seen.setdefault(code, _keystr(ip))
            maximum = c.number(ind.get("max"), ip + ("max",), positive=True, default=0)
            method = c.text(ind.get("method"), ip + ("method",), required=False)
            for part in filter(None, (p.strip() for p in method.replace("、", ",").replace("，", ",").split(","))):
                if part not in METHODS:
                    c.problem(ip + ("method",), f"测评方法“{part}”无效，应为 {' | '.join(METHODS)}{did_you_mean(part, METHODS)}")
            depts = _indicator_departments(ind.get("departments"), ip + ("departments",), c, by_spelling, departments)
            indicators.append(Indicator(
                code=code, name=c.text(ind.get("name"), ip + ("name",)), max=maximum or 0, item=icode,
                item_name=iname, criteria=c.text(ind.get("criteria"), ip + ("criteria",), required=False),
                method=method, departments=depts,
                combine=c.choice(ind.get("combine"), ip + ("combine",), COMBINES, "min"),
                evidence_required=c.choice(ind.get("evidence"), ip + ("evidence",), EVIDENCE, "required") == "required"))
        items.append(Item(icode, iname, tuple(indicators)))
    return tuple(items)


def _vetoes(value, c: _Checker) -> tuple[Veto, ...]:
    vetoes, veto_codes = [], set()
    for i, v in enumerate(c.sequence(value, ("vetoes",), allow_empty=True)):
        kp = ("vetoes", i)
        v = c.mapping(v, kp, VETO_KEYS, ("code", "name"))
        code = c.code(v.get("code"), kp + ("code",))
        if code and code in veto_codes:
            c.problem(kp + ("code",), f"否决事项编号“{code}”重复")
        veto_codes.add(code)
        vetoes.append(Veto(code, c.text(v.get("name"), kp + ("name",))))
    return tuple(vetoes)


def _gap_lines(value, c: _Checker) -> tuple:
    gap = c.mapping(value or {}, ("gap",), GAP_KEYS)
    ratio = c.number(gap.get("ratio"), ("gap", "ratio"), minimum=0, maximum=1, default=0.9)
    severe = c.number(gap.get("severe_ratio"), ("gap", "severe_ratio"), minimum=0, maximum=1, default=0.6)
    if ratio is not None and severe is not None and severe > ratio:
        c.problem(("gap", "severe_ratio"), f"严重短板线（{severe}）不能高于短板线 ratio（{ratio}）")
    return ratio, severe


def _pass_score(value, c: _Checker, items, bonus_cap: float):
    pass_score = c.number(value, ("pass_score",), positive=True, default=0)
    total = sum(i.max for item in items for i in item.indicators)
    if pass_score and total and pass_score > total + bonus_cap:
        c.problem(("pass_score",), f"合格线 {pass_score} 高于可能的最高分 {total + bonus_cap:g}"
                                   f"（指标满分 {total:g} + 加分上限 {bonus_cap:g}）")
    return pass_score


def _mail(value, c: _Checker) -> dict:
    mail = dict(c.mapping(value or {}, ("mail",), MAIL_KEYS | {"password"}))
    if "password" in mail:
        c.problem(("mail", "password"), "邮箱密码不得写入规则文件，请设置环境变量 SMTP_PASSWORD")
        mail.pop("password")
    if "security" in mail:
        c.choice(mail["security"], ("mail", "security"), SECURITIES, "starttls")
    if "port" in mail:
        c.number(mail["port"], ("mail", "port"), positive=True)
    for key in ("max_mb", "timeout"):
        if key in mail:
            c.number(mail[key], ("mail", key), positive=True)
    return mail


def _as_of(value, c: _Checker) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    from .text import parse_date

    parsed = parse_date(value)
    if parsed is None:
        c.problem(("as_of",), f"“{value}”不是有效日期，应写作 2026-12-31")
    return parsed


def _indicator_departments(value, kp, c: _Checker, by_spelling, departments) -> tuple[str, ...]:
    if value == "all" or value == ["all"]:
        return tuple(d.name for d in departments)
    names, bad = [], False      # bad: an entry already reported (undeclared, or all mixed in)
    for j, typed in enumerate(c.strings(value, kp)):
        if typed == "all":
            bad = True
            c.problem(kp + (j,), "“all”须单独使用（departments: all），不能与部门名称混用")
            continue
        name = by_spelling.get(squash(typed))
        if name is None:
            bad = True
            c.problem(kp + (j,), f"部门“{typed}”未在 departments 中声明{did_you_mean(typed, list(by_spelling.values()))}")
        elif name in names:
            c.problem(kp + (j,), f"部门“{typed}”重复列出")
        else:
            names.append(name)
    if not names and value is not None and not bad:
        c.problem(kp, "至少指定一个责任部门")
    return tuple(names)


def _limits(value, c: _Checker) -> Limits:
    given = c.mapping(value or {}, ("limits",), LIMIT_KEYS)
    values = {}
    for key, spec in Limits.__dataclass_fields__.items():
        if key in given:
            number = c.number(given[key], ("limits", key), positive=True)
            if number is not None:
                values[key] = type(spec.default)(number)
    return Limits(**values)


def _with_fingerprint(rules: Rules) -> Rules:
    """A short hash of what a workbook depends on: indicators, their max and departments, vetoes, statuses."""
    shape = {
        "items": [[it.code, it.name, [[i.code, i.name, i.max, list(i.departments)] for i in it.indicators]]
                  for it in rules.items],
        "vetoes": [[v.code, v.name] for v in rules.vetoes],
        "statuses": list(rules.statuses),
    }
    if rules.computed_indicators:     # a computed row is locked in the template: another template
        shape["computed"] = [[i.code, i.computed.data, i.computed.method, i.computed.target]
                             for i in rules.computed_indicators]
    digest = hashlib.sha256(json.dumps(shape, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]
    return replace(rules, fingerprint=digest)


# ---------------------------------------------------------------------------------------------
# Computed indicators (CONTRACT.md §12): `data:` at the top, `computed:` on an indicator

DATA_KEYS = {"name", "columns", "department", "person"}
COMPUTED_KEYS = {"data", "value", "target", "method"}
DATA_METHODS = ("share", "mean", "sum")


def _data_sources(value, c: _Checker) -> tuple[DataSource, ...]:
    from .text import title_key

    sources, names = [], {}
    for i, d in enumerate(c.sequence(value, ("data",))):
        kp = ("data", i)
        d = c.mapping(d, kp, DATA_KEYS, ("name", "columns", "department"))
        name = c.text(d.get("name"), kp + ("name",)) if d.get("name") is not None else ""
        if name and name in names:
            c.problem(kp + ("name",), f"数据名称“{name}”重复（已用于 data[{names[name]}]）")
        names.setdefault(name, i)
        columns = c.strings(d.get("columns"), kp + ("columns",)) if d.get("columns") is not None else ()
        keys = [title_key(col) for col in columns]
        for j, key in enumerate(keys):
            if key and key in keys[:j]:
                c.problem(kp + ("columns", j), f"列名“{columns[j]}”重复")
        if d.get("columns") is not None and len([k for k in keys if k]) < 2:
            c.problem(kp + ("columns",), "至少列出两列：部门列和数值列")
        department = c.text(d.get("department"), kp + ("department",)) if d.get("department") is not None else ""
        if department and columns and title_key(department) not in keys:
            c.problem(kp + ("department",), f"部门列“{department}”不在 columns 中{did_you_mean(department, columns)}")
        person = c.text(d.get("person"), kp + ("person",), required=False)
        if person and title_key(person) not in keys:
            c.problem(kp + ("person",), f"姓名列“{person}”不在 columns 中{did_you_mean(person, columns)}")
        elif person and title_key(person) == title_key(department):
            c.problem(kp + ("person",), "姓名列不能与部门列相同")
        if name:
            sources.append(DataSource(name, tuple(col for col in columns if col), department, person))
    return tuple(sources)


def _with_computed(items: tuple[Item, ...], raw_items, c: _Checker,
                   sources: tuple[DataSource, ...]) -> tuple[Item, ...]:
    """Items with each indicator's `computed:` parsed (raw and built items correspond one to one)."""
    if not isinstance(raw_items, list):
        return items
    out = []
    for i, item in enumerate(items):
        raw = raw_items[i] if i < len(raw_items) and isinstance(raw_items[i], dict) else {}
        raw_inds = raw.get("indicators") if isinstance(raw.get("indicators"), list) else []
        indicators = []
        for j, ind in enumerate(item.indicators):
            raw_ind = raw_inds[j] if j < len(raw_inds) and isinstance(raw_inds[j], dict) else {}
            computed = _computed(raw_ind.get("computed"), ("items", i, "indicators", j, "computed"), c, sources)
            indicators.append(replace(ind, computed=computed) if computed else ind)
        out.append(replace(item, indicators=tuple(indicators)))
    return tuple(out)


def _computed(value, kp, c: _Checker, sources: tuple[DataSource, ...]) -> Computed | None:
    if value is None:
        return None
    from .text import title_key

    given = c.mapping(value, kp, COMPUTED_KEYS, ("data", "value", "target", "method"))
    if not given:
        return None
    data = c.text(given.get("data"), kp + ("data",)) if given.get("data") is not None else ""
    column = c.text(given.get("value"), kp + ("value",)) if given.get("value") is not None else ""
    target = c.number(given.get("target"), kp + ("target",), positive=True)
    method = c.choice(given.get("method"), kp + ("method",), DATA_METHODS, None) if given.get("method") is not None else None
    source = next((s for s in sources if s.name == data), None)
    if data and source is None:
        known = [s.name for s in sources]
        c.problem(kp + ("data",), f"数据“{data}”未在 data 中声明{did_you_mean(data, known)}"
                  if known else f"数据“{data}”未在 data 中声明（规则文件没有 data: 部分）")
    elif source is not None and column:
        keys = [title_key(col) for col in source.columns]
        if title_key(column) not in keys:
            c.problem(kp + ("value",), f"数值列“{column}”不在数据“{data}”的 columns 中{did_you_mean(column, source.columns)}")
        elif title_key(column) == title_key(source.department):
            c.problem(kp + ("value",), f"数值列“{column}”是数据“{data}”的部门列，不能用作数值")
        elif source.person and title_key(column) == title_key(source.person):
            c.problem(kp + ("value",), f"数值列“{column}”是数据“{data}”的姓名列，不能用作数值")
    if not (data and column and method) or target is None or target <= 0 or isinstance(target, bool):
        return None
    return Computed(data=data, value=column, target=float(target), method=method)
