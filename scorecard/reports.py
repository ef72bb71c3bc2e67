"""Word reports (docxtpl) and the Excel gap list, rendered from the summary dict (docs/summary.md).

Nothing here computes a score: `build_context` only formats the summary's numbers and writes the
sentences a reader needs (the verdict, what a department must do next); the templates only loop
and test over that context. Everything a department typed reaches the template as a context value
in an autoescaping, StrictUndefined Jinja environment, so it is shown literally and a template
that asks for something the context lacks fails loudly (ReportError) instead of printing nothing.

Templates: templates_dir/<name> when it exists, else the packaged default in templates/.
Checking a user-edited template folder before a run lives in templatecheck.py; it renders
through this module's build_context, make_environment and _read_template, so a check and a
real render cannot disagree about what a template may use.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError
from lxml.etree import XMLSyntaxError

from . import charts
from .errors import ReportError
from .gaplist import write_gap_xlsx
from .text import fmt_number, safe_filename, xml_safe

SUMMARY_TEMPLATE = "汇总报告.docx"
DEPARTMENT_TEMPLATE = "部门报告.docx"
GAPLIST_TEMPLATE = "问题清单.docx"
TEMPLATE_NAMES = (SUMMARY_TEMPLATE, DEPARTMENT_TEMPLATE, GAPLIST_TEMPLATE)
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DEPARTMENT_DIR = "部门报告"
GAPLIST_XLSX = "问题清单.xlsx"
TOP_GAPS = 15
CHART_WIDTH = Mm(150)
_CN_NUMBERS = "一二三四五六七八九十"
# What python-docx/docxtpl raise for a template file that is not a usable .docx package.
_BROKEN_TEMPLATE = (PackageNotFoundError, KeyError, XMLSyntaxError, zipfile.BadZipFile)


# ---------------------------------------------------------------- environment and templates

_CACHE_SIZE = 32   # a run has a handful of distinct sources (body, headers, footers of 3 templates)


def _cached(cache: dict, key, make):
    """cache[key], made by make() on a miss. Emptied rather than grown past _CACHE_SIZE, so an
    unusual template (many parts) costs recompiles, never unbounded memory."""
    value = cache.get(key)
    if value is None:
        if len(cache) > _CACHE_SIZE:
            cache.clear()
        value = cache[key] = make()
    return value


class _Environment(Environment):
    """Compiles each distinct template source once: docxtpl hands the same patched XML to
    from_string for every department, and compiling it is most of a render's cost."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return _cached(self._compiled, source, lambda: super(_Environment, self).from_string(source))


class _Template(DocxTemplate):
    """DocxTemplate that remembers patch_xml results: cleaning the template XML for Jinja (a few
    dozen regex passes) gives the same result for every department, so do it once per run."""

    def __init__(self, template_file, patched: dict[str, str] | None = None):
        super().__init__(template_file)
        self._patched = {} if patched is None else patched

    def patch_xml(self, src_xml):
        return _cached(self._patched, src_xml, lambda: super(_Template, self).patch_xml(src_xml))


def make_environment(undefined=StrictUndefined) -> Environment:
    return _Environment(undefined=undefined, autoescape=True)


def template_path(name: str, templates_dir: Path | None = None) -> Path:
    """templates_dir/name when the user provides it, else the packaged default."""
    if templates_dir is not None:
        candidate = Path(templates_dir) / name
        if candidate.is_file():
            return candidate
    return DEFAULT_TEMPLATES / name


def _read_template(name: str, templates_dir: Path | None) -> bytes:
    path = template_path(name, templates_dir)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(name, f"找不到或无法读取模板文件 {path}（{exc.strerror}）") from exc
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReportError(name, f"模板文件 {path} 不是有效的 Word（.docx）文件，请用 Word 另存为 .docx")
    return data


# ---------------------------------------------------------------- formatting helpers

