"""Checking a user-edited template folder before a run (the check-templates command).

`template_problems` renders each template the run would use against two small summaries
(`check_summaries`) with an Undefined that records every miss instead of stopping at the first,
and turns what it records into Chinese sentences naming the file. The context comes from
reports.build_context and the environment from reports.make_environment, the very ones a real
render uses, so the check and a run cannot disagree about what a template may use.
"""
from __future__ import annotations

import copy
import io
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.utils import missing as _MISSING

# reports' underscored helpers too: a check words a broken or mistyped template as a render does.
from .reports import (_BROKEN_TEMPLATE, DEPARTMENT_TEMPLATE, TEMPLATE_NAMES, ReportError, _broken_message,
                      _read_template, _syntax_message, build_context, make_environment)


def template_problems(templates_dir: Path | None = None) -> list[str]:
    """What is wrong with the templates a run would use (templates_dir first, then the defaults):
    one Chinese sentence per problem, naming the file. An empty list means they are fine."""
    problems: list[str] = []
    for name in TEMPLATE_NAMES:
        try:
            data = _read_template(name, templates_dir)
        except ReportError as exc:
            problems.append(str(exc))
            continue
        problems.extend(f"{name}：{p}" for p in _check(name, data, check_summaries()))
    return problems


def _check(name: str, data: bytes, summaries: list[dict]) -> list[str]:
    found: list[str] = []
    records: list[tuple] = []
    undefined = _recording_undefined(records)
    source = None
    for summary in summaries:
        depts = [d["name"] for d in summary["departments"]] if name == DEPARTMENT_TEMPLATE else [None]
        for dept in depts:
            tpl = DocxTemplate(io.BytesIO(data))
            env = make_environment(undefined)
            try:
                context = build_context(name, summary, tpl, dept, chart_font=None)
                if source is None:
                    source = _template_source(tpl)
                    missing = tpl.get_undeclared_template_variables(env, context) - set(env.globals)
                    found += [f"使用了报告不提供的变量“{{{{ {v} }}}}”，请改为说明中列出的变量名或删除。"
                              for v in sorted(missing)]
                tpl.render(context, env)
            except TemplateSyntaxError as exc:
                return [_syntax_message(exc) + "。请检查 {{ }}、{% %} 是否成对、for/if 是否有对应的 endfor/endif。"]
            except _BROKEN_TEMPLATE as exc:
                return [_broken_message(exc) + "。"]
            except TemplateError as exc:
                found.append(f"模板渲染失败：{exc.message or exc}。")
    expressions = _expressions(make_environment(), source or "")
    seen = set()
    for owner, attr in records:
        if owner is None or (owner, attr) in seen:
            continue          # a missing top-level name is reported above
        seen.add((owner, attr))
        used = sorted(e for e in expressions if e.endswith(f".{attr}") or e.endswith(f"['{attr}']"))
        shown = "、".join(f"“{{{{ {e} }}}}”" for e in used) or f"“.{attr}”"
        keys = "、".join(list(owner)[:20]) if isinstance(owner, tuple) else ""
        found.append(f"使用了报告不提供的内容{shown}（没有“{attr}”这一项" + (f"，可用的有：{keys}" if keys else "") + "）。")
    return list(dict.fromkeys(found))


def _recording_undefined(records: list):
    """A StrictUndefined that records each use and renders as empty, so one trial render finds
    every missing attribute instead of stopping at the first."""

    class Recording(StrictUndefined):
        __slots__ = ()

        def _record(self):
            obj = self._undefined_obj
            owner = tuple(obj.keys()) if isinstance(obj, dict) else (None if obj is _MISSING else type(obj).__name__)
            records.append((owner, self._undefined_name))

        def __str__(self):
            self._record()
            return ""

        def __iter__(self):
            self._record()
            return iter(())

        def __bool__(self):
            self._record()
            return False

        def __len__(self):
            self._record()
            return 0

        def __getattr__(self, name):
            if name[:2] == "__":
                raise AttributeError(name)
            self._record()
            return self

        __html__ = __str__
        __eq__ = lambda self, other: (self._record(), False)[1]  # noqa: E731
        __ne__ = lambda self, other: (self._record(), True)[1]  # noqa: E731
        __hash__ = object.__hash__

    return Recording


def _template_source(tpl: DocxTemplate) -> str:
    doc = tpl.get_docx()
    xml = tpl.patch_xml(tpl.xml_to_string(doc.element.body))
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _, part in tpl.get_headers_footers(uri):
            xml += tpl.patch_xml(tpl.get_part_xml(part))
    return xml


