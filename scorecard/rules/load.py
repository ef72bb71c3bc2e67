"""`load_rules` / `parse_rules`: rules.yaml read once, every section checked and built into `Rules`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import yaml

from ..base.text import did_you_mean, squash
from .check import (CONTACT_KEYS, DEFAULT_TITLE, DEPARTMENT_KEYS, GAP_KEYS, INDICATOR_KEYS, ITEM_KEYS,
                    LEADER_KEYS, LIMIT_KEYS, MAIL_KEYS, REQUIRED_TOP, TOP_KEYS, VETO_KEYS, _Checker, _Located, _keystr)
from .computed import _data_sources, _with_computed
from .units import mode_of, prepare_units, units
from .evidence import evidence_rule, evidence_settings
from .schedule import check_leaders, department_followup, schedule_of
from .model import (COMBINES, Contact, DEFAULT_STATUSES, Department, EVIDENCE, Indicator, Item, Leader,
                    Limits, METHODS, RuleProblem, Rules, RulesError, SECURITIES, Veto)


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
    top = c.mapping(data, (), TOP_KEYS, ())
    mode = mode_of(top, c)                                            # §17
    if mode == "units":
        given_units = top.get("units")
        top = prepare_units(top, c)
    for key in REQUIRED_TOP:
        if top.get(key) in (None, "") and not (key == "departments" and mode == "units"):
            c.problem((key,), f"缺少必填项“{key}”")
    version = top.get("version", 1)
    if version != 1:
        c.problem(("version",), f"不支持的规则文件版本“{version}”，本程序支持版本 1")
    departments = units(given_units, c, _emails) if mode == "units" else _departments(top.get("departments"), c)
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
        holidays=_dates(top.get("holidays"), "holidays", c), workdays=_dates(top.get("workdays"), "workdays", c),
        contact=_contact(top.get("contact"), c), mode=mode, evidence=evidence_settings(top.get("evidence"), c),
        schedule=schedule_of(top.get("schedule"), c))
    check_leaders(rules.departments, rules.leaders, c, "units" if mode == "units" else "departments")
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
        from ..base.text import parse_date

        parsed = parse_date(item) if isinstance(item, str) else None
        if parsed is None:
            c.problem((key, j), f"“{item}”不是有效日期，应写作 2027-01-01")
        else:
            out.append(parsed)
    return tuple(out)


def _emails(value, kp, c: _Checker, key: str = "email") -> tuple[str, ...]:
    """Addresses checked one way for departments and leaders alike: each entry exactly one address."""
    emails = c.strings(value, kp + (key,))
    for j, email in enumerate(emails):
        if email and not one_address(email.strip()):
            c.problem(kp + (key, j), f"“{email}”不是有效的电子邮箱地址（每项只能写一个地址，"
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
        followup = department_followup(d, kp, c, _emails)                 # §14
        for spelling, where in [(name, kp + ("name",))] + [(a, kp + ("aliases", j)) for j, a in enumerate(aliases)]:
            key = squash(spelling)
            if not key:
                continue
            if key in seen_spelling and seen_spelling[key][0] != i:
                other = seen_spelling[key][1]
                c.problem(where, f"“{spelling}”与部门“{other}”的名称或别名重复，无法区分")
            seen_spelling.setdefault(key, (i, name))
        if name:
            departments.append(Department(name, tuple(a for a in aliases if a), emails, head, **followup))
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
                evidence_required=(rule := evidence_rule(ind.get("evidence"), ip + ("evidence",), c)).required,
                evidence=rule))
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


def _contact(value, c: _Checker) -> Contact | None:
    """contact: {name: 王明, phone: 0571-88880000}; the phone is required, the name optional."""
    if value is None:
        return None
    contact = c.mapping(value, ("contact",), CONTACT_KEYS, ("phone",))
    phone = contact.get("phone")
    phone = str(phone).strip() if isinstance(phone, (int, str)) and not isinstance(phone, bool) else c.text(
        phone, ("contact", "phone"))
    return Contact(name=c.text(contact.get("name"), ("contact", "name"), required=False), phone=phone)


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
    from ..base.text import parse_date

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