def _clean(value):
    """Every string made safe for XML 1.0: control characters dropped, line ends unified."""
    if isinstance(value, str):
        return xml_safe(value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _n(value) -> str:
    return fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def _pct(rate) -> str:
    return f"{fmt_number(round(rate * 100, 1))}%" if isinstance(rate, (int, float)) else ""


def _s(value) -> str:
    return "" if value is None else str(value)


def _chinese_date(text) -> str:
    """'2027-01-04 09:30' -> '2027年1月4日' (the date line under a signature); other text unchanged."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", _s(text))
    return f"{match[1]}年{int(match[2])}月{int(match[3])}日" if match else _s(text)


def _cn(k: int) -> str:
    if k <= 10:
        return _CN_NUMBERS[k - 1]
    if k < 20:
        return "十" + _CN_NUMBERS[k - 11]
    return f"{_CN_NUMBERS[k // 10 - 1]}十{_CN_NUMBERS[k % 10 - 1] if k % 10 else ''}" if k < 100 else str(k)


def verdict_sentence(summary: dict) -> str:
    """The result in one sentence, e.g. 本轮自评总分87.5分（基础分84.5分、特色加分3分），合格线90分，…"""
    unit, pass_score = summary["unit"], summary.get("pass_score")
    head = (f"本轮自评总分{_n(unit['total'])}分（基础分{_n(unit['score'])}分、特色加分{_n(unit['bonus'])}分），"
            f"合格线{_n(pass_score)}分，")
    gap = round(float(pass_score) - float(unit["total"]), 2) if pass_score is not None else 0
    if unit.get("veto"):
        names = "、".join(f"“{v['code']} {v['name']}”" for v in summary.get("vetoes", []) if v.get("occurred"))
        below = f"（总分亦低于合格线{fmt_number(gap)}分）" if gap > 0 else ""
        return f"{head}但发生一票否决事项{names}，本轮测评不能通过{below}。"
    if unit.get("passed"):
        above = f"，高出{fmt_number(-gap)}分" if gap < 0 else ""
        return f"{head}未触发一票否决事项，已达到合格线{above}。"
    return f"{head}未触发一票否决事项，尚未达到合格线，差{fmt_number(max(gap, 0))}分。"


def _gap_row(gap: dict, no: int) -> dict:
    code, name, kind = _s(gap.get("indicator")), _s(gap.get("indicator_name")), gap.get("kind", "")
    if kind in ("未报送", "退回"):
        indicator_text = "全部承担指标"
    else:
        indicator_text = f"{code} {name}".strip()
    return {
        "no": no, "kind": kind, "severity": _s(gap.get("severity")), "department": _s(gap.get("department")),
        "indicator": code, "indicator_name": name, "indicator_text": indicator_text,
        "problem": _s(gap.get("problem")), "measure": _s(gap.get("measure")), "owner": _s(gap.get("owner")),
        "deadline": _s(gap.get("deadline")), "status": _s(gap.get("status")), "score": _n(gap.get("score")),
        "max": _n(gap.get("max")), "note": _s(gap.get("note")),
        "description": _s(gap.get("problem")) or _s(gap.get("note")), "state": _s(gap.get("state")),
    }


def _count_text(gaps: list[dict]) -> str:
    severe = sum(1 for g in gaps if g.get("severity") == "严重")
    if severe and severe < len(gaps):
        return f"{len(gaps)}项（严重{severe}项、一般{len(gaps) - severe}项）"
    return f"{len(gaps)}项（均为{'严重' if severe else '一般'}问题）"


def _ranking(summary: dict) -> list[dict]:
    """Departments in ranking order (rank 1 first; those without a rank last, in rules order)."""
    indexed = list(enumerate(summary.get("departments", [])))
    indexed.sort(key=lambda p: (p[1].get("rank") is None, p[1].get("rank") or 0, p[0]))
    return [d for _, d in indexed]


# ---------------------------------------------------------------- context

def build_context(template: str, summary: dict, tpl: DocxTemplate | None = None,
                  department: str | None = None, *, chart_font: str | None = charts.AUTO) -> dict:
    """The context a template is rendered with. The same function serves real renders and
    templatecheck.template_problems. template is one of TEMPLATE_NAMES; department is needed for 部门报告."""
    summary = summary or {}
    unit = summary.get("unit", {})
    gaps = summary.get("gaps", [])
    ranking = _ranking(summary)
    ranked = [d for d in ranking if d.get("rank") is not None]
    gap_rows = [_gap_row(g, k) for k, g in enumerate(gaps, 1)]
    with_indicators = [d for d in summary.get("departments", []) if d.get("max")]
    submitted = sum(1 for d in with_indicators if d.get("submitted"))
    history = bool(summary.get("previous_round"))
    progress = ""
    if history:
        new = sum(1 for g in gaps if g.get("state") == "新增")
        progress = (f"与上轮（{summary['previous_round']}）相比，已整改销号{len(summary.get('closed_gaps') or [])}项，"
                    f"持续存在{len(gaps) - new}项，新增{new}项。")
    context = {
        "title": _s(summary.get("title")), "organization": _s(summary.get("organization")),
        "round": _s(summary.get("round")), "as_of": _s(summary.get("as_of")),
        "generated_at": _s(summary.get("generated_at")), "previous_round": _s(summary.get("previous_round")),
        "report_date": _chinese_date(summary.get("generated_at") or summary.get("as_of")),
        "pass_score": _n(summary.get("pass_score")), "bonus_cap": _n(summary.get("bonus_cap")),
        "gap_ratio": _pct(summary.get("gap_ratio")), "gap_severe_ratio": _pct(summary.get("gap_severe_ratio")),
        "unit": {"score": _n(unit.get("score")), "max": _n(unit.get("max")), "bonus": _n(unit.get("bonus")),
                 "total": _n(unit.get("total")), "rate": _pct(unit.get("rate")), "veto": bool(unit.get("veto")),
                 "passed": bool(unit.get("passed")), "result": "合格" if unit.get("passed") else "不合格"},
        "verdict": verdict_sentence(summary) if unit else "",
        "department_count": len(with_indicators), "submitted_count": submitted,
        "ranked_count": len(ranked),
        "gap_count": len(gaps), "severe_count": sum(1 for g in gaps if g.get("severity") == "严重"),
        "gaps": gap_rows,
        "gaps_text": (f"本轮共查找问题短板{_count_text(gaps)}，涉及{len({g.get('department') for g in gaps})}个部门。"
                      if gaps else "本轮未发现问题短板。"),
        "progress_text": progress,
        "closed_gaps": [_gap_row(g, k) for k, g in enumerate(summary.get("closed_gaps") or [], 1)],
        "has_state": history,
    }
    if template == SUMMARY_TEMPLATE:
        context.update(_summary_part(summary, ranking, gap_rows, tpl, chart_font))
    elif template == DEPARTMENT_TEMPLATE:
        context["dept"] = _department_part(summary, department, ranked, gap_rows)
    elif template == GAPLIST_TEMPLATE:
        context["gap_groups"] = _gap_groups(summary, gap_rows)
    else:
        raise ValueError(f"unknown template {template!r}")
    return _clean(context)


def _summary_part(summary, ranking, gap_rows, tpl, chart_font) -> dict:
    unit = summary.get("unit", {})
    items = summary.get("items", [])
    gaps = summary.get("gaps", [])
    unsubmitted = list(summary.get("unsubmitted", []))
    occurred = [v for v in summary.get("vetoes", []) if v.get("occurred")]
    bonuses = summary.get("bonuses", [])
    with_indicators = [d for d in summary.get("departments", []) if d.get("max")]
    top = gap_rows[:TOP_GAPS]
    if not gaps:
        top_text = "本轮未发现问题短板。"
    elif len(gaps) > TOP_GAPS:
        top_text = (f"本轮共查找问题短板{_count_text(gaps)}，下表按严重程度列出前{TOP_GAPS}项，"
                    "完整清单见《问题清单》。")
    else:
        top_text = f"本轮共查找问题短板{_count_text(gaps)}，详见下表及《问题清单》。"
    overview = (f"本轮共有{len(with_indicators)}个部门承担测评任务，已报送{len(with_indicators) - len(unsubmitted)}个"
                + (f"、未报送{len(unsubmitted)}个" if unsubmitted else "")
                + f"；共查找问题短板{_count_text(gaps) if gaps else '0项'}。")
    chart_ranking = [d for d in ranking if d.get("rank") is not None]
    ref = (summary["pass_score"] / unit["max"]) if summary.get("pass_score") and unit.get("max") else None
    labels = [f"{i.get('code', '')} {i.get('name', '')}" for i in items] + [d["name"] for d in chart_ranking]
    font = charts.resolve_font(chart_font, labels + ["未报送"])
    part = {
        "overview": overview,
        "items": [{"no": k, "code": _s(i.get("code")), "name": _s(i.get("name")), "score": _n(i.get("score")),
                   "max": _n(i.get("max")), "rate": _pct(i.get("rate"))} for k, i in enumerate(items, 1)],
        "ranking": [{"no": k, "rank": _s(d.get("rank")) or "—", "name": d["name"], "score": _n(d.get("score")),
                     "max": _n(d.get("max")), "rate": _pct(d.get("rate")) if d.get("max") else "—",
                     "submitted": bool(d.get("submitted")),
                     "submitted_text": "已报送" if d.get("submitted") else ("未报送" if d.get("max") else "无承担指标"),
                     "gap_count": _n(d.get("gap_count"))} for k, d in enumerate(ranking, 1)],
        "top_gaps": top, "top_gaps_text": top_text,
        "unsubmitted": unsubmitted,
        "unsubmitted_text": (f"以下{len(unsubmitted)}个部门本轮未报送自评表（或报送的自评表未通过审核），其承担的指标均按0分计算："
                             f"{'、'.join(unsubmitted)}。请督促其尽快报送。") if unsubmitted else "各部门均已按时报送自评表。",
        "vetoes": [{"code": _s(v.get("code")), "name": _s(v.get("name")), "occurred": bool(v.get("occurred")),
                    "occurred_text": "发生" if v.get("occurred") else "未发生",
                    "departments": "、".join(v.get("departments") or []), "notes": "；".join(v.get("notes") or [])}
                   for v in summary.get("vetoes", [])],
        "vetoes_occurred": [{"code": _s(v.get("code")), "name": _s(v.get("name")),
                             "departments": "、".join(v.get("departments") or []) or "—",
                             "notes": "；".join(v.get("notes") or []) or "无"} for v in occurred],
        "vetoes_text": (f"本轮发生一票否决事项{len(occurred)}项，按规定本轮测评不能通过，须立即查明情况、严肃处理："
                        if occurred else "本轮各部门均未报告一票否决事项。"),
        "bonuses": [{"no": k, "department": _s(b.get("department")), "project": _s(b.get("project")),
                     "points": _n(b.get("points")), "description": _s(b.get("description")),
                     "evidence": _s(b.get("evidence"))} for k, b in enumerate(bonuses, 1)],
        "bonus_text": (f"各部门共申报特色加分{len(bonuses)}项，计入总分的特色加分为{_n(unit.get('bonus'))}分"
                       f"（上限{_n(summary.get('bonus_cap'))}分）。" if bonuses else "本轮没有部门申报特色加分。"),
        "chart_note": "" if font else ("注：本机未安装中文字体，图中以数字代替名称：图1的数字依次对应测评项目一至末项，"
                                       "图2的数字对应排名表的“序号”列。"),
    }
    if tpl is not None:
        item_png = charts.item_chart(items, ref=ref, font=font, titled=False)
        dept_png = charts.department_chart(chart_ranking, ref=ref, font=font, titled=False)
        part["chart_items"] = InlineImage(tpl, io.BytesIO(item_png), width=CHART_WIDTH)
        part["chart_departments"] = InlineImage(tpl, io.BytesIO(dept_png), width=CHART_WIDTH)
    else:
        part["chart_items"] = part["chart_departments"] = ""
    return part


def _department_part(summary, name, ranked, gap_rows) -> dict:
    dept = next((d for d in summary.get("departments", []) if d.get("name") == name), None)
    if dept is None:
        raise ValueError(f"department {name!r} is not in the summary")
    entries = [e for e in summary.get("entries", []) if e.get("department") == name]
    mine = [dict(g, no=k) for k, g in enumerate((g for g in gap_rows if g["department"] == name), 1)]
    returned = [s["returned"] for s in summary.get("submissions", [])
                if s.get("department") == name and s.get("status") == "rejected" and s.get("returned")]
    n_ranked, rank = len(ranked), dept.get("rank")
    tie = rank is not None and sum(1 for d in ranked if d.get("rank") == rank) > 1
    rank_text = f"第{rank}名{'（并列）' if tie else ''}" if rank is not None else "—"
    ind = f"本部门承担测评指标{len(entries)}项，分值合计{_n(dept.get('max'))}分"
    if not dept.get("max"):
        overview = "本部门本轮未承担测评指标，无需报送自评表。"
    elif dept.get("submitted"):
        who = "、".join(x for x in (_s(dept.get("filler")), _s(dept.get("fill_date"))) if x)
        overview = (f"{ind}，自评得分{_n(dept.get('score'))}分，得分率{_pct(dept.get('rate'))}，"
                    f"在{n_ranked}个部门中排名{rank_text}。" + (f"（自评表填报：{who}）" if who else ""))
    else:
        overview = (f"本部门本轮未报送自评表（或报送的自评表未通过审核），按“未报送”处理。{ind}，均暂按0分计算，"
                    f"在{n_ranked}个部门中排名{rank_text}。")
        if returned:
            overview += f"已报送的自评表因存在错误被退回，退回件：{'；'.join(returned)}。"
    if not dept.get("max"):
        gaps_text = "本部门本轮未承担测评指标，没有问题短板。"
    elif mine:
        gaps_text = f"本部门本轮存在问题短板{_count_text(mine)}，具体如下："
    else:
        gaps_text = "本部门承担的指标均已达标，本轮未发现问题短板。"
    submitted = bool(dept.get("submitted"))
    return {
        "name": dept["name"], "submitted": submitted, "submitted_text": "已报送" if submitted else "未报送",
        "score": _n(dept.get("score")), "max": _n(dept.get("max")), "rate": _pct(dept.get("rate")),
        "rank": _s(rank) or "—", "rank_text": rank_text, "ranked_count": n_ranked,
        "fill_date": _s(dept.get("fill_date")), "filler": _s(dept.get("filler")), "phone": _s(dept.get("phone")),
        "file": _s(dept.get("file")), "returned": "；".join(returned),
        "indicator_count": len(entries), "gap_count": len(mine), "overview": overview,
        "entries": [{"no": k, "code": _s(e.get("indicator")), "name": _s(e.get("name")), "item": _s(e.get("item")),
                     "item_name": _s(e.get("item_name")), "max": _n(e.get("max")), "score": _n(e.get("score")),
                     "status": _s(e.get("status")) if e.get("submitted", submitted) else "未报送",
                     "evidence": _s(e.get("evidence")), "problem": _s(e.get("problem")),
                     "measure": _s(e.get("measure")), "owner": _s(e.get("owner")), "deadline": _s(e.get("deadline"))}
                    for k, e in enumerate(entries, 1)],
        "gaps": mine, "gaps_text": gaps_text,
        "next_steps": [{"no": k, "text": t} for k, t in enumerate(_next_steps(dept, entries, mine, returned), 1)],
    }


def _next_steps(dept: dict, entries: list[dict], gaps: list[dict], returned: list[str]) -> list[str]:
    """One concrete sentence per gap (serious first), or a sentence to keep it up."""
    if not dept.get("max"):
        return ["本部门本轮未承担测评指标。请继续配合做好创建工作，积极参加全员性创建活动。"]
    steps = []
    for g in gaps:
        ind, owner = f"“{g['indicator_text']}”", g["owner"] or "部门负责人"
        by = f"于{g['deadline']}前" if g["deadline"] else "尽快"
        if g["kind"] in ("未报送", "退回"):
            step = (f"立即按创建办下发的自评表模板填报本部门承担的{len(entries)}项指标，逐项填写自评得分、佐证材料，"
                    "得分未达满分的写明存在问题、整改措施、责任人和完成时限，经部门负责人审核后报送创建办。")
            if returned:
                step += "已被退回的自评表请按退回件中标注的单元格和批注逐项修改后重新报送。"
        elif g["kind"] == "一票否决":
            step = f"针对一票否决事项{ind}，立即向局党组专题报告，配合做好调查处置，并制定防范措施，杜绝再次发生。"
        elif g["kind"] == "低分":
            how = f"按照“{g['measure']}”的措施" if g["measure"] else "制定具体整改措施"
            step = (f"{ind}自评{g['score']}分（满分{g['max']}分），{g['severity']}短板。请{how}抓紧整改，"
                    f"由{owner}负责，{by}完成。")
        elif g["kind"] == "逾期":
            step = (f"{ind}的整改已超过完成时限（{g['deadline'] or '未填'}）仍未完成"
                    f"{('（目前' + g['status'] + '）') if g['status'] else ''}，请{owner}说明原因，立即推进，"
                    "并重新明确完成时间报创建办。")
        elif g["kind"] == "佐证缺失":
            step = f"补齐{ind}的佐证材料（{owner}负责），并在下次报送自评表时一并提交。"
        else:
            step = f"{ind}：{g['description']}，请{owner}{by}整改到位。"
        steps.append(step)
    if not steps:
        steps.append("本部门承担的指标均已达标。请继续保持，做好佐证材料的日常收集和归档，巩固创建成果。")
    return steps


def _gap_groups(summary: dict, gap_rows: list[dict]) -> list[dict]:
    order = {d.get("name"): k for k, d in enumerate(summary.get("departments", []))}
    groups: dict[str, list[dict]] = {}
    for g in gap_rows:
        groups.setdefault(g["department"], []).append(g)
    result = []
    for k, name in enumerate(sorted(groups, key=lambda n: (order.get(n, len(order)), n)), 1):
        rows = [dict(g, no=j) for j, g in enumerate(groups[name], 1)]
        result.append({"no": k, "department": name, "count": len(rows), "heading": f"{_cn(k)}、{name}（{len(rows)}项）",
                       "summary": f"共{_count_text(rows)}。", "gaps": rows})
    return result


# ---------------------------------------------------------------- rendering

def _render(name: str, data: bytes, make_context, out_path: Path, env: Environment,
            patched: dict[str, str] | None = None) -> Path:
    tpl = _Template(io.BytesIO(data), patched)
    try:
        context = make_context(tpl)
        tpl.render(context, env)
    except TemplateSyntaxError as exc:
        raise ReportError(name, _syntax_message(exc)) from exc
    except TemplateError as exc:
        raise ReportError(name, f"模板使用了报告不提供的内容（{exc.message or exc}）。"
                                "请核对模板中的变量名称，可用模板检查列出全部问题。") from exc
    except _BROKEN_TEMPLATE as exc:
        raise ReportError(name, _broken_message(exc)) from exc
    tpl.save(out_path)
    return out_path


def _broken_message(exc: Exception) -> str:
    return f"模板文件无法打开或已损坏（{exc}）"


def _syntax_message(exc: TemplateSyntaxError) -> str:
    near = " ".join(t.strip() for t in getattr(exc, "docx_context", []) if t.strip())[:120]
    detail = (exc.message or "").rstrip(". ")
    return f"模板标签语法错误：{detail}" + (f"，出错位置附近的文字：“{near}”" if near else "")


def _unique_name(name: str, used: set[str]) -> str:
    stem, k = safe_filename(name), 2
    candidate = stem
    while candidate.lower() in used:
        candidate, k = f"{stem}（{k}）", k + 1
    used.add(candidate.lower())
    return candidate


def write_reports(summary: dict, out_dir: Path, templates_dir: Path | None = None, *,
                  chart_font: str | None = charts.AUTO) -> list[Path]:
    """Write 汇总报告.docx, 部门报告/<部门>.docx (every department), 问题清单.docx and 问题清单.xlsx
    into out_dir (a staging folder). chart_font: a font family, None for ASCII chart labels, or
    "auto". Returns the paths written; raises ReportError when a template fails."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = make_environment()
    written = [_render(SUMMARY_TEMPLATE, _read_template(SUMMARY_TEMPLATE, templates_dir),
                       lambda tpl: build_context(SUMMARY_TEMPLATE, summary, tpl, chart_font=chart_font),
                       out_dir / SUMMARY_TEMPLATE, env)]
    dept_dir = out_dir / DEPARTMENT_DIR
    dept_dir.mkdir(exist_ok=True)
    # One template read, one patched source and one compiled Jinja template for all departments.
    data, used, patched = _read_template(DEPARTMENT_TEMPLATE, templates_dir), set(), {}
    for dept in summary.get("departments", []):
        name = dept["name"]
        written.append(_render(DEPARTMENT_TEMPLATE, data,
                               lambda tpl, name=name: build_context(DEPARTMENT_TEMPLATE, summary, tpl, name),
                               dept_dir / f"{_unique_name(name, used)}.docx", env, patched))
    written.append(_render(GAPLIST_TEMPLATE, _read_template(GAPLIST_TEMPLATE, templates_dir),
                           lambda tpl: build_context(GAPLIST_TEMPLATE, summary, tpl), out_dir / GAPLIST_TEMPLATE, env))
    written.append(write_gap_xlsx(summary, out_dir / GAPLIST_XLSX))
    return written