def _expressions(env: Environment, source: str) -> set[str]:
    """Dotted expressions in a template (d.name, g['x']) to name what a missing attribute was."""
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return set()

    def text(node):
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            inner = text(node.node)
            return f"{inner}.{node.attr}" if inner else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            inner = text(node.node)
            return f"{inner}['{node.arg.value}']" if inner else None
        return None

    return {e for n in tree.find_all((nodes.Getattr, nodes.Getitem)) if (e := text(n))}


def check_summaries() -> list[dict]:
    """Two small summaries for the trial render of template_problems: one with every list filled
    (gaps of each kind, veto, bonus, history, an unsubmitted department, one without indicators),
    one clean and passing; between them they take both sides of the ifs a template is likely to have."""
    def gap(kind, severity, indicator, dept, **kw):
        return dict(dict(kind=kind, severity=severity, indicator=indicator, department=dept, indicator_name="指标",
                         item="一", owner="张三", problem="问题", measure="措施", deadline="2026-11-30",
                         status="推进中", score=1, max=2, note="说明", state="新增"), **kw)

    def entry(dept, code, score, submitted=True):
        return dict(department=dept, indicator=code, item="一", item_name="项目", name="指标", max=2, score=score,
                    status="推进中", evidence="", problem="问题", measure="措施", owner="张三",
                    deadline="2026-11-30", submitted=submitted)

    def dept(name, submitted, score, mx, rank):
        return dict(name=name, submitted=submitted, score=score, max=mx, rate=score / mx if mx else 0, rank=rank,
                    file="input/甲.xlsx", fill_date="2026-12-01", filler="张三", phone="1", indicator_count=2,
                    gap_count=1)

    rich = dict(
        round="第一轮", as_of="2026-12-31", generated_at="2026-12-31 09:00", title="测评", organization="某局",
        pass_score=3, bonus_cap=1, gap_ratio=0.9, gap_severe_ratio=0.6, previous_round="上一轮",
        unit=dict(score=2.5, max=4, bonus=1, total=3.5, veto=True, passed=False, rate=0.625),
        items=[dict(code="一", name="项目", max=4, score=2.5, rate=0.625)],
        indicators=[dict(code=c, item="一", max=2, score=1, departments=["甲", "乙"], name="指标", item_name="项目",
                         rate=0.5, combine="min", method="材料审核", criteria="标准") for c in ("1.1", "1.2")],
        departments=[dept("甲", True, 2.5, 4, 1), dept("乙", False, 0, 4, None), dept("丙", False, 0, 0, None)]
        + [dept(f"部门{k}", True, 2, 4, k) for k in range(2, 14)],      # enough for the top/bottom lists
        entries=[entry("甲", "1.1", 1), entry("甲", "1.2", 1.5), entry("乙", "1.1", 0, False)],
        gaps=[gap("未报送", "严重", None, "乙"), gap("一票否决", "严重", "V1", "甲"), gap("低分", "严重", "1.1", "甲"),
              gap("逾期", "一般", "1.1", "甲"), gap("佐证缺失", "一般", "1.2", "甲", state="持续",
                  tracking=dict(status="整改中", note="已部署", closed_on=None, verifier=None))],
        vetoes=[dict(code="V1", name="否决", occurred=True, departments=["甲"], notes=["说明"]),
                dict(code="V2", name="否决", occurred=False, departments=[], notes=[])],
        bonuses=[dict(department="甲", project="亮点", points=1, description="说明", evidence="文件")],
        unsubmitted=["乙"],
        submissions=[dict(file="input/乙.xlsx", sha256="0", department="乙", status="rejected", fill_date="",
                          returned="退回/乙_退回.xlsx",
                          findings=[dict(severity="error", rule="score.not_number", sheet="自评表", cell="E2",
                                         message="错误", value="x")])],
        resubmit_by="2027-01-06",
        reviews=[dict(department="甲", indicator="1.1", self_score=2, score=1, reason="佐证不足", reviewer="李四",
                      date="2027-01-05")],
        computed=[dict(indicator="1.2", department="甲", rows=4, meeting=3, value=0.75, score=1.5,
                       below=[dict(name="王五", value=5000)])],
        closed_gaps=[gap("低分", "一般", "1.2", "甲", state="")],
    )
    clean = copy.deepcopy(rich)
    for key in ("previous_round", "closed_gaps"):
        del clean[key]
    clean.update(gaps=[], unsubmitted=[], bonuses=[], submissions=[], reviews=[], computed=[],
                 unit=dict(score=4, max=4, bonus=0, total=4, veto=False, passed=True, rate=1.0))
    clean["vetoes"][0].update(occurred=False, departments=[], notes=[])
    clean["departments"] = [dept("甲", True, 4, 4, 1), dept("乙", True, 4, 4, 1)]
    for e in clean["entries"]:
        e.update(score=2, submitted=True, status="已完成")
    return [rich, clean]
