"""The context the Word templates are rendered with, built from the summary dict.

Nothing here computes a score: numbers come from the summary (and summary["analysis"], from
analysis.py); this module formats them and writes the sentences a reader needs. The parts every
document shares are built once per summary (`Shared`), and the rows of each department are
indexed by department once, so a department's context costs the same at 10 or 1,000 departments.

Dates: every date a reader sees is written the Chinese way (2027年3月31日), the report's date
(成文日期) is the day overdue is judged on (as_of), and a deadline that has passed is never
phrased as one still to meet.
"""
from __future__ import annotations

import re

from . import analysis as an
from .text import fmt_number, xml_safe

TOP_GAPS = 15
TOP_DEPARTMENTS = 5
_CN_NUMBERS = "一二三四五六七八九十"
_ISO = re.compile(r"(?<![\d“])(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?!\d)")
STATE_TEXT = {an.ACCEPTED: "已报送", an.RETURNED: "退回", an.MISSING: "未报送"}


# ---------------------------------------------------------------- formatting helpers

def clean(value):
    """Every string made safe for XML 1.0: control characters dropped, line ends unified."""
    if isinstance(value, str):
        return xml_safe(value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def n(value) -> str:
    return fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def big(value) -> str:
    """A measured quantity with thousands separators: 7420 -> 7,420."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    text = fmt_number(value)
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def pct(rate) -> str:
    return f"{fmt_number(round(rate * 100, 1))}%" if isinstance(rate, (int, float)) else ""


def s(value) -> str:
    return "" if value is None else str(value)


def cn_date(text) -> str:
    """'2027-01-04' or '2027-01-04 09:30' -> '2027年1月4日'; other text unchanged."""
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", s(text))
    return f"{match[1]}年{int(match[2])}月{int(match[3])}日" if match else s(text)


def prose(text) -> str:
    """Our own sentences (gap notes from scoring): ISO dates and times inside become Chinese dates."""
    return _ISO.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", s(text))


def cn(k: int) -> str:
    if k <= 10:
        return _CN_NUMBERS[k - 1]
    if k < 20:
        return "十" + _CN_NUMBERS[k - 11]
    return f"{_CN_NUMBERS[k // 10 - 1]}十{_CN_NUMBERS[k % 10 - 1] if k % 10 else ''}" if k < 100 else str(k)


def names_text(names: list[str], limit: int = 10) -> str:
    names = [x for x in names if x]
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个部门"


def verdict_sentence(summary: dict) -> str:
    """The result in one sentence, e.g. 本轮自评总分87.5分（基础分84.5分、特色加分3分），合格线90分，…"""
    unit, pass_score = summary["unit"], summary.get("pass_score")
    head = (f"本轮自评总分{n(unit['total'])}分（基础分{n(unit['score'])}分、特色加分{n(unit['bonus'])}分），"
            f"合格线{n(pass_score)}分，")
    gap = round(float(pass_score) - float(unit["total"]), 2) if pass_score is not None else 0
    if unit.get("veto"):
        names = "、".join(f"“{v['code']} {v['name']}”" for v in summary.get("vetoes", []) if v.get("occurred"))
        below = f"（总分亦低于合格线{fmt_number(gap)}分）" if gap > 0 else ""
        return f"{head}但发生一票否决事项{names}，本轮测评不能通过{below}。"
    if unit.get("passed"):
        above = f"，高出{fmt_number(-gap)}分" if gap < 0 else ""
        return f"{head}未触发一票否决事项，已达到合格线{above}。"
    return f"{head}未触发一票否决事项，尚未达到合格线，差{fmt_number(max(gap, 0))}分。"


def count_text(gaps: list[dict]) -> str:
    severe = sum(1 for g in gaps if g.get("severity") == "严重")
    if severe and severe < len(gaps):
        return f"{len(gaps)}项（严重{severe}项、一般{len(gaps) - severe}项）"
    return f"{len(gaps)}项（均为{'严重' if severe else '一般'}问题）"


def _passed(deadline_iso: str, as_of: str) -> bool:
    return bool(deadline_iso) and bool(as_of) and deadline_iso[:10] < as_of[:10]


# ---------------------------------------------------------------- shared, built once per summary

class Shared:
    """What every document of one summary shares, plus per-department indexes."""

    def __init__(self, summary: dict):
        summary = summary or {}
        self.summary = summary
        self.as_of = s(summary.get("as_of"))
        self.analysis = summary.get("analysis") or an.analyse(summary)
        self.states = an.department_states(summary)
        indexed = list(enumerate(summary.get("departments", [])))
        indexed.sort(key=lambda p: (p[1].get("rank") is None, p[1].get("rank") or 0, p[0]))
        self.ranking = [d for _, d in indexed]
        self.ranked = [d for d in self.ranking if d.get("rank") is not None
                       and self.states.get(d["name"], an.ACCEPTED) == an.ACCEPTED]
        self.rank_counts: dict = {}
        for d in self.ranked:
            self.rank_counts[d["rank"]] = self.rank_counts.get(d["rank"], 0) + 1
        self.departments = {d["name"]: d for d in summary.get("departments", [])}
        self.rejected_by_dept: dict[str, list[dict]] = {}
        for sub in summary.get("submissions", []):
            if sub.get("status") == "rejected" and sub.get("department"):
                self.rejected_by_dept.setdefault(sub["department"], []).append(sub)
        self.gap_rows = [self.gap_row(g, k) for k, g in enumerate(summary.get("gaps", []), 1)]
        self.gaps_by_dept: dict[str, list[dict]] = {}
        for row in self.gap_rows:
            self.gaps_by_dept.setdefault(row["department"], []).append(row)
        self.entries_by_dept: dict[str, list[dict]] = {}
        for e in summary.get("entries", []):
            self.entries_by_dept.setdefault(e.get("department"), []).append(e)
        self.reviews_by_dept: dict[str, list[dict]] = {}
        for r in summary.get("reviews") or []:
            self.reviews_by_dept.setdefault(r.get("department"), []).append(r)
        self.computed_by_dept: dict[str, list[dict]] = {}
        for c in summary.get("computed") or []:
            self.computed_by_dept.setdefault(c.get("department"), []).append(c)
        self.indicators = {i.get("code"): i for i in summary.get("indicators", [])}
        self.common = clean(self._common())

    # -- rows

    def gap_row(self, gap: dict, no: int) -> dict:
        code, name, kind = s(gap.get("indicator")), s(gap.get("indicator_name")), gap.get("kind", "")
        indicator_text = "全部承担指标" if kind in ("未报送", "退回") else f"{code} {name}".strip()
        deadline = s(gap.get("deadline"))
        tracking = gap.get("tracking") or {}
        tracked = "tracking" in gap
        return {
            "no": no, "key": s(gap.get("key")), "kind": kind, "severity": s(gap.get("severity")),
            "department": s(gap.get("department")), "indicator": code, "indicator_name": name,
            "indicator_text": indicator_text, "problem": s(gap.get("problem")), "measure": s(gap.get("measure")),
            "owner": s(gap.get("owner")), "deadline": cn_date(deadline),
            "deadline_passed": _passed(deadline, self.as_of), "status": s(gap.get("status")),
            "score": n(gap.get("score")), "max": n(gap.get("max")), "note": prose(gap.get("note")),
            "description": s(gap.get("problem")) or self._returned_text(gap) or prose(gap.get("note")),
            "state": s(gap.get("state")),
            "tracking": (s(tracking.get("status")) or "未整改") if tracked else "",
            "tracking_note": s(tracking.get("note")), "closed_on": cn_date(tracking.get("closed_on")),
            "verifier": s(tracking.get("verifier")),
        }

    def _returned_text(self, gap: dict) -> str:
        """A 退回 gap in one line: its errors are listed in the department's report and copy."""
        if gap.get("kind") != "退回":
            return ""
        subs = self.rejected_by_dept.get(gap.get("department"), [])
        errors = sum(1 for sub in subs for f in sub.get("findings", []) if f.get("severity") == "error")
        files = "、".join(f"《{s(sub.get('file')).replace(chr(92), '/').rsplit('/', 1)[-1]}》" for sub in subs)
        return (f"报送的{files or '自评表'}未通过审核，已退回" + (f"（{errors}处错误）" if errors else "")
                + "，错误清单见退回件和部门报告")

    def _common(self) -> dict:
        summary, a = self.summary, self.analysis
        unit = summary.get("unit", {})
        gaps = summary.get("gaps", [])
        with_indicators = [d for d in summary.get("departments", []) if d.get("max")]
        history = bool(summary.get("previous_round"))
        progress = ""
        if history:
            new = sum(1 for g in gaps if g.get("state") == "新增")
            progress = (f"与上轮（{summary['previous_round']}）相比，已整改销号{len(summary.get('closed_gaps') or [])}项，"
                        f"持续存在{len(gaps) - new}项，新增{new}项。")
        resubmit = cn_date(summary.get("resubmit_by"))
        self_total = unit.get("self_score")
        return {
            "title": s(summary.get("title")), "organization": s(summary.get("organization")),
            "round": s(summary.get("round")), "as_of": cn_date(summary.get("as_of")),
            "generated_at": s(summary.get("generated_at")), "previous_round": s(summary.get("previous_round")),
            "report_date": cn_date(summary.get("as_of") or summary.get("generated_at")),
            "resubmit_by": resubmit,
            "pass_score": n(summary.get("pass_score")), "bonus_cap": n(summary.get("bonus_cap")),
            "gap_ratio": pct(summary.get("gap_ratio")), "gap_severe_ratio": pct(summary.get("gap_severe_ratio")),
            "unit": {"score": n(unit.get("score")), "max": n(unit.get("max")), "bonus": n(unit.get("bonus")),
                     "total": n(unit.get("total")), "rate": pct(unit.get("rate")), "veto": bool(unit.get("veto")),
                     "passed": bool(unit.get("passed")), "result": "合格" if unit.get("passed") else "不合格",
                     "self_score": n(self_total if self_total is not None else unit.get("score"))},
            "verdict": verdict_sentence(summary) if unit else "",
            "department_count": len(with_indicators), "submitted_count": a["departments"]["accepted"],
            "ranked_count": len(self.ranked), "returned_count": len(a["departments"]["returned"]),
            "missing_count": len(a["departments"]["missing"]),
            "gap_count": len(gaps), "severe_count": a["severe_count"],
            "gaps": self.gap_rows,
            "gaps_text": (f"本轮共查找问题短板{count_text(gaps)}，涉及{len({g.get('department') for g in gaps})}个部门。"
                          if gaps else "本轮未发现问题短板。"),
            "severe_text": self._severe_text(),
            "progress_text": progress,
            "closed_gaps": [self.gap_row(g, k) for k, g in enumerate(summary.get("closed_gaps") or [], 1)],
            "has_state": history, "has_tracking": bool(a["rectification"]["tracked"]),
        }

    def _severe_text(self) -> str:
        summary = self.summary
        return (f"“严重”指：自评得分低于该指标分值的{pct(summary.get('gap_severe_ratio'))}，"
                "或部门未报送、报送的自评表被退回，或发生一票否决事项；"
                f"得分低于分值的{pct(summary.get('gap_ratio'))}但不属严重的，以及整改逾期、佐证材料缺失，为“一般”。")

    def rank_text(self, dept: dict) -> str:
        rank = dept.get("rank")
        if rank is None or self.states.get(dept["name"], an.ACCEPTED) != an.ACCEPTED:
            return "不参与排名"
        return f"第{rank}名{'（并列）' if self.rank_counts.get(rank, 0) > 1 else ''}"


# ---------------------------------------------------------------- public entry point

def build_context(template: str, summary: dict, tpl=None, department: str | None = None, *,
                  chart_font=None, shared: Shared | None = None, summary_part=None) -> dict:
    """The context of one template. shared: the Shared of this summary when rendering many
    documents (built here otherwise). summary_part: a callable(shared, tpl, chart_font) giving the
    summary report's own part (reports.py adds the charts)."""
    from .reports import DEPARTMENT_TEMPLATE, GAPLIST_TEMPLATE, SUMMARY_TEMPLATE
    shared = shared or Shared(summary)
    context = dict(shared.common)
    if template == SUMMARY_TEMPLATE:
        context.update((summary_part or summary_context)(shared, tpl, chart_font))
    elif template == DEPARTMENT_TEMPLATE:
        context["dept"] = clean(department_context(shared, department))
    elif template == GAPLIST_TEMPLATE:
        context["gap_groups"] = gap_groups(shared)
    else:
        raise ValueError(f"unknown template {template!r}")
    return context


# ---------------------------------------------------------------- 汇总报告

def summary_context(shared: Shared, tpl=None, chart_font=None) -> dict:
    summary, a = shared.summary, shared.analysis
    unit = summary.get("unit", {})
    gaps = summary.get("gaps", [])
    occurred = [v for v in summary.get("vetoes", []) if v.get("occurred")]
    bonuses = summary.get("bonuses", [])
    gap_rows = shared.gap_rows
    top = [gap_rows[w["index"]] for w in an._worst_gaps(gaps, TOP_GAPS)]
    top = [dict(g, no=k) for k, g in enumerate(top, 1)]
    if not gaps:
        top_text = "本轮未发现问题短板。"
    elif len(gaps) > TOP_GAPS:
        top_text = (f"本轮共查找问题短板{count_text(gaps)}，下表按严重程度和失分多少列出前{TOP_GAPS}项，"
                    "完整清单见《问题清单》。")
    else:
        top_text = f"本轮共查找问题短板{count_text(gaps)}，按严重程度和失分多少列示如下，详见《问题清单》。"
    returned, missing = a["departments"]["returned"], a["departments"]["missing"]
    with_indicators = len(shared.states)
    overview = (f"本轮共有{with_indicators}个部门承担测评任务，报送自评表并通过审核{a['departments']['accepted']}个"
                + (f"，报送后被退回{len(returned)}个" if returned else "")
                + (f"，未报送{len(missing)}个" if missing else "")
                + f"；共查找问题短板{count_text(gaps) if gaps else '0项'}。")
    ranked = shared.ranked
    part = {
        "overview": overview,
        "items": [{"no": k, "code": s(i.get("code")), "name": s(i.get("name")), "score": n(i.get("score")),
                   "max": n(i.get("max")), "rate": pct(i.get("rate")),
                   "lost": n(round(float(i.get("max") or 0) - float(i.get("score") or 0), 2))}
                  for k, i in enumerate(summary.get("items", []), 1)],
        "ranking": [_rank_row(shared, k, d) for k, d in enumerate(ranked, 1)],
        "unranked": [_unranked_row(shared, k, name) for k, name in enumerate(returned + missing, 1)],
        "top_departments": [_rank_row(shared, k, d) for k, d in enumerate(ranked[:TOP_DEPARTMENTS], 1)],
        "bottom_departments": ([_rank_row(shared, k, d) for k, d in
                                enumerate(ranked[-TOP_DEPARTMENTS:], len(ranked) - TOP_DEPARTMENTS + 1)]
                               if len(ranked) > 2 * TOP_DEPARTMENTS else []),
        "ranking_text": _ranking_text(shared),
        "top_gaps": top, "top_gaps_text": top_text,
        "unsubmitted": list(missing), "returned": list(returned),
        "unsubmitted_text": _unsubmitted_text(shared),
        "vetoes": [{"code": s(v.get("code")), "name": s(v.get("name")), "occurred": bool(v.get("occurred")),
                    "occurred_text": "发生" if v.get("occurred") else "未发生",
                    "departments": "、".join(v.get("departments") or []), "notes": "；".join(v.get("notes") or [])}
                   for v in summary.get("vetoes", [])],
        "vetoes_occurred": [{"code": s(v.get("code")), "name": s(v.get("name")),
                             "departments": "、".join(v.get("departments") or []) or "—",
                             "notes": "；".join(v.get("notes") or []) or "无"} for v in occurred],
        "vetoes_text": (f"本轮发生一票否决事项{len(occurred)}项，按规定本轮测评不能通过，须立即查明情况、严肃处理："
                        if occurred else "本轮各部门均未报告一票否决事项。"),
        "bonuses": [{"no": k, "department": s(b.get("department")), "project": s(b.get("project")),
                     "points": n(b.get("points")), "description": s(b.get("description")),
                     "evidence": s(b.get("evidence"))} for k, b in enumerate(bonuses, 1)],
        "bonus_text": (f"各部门共申报特色加分{len(bonuses)}项，计入总分的特色加分为{n(unit.get('bonus'))}分"
                       f"（上限{n(summary.get('bonus_cap'))}分）。" if bonuses else "本轮没有部门申报特色加分。"),
        "chart_note": "", "chart_items": "", "chart_departments": "",
        "chart_departments_caption": "各部门自评得分率",
    }
    part.update(_analysis_texts(shared))
    part.update(_review_part(shared))
    part.update(_rectification_part(shared))
    part["computed_lines"] = _computed_lines(shared)
    part["actions"] = _actions(shared)
    return clean(part)


def _rank_row(shared: Shared, k: int, d: dict) -> dict:
    return {"no": k, "rank": s(d.get("rank")) or "—", "name": d["name"], "score": n(d.get("score")),
            "max": n(d.get("max")), "rate": pct(d.get("rate")) if d.get("max") else "—",
            "submitted": True, "submitted_text": "已报送", "gap_count": n(d.get("gap_count")),
            "self_score": n(d.get("self_score", d.get("score")))}


def _unranked_row(shared: Shared, k: int, name: str) -> dict:
    state = shared.states.get(name, an.MISSING)
    subs = shared.rejected_by_dept.get(name, [])
    errors = sum(1 for sub in subs for f in sub.get("findings", []) if f.get("severity") == "error")
    if state == an.RETURNED:
        reason = f"报送的自评表存在{errors}处错误，已退回" if errors else "报送的自评表未通过审核，已退回"
    else:
        reason = "本轮未报送自评表"
    dept = shared.departments.get(name, {})
    return {"no": k, "name": name, "state": state, "state_text": STATE_TEXT.get(state, ""), "reason": reason,
            "head": s(dept.get("head")), "max": n(dept.get("max")), "resubmit_by": cn_date(shared.summary.get("resubmit_by"))}


def _ranking_text(shared: Shared) -> str:
    a, ranked = shared.analysis, shared.ranked
    if not ranked:
        return "本轮没有部门参与排名。"
    text = f"参与排名的{len(ranked)}个部门中，得分率最高的是{ranked[0]['name']}（{pct(ranked[0].get('rate'))}）"
    if len(ranked) > 1:
        text += f"，最低的是{ranked[-1]['name']}（{pct(ranked[-1].get('rate'))}）"
    text += "。"
    absent = a["departments"]["returned"] + a["departments"]["missing"]
    if absent:
        text += f"退回和未报送的{len(absent)}个部门不参与排名，单独列示。"
    if len(ranked) > 2 * TOP_DEPARTMENTS:
        text += f"前{TOP_DEPARTMENTS}名和后{TOP_DEPARTMENTS}名见下表，完整排名见附件。"
    else:
        text += "完整排名见附件。"
    return text


def _unsubmitted_text(shared: Shared) -> str:
    a = shared.analysis
    returned, missing = a["departments"]["returned"], a["departments"]["missing"]
    resubmit = cn_date(shared.summary.get("resubmit_by"))
    by = f"{resubmit}前" if resubmit else "尽快"
    parts = []
    if returned:
        parts.append(f"{len(returned)}个部门报送的自评表因存在错误被退回：{names_text(returned, 20)}，"
                     "错误清单已随退回件和部门报告反馈")
    if missing:
        parts.append(f"{len(missing)}个部门本轮未报送自评表：{names_text(missing, 20)}")
    if not parts:
        return "各部门均已按时报送自评表。"
    return "；".join(parts) + f"。上述部门承担的指标暂按0分计算，不参与排名，须于{by}重新报送。"


def _analysis_texts(shared: Shared) -> dict:
    a, summary = shared.analysis, shared.summary
    if a["veto"]:
        shortfall = "因发生一票否决事项，无论总分多少，本轮测评均不能通过。"
        if a["shortfall"] > 0:
            shortfall += f"即便不计否决事项，总分距合格线也还差{n(a['shortfall'])}分。"
    elif a["passed"]:
        shortfall = f"总分高出合格线{n(a['surplus'])}分，但仍失分{n(a['lost'])}分，须巩固提升。"
    else:
        shortfall = f"总分距合格线{n(a['pass_score'])}分还差{n(a['shortfall'])}分。"
    items = a["items"][:3]
    loss = ""
    if a["lost"] > 0 and items:
        loss = (f"基础分共失分{n(a['lost'])}分，失分最多的测评项目是"
                + "、".join(f"“{i['code']} {i['name']}”（失{n(i['lost'])}分，占{pct(i['share'])}）" for i in items))
        inds = a["indicators"][:3]
        if inds:
            loss += "；失分最多的指标是" + "、".join(f"“{i['code']} {i['name']}”（失{n(i['lost'])}分）" for i in inds)
        loss += "。"
    absent = a["lost_missing"] + a["lost_returned"]
    source = ""
    if a["lost"] > 0:
        if absent > 0:
            parts = []
            if a["lost_returned"] > 0:
                parts.append(f"自评表被退回的部门失分{n(a['lost_returned'])}分")
            if a["lost_missing"] > 0:
                parts.append(f"未报送的部门失分{n(a['lost_missing'])}分")
            source = (f"从失分来源看，{'、'.join(parts)}，合计占失分的{pct(absent / a['lost'])}；"
                      f"已报送部门自评得分偏低失分{n(a['lost_low'])}分。")
            if a["passes_if_submitted"]:
                source += (f"如上述部门按时报送且得分与已报送部门相当，总分可达{n(a['total_if_submitted'])}分，"
                           "可以达到合格线，督促报送是当前第一位的工作。")
            elif not a["veto"]:
                source += (f"即使上述部门按时报送且得分与已报送部门相当，总分也只有{n(a['total_if_submitted'])}分，"
                           "仍须抓紧整改低分指标。")
        else:
            source = f"失分全部来自已报送部门自评得分偏低（{n(a['lost_low'])}分）。"
    return {"shortfall_text": shortfall, "loss_text": loss, "source_text": source,
            "losing_items": [{"no": k, "code": s(i["code"]), "name": s(i["name"]), "lost": n(i["lost"]),
                              "share": pct(i["share"])} for k, i in enumerate(a["items"], 1)],
            "losing_indicators": [{"no": k, "code": s(i["code"]), "name": s(i["name"]), "max": n(i["max"]),
                                   "score": n(i["score"]), "lost": n(i["lost"]),
                                   "lost_absent": n(i["lost_missing"] + i["lost_returned"]),
                                   "lost_low": n(i["lost_low"])} for k, i in enumerate(a["indicators"], 1)]}


def _review_part(shared: Shared) -> dict:
    review = shared.analysis.get("review")
    if not review or not review["count"]:
        return {"has_review": False, "review_text": "本轮创建办尚未核定各部门自评得分，以上均为自评得分。",
                "review_rows": []}
    text = (f"创建办对{review['count']}项自评得分进行了核定，核减{review['lowered']}项、"
            f"共核减{n(review['lowered_points'])}分" + (f"，核增{review['raised']}项" if review["raised"] else "")
            + f"。自评总分{n(review['self_total'])}分，核定后总分{n(review['total'])}分。")
    rows = [{"no": k, "department": s(r["department"]), "indicator": s(r["indicator"]),
             "indicator_name": s(shared.indicators.get(r["indicator"], {}).get("name")),
             "self_score": n(r["self_score"]), "score": n(r["score"]), "delta": n(r["delta"]),
             "reason": s(r["reason"])} for k, r in enumerate(review["largest"], 1)]
    return {"has_review": True, "review_text": text, "review_rows": rows}


def _rectification_part(shared: Shared) -> dict:
    r = shared.analysis["rectification"]
    if not r["total"] and not r["closed_since_last"]:
        return {"has_tracking_rows": False, "rectification_text": "本轮没有需要整改的问题。", "tracking_rows": [],
                "overdue_rows": []}
    counts = r["by_state"]
    text = (f"问题清单共{r['total']}项，其中" + "、".join(f"{k}{v}项" for k, v in counts.items())
            + (f"；已超过完成时限仍未销号的{r['overdue_count']}项" if r["overdue_count"] else "")
            + (f"；上轮问题本轮已整改销号{r['closed_since_last']}项（" + "、".join(
                f"{c['department']}{('“' + c['indicator'] + '”') if c['indicator'] else ''}{c['kind']}"
                for c in r["closed"]) + ("等" if r["closed_since_last"] > len(r["closed"]) else "") + "）"
               if r["closed_since_last"] else "") + "。")
    overdue = [dict(shared.gap_rows[k], no=j) for j, k in enumerate(r["overdue"], 1)]
    if r["overdue_count"] > len(overdue):
        text += f"下表列出超过完成时限的前{len(overdue)}项，完整情况见《问题清单》。"
    return {"has_tracking_rows": True, "rectification_text": text, "overdue_rows": overdue,
            "tracking_rows": [{"state": k, "count": str(v)} for k, v in counts.items()]}


def computed_basis(record: dict, indicator: dict) -> str:
    """How one computed score came about, e.g. 42人中38人达到8,000分（占90.5%），得4.5分。"""
    spec = indicator.get("computed") or {}
    method = record.get("method") or spec.get("method") or "share"
    target = record.get("target", spec.get("target"))
    rows, meeting, value = record.get("rows") or 0, record.get("meeting") or 0, record.get("value")
    if not rows:
        return "平台数据中没有本部门人员的记录，按0分计"
    if method == "share":
        text = f"{rows}人中{meeting}人达到{big(target)}分" if target is not None else f"{rows}人中{meeting}人达标"
        if isinstance(value, (int, float)):
            text += f"（占{pct(value)}）"
    elif method == "mean":
        text = f"{rows}人，人均{big(value)}分" + (f"（目标{big(target)}分）" if target is not None else "")
    else:
        text = f"{rows}条记录，合计{big(value)}" + (f"（目标{big(target)}）" if target is not None else "")
    return text + f"，得{n(record.get('score'))}分"


def _below(record: dict) -> str:
    """People below target, when the summary lists them (field name not fixed yet: try the likely ones)."""
    people = next((record[k] for k in ("below", "below_target", "people_below", "missing_people") if record.get(k)), [])
    shown = []
    for p in people[:30]:
        if isinstance(p, dict):
            name = s(p.get("name") or p.get("姓名"))
            value = p.get("value")
            shown.append(f"{name}（{big(value)}分）" if isinstance(value, (int, float)) else name)
        else:
            shown.append(s(p))
    more = f"等{len(people)}人" if len(people) > 30 else ""
    return "、".join(shown) + more


def _computed_lines(shared: Shared) -> list[dict]:
    rows = []
    for c in shared.analysis.get("computed") or []:
        ind = shared.indicators.get(c["indicator"], {})
        rows.append({"text": f"“{c['indicator']} {s(ind.get('name'))}”由平台数据计算：{c['departments']}个部门"
                             f"共{c['rows']}人，其中{c['meeting']}人达标。"})
    return rows


def _actions(shared: Shared) -> list[dict]:
    """下一步工作: each action as a sentence with owner and date (data from analysis.actions)."""
    summary = shared.summary
    resubmit = cn_date(summary.get("resubmit_by"))
    gaps = shared.gap_rows
    out = []
    for act in shared.analysis["actions"]:
        depts, owner, kind = act["departments"], act.get("owner") or "", act["kind"]
        date = cn_date(act.get("deadline"))
        if kind == "resubmit":
            text = (f"督促{names_text(depts)}按退回件标注的错误逐项修改自评表，{date or '尽快'}{'前' if date else ''}"
                    "重新报送")
            owner = owner or "各相关部门负责人"
        elif kind == "submit":
            text = f"督促{names_text(depts)}报送本轮自评表，{date + '前' if date else '尽快'}报送创建办"
            owner = owner or "各相关部门负责人"
        elif kind == "veto":
            text = f"对发生的一票否决事项（{'、'.join(act.get('codes') or [])}）立即查明情况、严肃处理，向局党组专题报告"
            owner = owner or "相关部门主要负责人"
            date = date or "立即"
        elif kind == "rectify":
            g = act["gap"]
            row = gaps[g["index"]]
            text = f"整改{row['department']}“{row['indicator_text']}”（自评{row['score']}分，满分{row['max']}分）"
            if row["deadline_passed"]:
                text += f"，原定完成时限{row['deadline']}已过，须重新明确完成时间"
                date = resubmit
            owner = owner or "部门负责人"
        elif kind == "rectify_rest":
            text = f"其余{act['count']}项严重低分问题由{names_text(depts)}按问题清单所列措施逐项整改"
            owner, date = "各相关部门负责人", "按问题清单所列时限"
        elif kind == "overdue":
            text = f"{act['count']}项问题已超过完成时限仍未整改到位，由{names_text(depts)}说明原因并重新明确完成时间"
            owner = owner or "各相关部门负责人"
        elif kind == "verify":
            text = "汇总重新报送的自评表和各部门整改情况，逐项核验、整改销号，下一轮测评时通报进展"
            if act.get("count"):
                text = f"对待核验的{act['count']}项问题逐项核验销号；" + text
            owner = owner or "创建办"
        else:
            continue
        out.append({"no": len(out) + 1, "text": text, "owner": owner, "deadline": date or "尽快",
                    "sentence": f"{text}。责任人：{owner}；完成时间：{date or '尽快'}。"})
    if not out:
        out.append({"no": 1, "text": "巩固创建成果，做好佐证材料的日常收集和归档", "owner": "创建办",
                    "deadline": "长期坚持", "sentence": "巩固创建成果，做好佐证材料的日常收集和归档。责任人：创建办；完成时间：长期坚持。"})
    return out


# ---------------------------------------------------------------- 部门报告

def department_context(shared: Shared, name: str) -> dict:
    dept = shared.departments.get(name)
    if dept is None:
        raise ValueError(f"department {name!r} is not in the summary")
    summary = shared.summary
    state = shared.states.get(name, an.ACCEPTED if dept.get("submitted") else an.MISSING)
    entries = shared.entries_by_dept.get(name, [])
    mine = [dict(g, no=k) for k, g in enumerate(shared.gaps_by_dept.get(name, []), 1)]
    rejected = shared.rejected_by_dept.get(name, [])
    returned_files = [sub["returned"] for sub in rejected if sub.get("returned")]
    errors = [{"file": s(sub.get("file")).replace("\\", "/").rsplit("/", 1)[-1], "sheet": s(f.get("sheet")) or "—",
               "cell": s(f.get("cell")) or "—", "message": s(f.get("message"))}
              for sub in rejected for f in sub.get("findings", []) if f.get("severity") == "error"]
    if len({e["file"] for e in errors}) == 1:
        errors = [dict(e, file="") for e in errors]        # one file: named above, column dropped
    errors = [dict(e, no=k) for k, e in enumerate(errors, 1)]
    reviews = {r.get("indicator"): r for r in shared.reviews_by_dept.get(name, [])}
    computed = {c.get("indicator"): c for c in shared.computed_by_dept.get(name, [])}
    resubmit = cn_date(summary.get("resubmit_by"))
    by = f"于{resubmit}前" if resubmit else "尽快"
    n_ranked = len(shared.ranked)
    rank_text = shared.rank_text(dept)
    ind = f"本部门承担测评指标{len(entries)}项，分值合计{n(dept.get('max'))}分"
    self_score = dept.get("self_score", dept.get("score"))
    if not dept.get("max"):
        overview = "本部门本轮未承担测评指标，无需报送自评表。"
    elif state == an.ACCEPTED:
        who = "、".join(x for x in (s(dept.get("filler")), cn_date(dept.get("fill_date"))) if x)
        if reviews and self_score is not None and self_score != dept.get("score"):
            scored = f"自评得分{n(self_score)}分，经创建办核定为{n(dept.get('score'))}分"
        else:
            scored = f"自评得分{n(dept.get('score'))}分"
        overview = (f"{ind}，{scored}，得分率{pct(dept.get('rate'))}，在{n_ranked}个参与排名的部门中{rank_text}。"
                    + (f"（自评表填报：{who}）" if who else ""))
    elif state == an.RETURNED:
        files = "、".join(dict.fromkeys(s(sub.get("file")).replace("\\", "/").rsplit("/", 1)[-1]
                                        for sub in rejected)) or "自评表"
        overview = (f"本部门本轮报送了自评表（{files}），经审核存在{len(errors)}处错误，已退回"
                    + (f"（退回件：{'；'.join(returned_files)}）" if returned_files else "")
                    + f"。{ind}，在重新报送并通过审核前均暂按0分计算，本轮不参与排名。"
                    f"请对照下表逐项修改，{by}重新报送创建办。")
    else:
        overview = (f"本部门本轮未报送自评表。{ind}，均暂按0分计算，本轮不参与排名。"
                    f"请{by}按创建办下发的模板填报并报送。")
    if not dept.get("max"):
        gaps_text = "本部门本轮未承担测评指标，没有问题短板。"
    elif mine:
        gaps_text = f"本部门本轮存在问题短板{count_text(mine)}，每项的问题、措施、责任人和完成时限如下表："
    else:
        gaps_text = "本部门承担的指标均已达标，本轮未发现问题短板。"
    submitted = state == an.ACCEPTED
    entry_rows = []
    for k, e in enumerate(entries, 1):
        code = s(e.get("indicator"))
        review, comp = reviews.get(code), computed.get(code)
        entry_rows.append({
            "no": k, "code": code, "name": s(e.get("name")), "item": s(e.get("item")),
            "item_name": s(e.get("item_name")), "max": n(e.get("max")),
            "self_score": n(e.get("self_score", e.get("score"))) if submitted else "",
            "score": n(e.get("score")), "verified": n(review.get("score")) if review else "",
            "reason": s(review.get("reason")) if review else "",
            "status": (s(e.get("status")) if e.get("submitted", submitted) else STATE_TEXT.get(state, "未报送"))
            if not comp else "平台计算",
            "evidence": s(e.get("evidence")), "problem": s(e.get("problem")), "measure": s(e.get("measure")),
            "owner": s(e.get("owner")), "deadline": cn_date(e.get("deadline"))})
    review_rows = [{"no": k, "code": code, "name": s(shared.indicators.get(code, {}).get("name")),
                    "self_score": n(r.get("self_score")), "score": n(r.get("score")), "reason": s(r.get("reason")),
                    "reviewer": s(r.get("reviewer")), "date": cn_date(r.get("date"))}
                   for k, (code, r) in enumerate(reviews.items(), 1)]
    computed_rows = [{"code": code, "name": s(shared.indicators.get(code, {}).get("name")),
                      "basis": computed_basis(c, shared.indicators.get(code, {})), "below": _below(c)}
                     for code, c in computed.items()]
    return {
        "name": dept["name"], "head": s(dept.get("head")), "state": state, "state_text": STATE_TEXT.get(state, ""),
        "submitted": submitted, "returned_state": state == an.RETURNED, "missing": state == an.MISSING,
        "submitted_text": STATE_TEXT.get(state, "") if dept.get("max") else "无承担指标",
        "score": n(dept.get("score")), "self_score": n(self_score), "max": n(dept.get("max")),
        "rate": pct(dept.get("rate")), "rank": s(dept.get("rank")) if submitted else "—", "rank_text": rank_text,
        "ranked_count": n_ranked, "fill_date": cn_date(dept.get("fill_date")), "filler": s(dept.get("filler")),
        "phone": s(dept.get("phone")), "file": s(dept.get("file")), "returned": "；".join(returned_files),
        "errors": errors, "errors_text": (f"退回的自评表共有{len(errors)}处错误，须逐项修改："
                                          if errors else ""),
        "resubmit_by": resubmit,
        "indicator_count": len(entries), "gap_count": len(mine), "overview": overview,
        "entries": entry_rows, "gaps": mine, "gaps_text": gaps_text,
        "has_review": bool(review_rows), "reviews": review_rows,
        "review_text": (f"创建办核定了本部门{len(review_rows)}项指标的得分，核定情况和理由如下："
                        if review_rows else ""),
        "computed": computed_rows,
        "next_steps": [{"no": k, "text": t} for k, t in
                       enumerate(_next_steps(shared, dept, state, entries, mine, errors, resubmit), 1)],
        "closing": _closing(state, dept, mine, resubmit),
    }


def _next_steps(shared, dept, state, entries, gaps, errors, resubmit) -> list[str]:
    """What the department does next; each gap is in the table above, so it is counted, not repeated."""
    if not dept.get("max"):
        return ["本部门本轮未承担测评指标。请继续配合做好创建工作，积极参加全员性创建活动。"]
    by = f"于{resubmit}前" if resubmit else "尽快"
    owner = s(dept.get("head")) or "部门负责人"
    steps = []
    if state == an.RETURNED:
        steps.append(f"按上表所列{len(errors)}处错误（退回件中已标红并加批注）逐项修改自评表，"
                     f"经{owner}审核后{by}重新报送创建办。")
    elif state == an.MISSING:
        steps.append(f"按创建办下发的自评表模板填报本部门承担的{len(entries)}项指标，逐项填写自评得分和佐证材料，"
                     f"得分未达满分的写明存在问题、整改措施、责任人和完成时限，经{owner}审核后{by}报送创建办。")
    vetoes = [g for g in gaps if g["kind"] == "一票否决"]
    for g in vetoes:
        steps.append(f"针对一票否决事项“{g['indicator_text']}”，立即向局党组专题报告，配合做好调查处置，并制定防范措施。")
    rectify = [g for g in gaps if g["kind"] in ("低分", "佐证缺失", "逾期")]
    if rectify:
        severe = sum(1 for g in rectify if g["severity"] == "严重")
        passed = [g for g in rectify if g["deadline_passed"]]
        text = (f"对照问题短板表所列{len(rectify)}项问题" + (f"（其中严重{severe}项，须优先整改）" if severe else "")
                + "，按表中措施、责任人和完成时限逐项整改")
        if passed:
            text += (f"；其中{len(passed)}项的完成时限已过，请{owner}说明原因，{by}重新明确完成时间报创建办")
        steps.append(text + "。")
        steps.append("每项整改完成后，在问题清单中填写整改情况，报创建办核验销号。")
    if not steps:
        steps.append("本部门承担的指标均已达标。请继续保持，做好佐证材料的日常收集和归档，巩固创建成果。")
    return steps


def _closing(state, dept, gaps, resubmit) -> str:
    if not dept.get("max"):
        return "特此通知。"
    by = f"{resubmit}前" if resubmit else "尽快"
    if state != an.ACCEPTED:
        return f"请于{by}完成报送。特此通知。" if resubmit else "请尽快完成报送。特此通知。"
    return "请抓紧推进整改，整改情况及时报创建办。特此通知。" if gaps else "特此通知。"


# ---------------------------------------------------------------- 问题清单 (Word)

def gap_groups(shared: Shared) -> list[dict]:
    order = {d.get("name"): k for k, d in enumerate(shared.summary.get("departments", []))}
    groups = shared.gaps_by_dept
    result = []
    for k, name in enumerate(sorted(groups, key=lambda x: (order.get(x, len(order)), x)), 1):
        rows = [dict(g, no=j) for j, g in enumerate(groups[name], 1)]
        result.append({"no": k, "department": name, "count": len(rows), "heading": f"{cn(k)}、{name}（{len(rows)}项）",
                       "summary": f"共{count_text(rows)}。", "gaps": rows})
    return clean(result)
