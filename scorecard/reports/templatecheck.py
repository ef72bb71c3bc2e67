"""Checking a user-edited template folder before a run (the check-templates command).

`template_problems` renders each template the run would use against two small summaries
(`check_summaries`) with an Undefined that records every miss instead of stopping at the first,
and turns what it records into Chinese sentences naming the file. The context comes from
reports.build_context and the environment from reports.make_environment, the very ones a real
render uses, so the check and a run cannot disagree about what a template may use.
"""
from __future__ import annotations

import io
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.utils import missing as _MISSING

# reports' underscored helpers too: a check words a broken or mistyped template as a render does.
from .trial import trial_summaries
from .write import (_BROKEN_TEMPLATE, DEPARTMENT_TEMPLATE, TEMPLATE_NAMES, ReportError, _broken_message,
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
    """The summaries a template is tried against: made by the real scoring code (trial.py)."""
    return trial_summaries()
