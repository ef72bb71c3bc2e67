"""The 汇总报告 context: verdict, loss analysis, ranking, gaps, 核定, 整改, next steps (wording here,
figures from the summary and analysis.py)."""
from __future__ import annotations

from ..scoring import analysis as an
from .context import (STATE_TEXT, bonus_claims_text, pending_basis, TOP_DEPARTMENTS, TOP_GAPS, Shared, clean,
                      cn, cn_date, count_text, n, names_text, pct, quote, s, title_lines)



def summary_context(shared: Shared, tpl=None, chart_font=None) -> dict:
    summary, a = shared.summary, shared.analysis
    unit = summary.get("unit", {})
    gaps = summary.get("gaps", [])
    occurred = [v for v in summary.get("vetoes", []) if v.get("occurred")]
    bonuses = summary.get("bonuses", [])
    problems = shared.problems
    # The worst gaps, each shown as its problem (a problem once, however many of its gaps rank).
    order = list(dict.fromkeys(shared.problem_of[w["index"]] for w in an._worst_gaps(gaps, len(gaps))))
    top = [dict(problems[j], no=k) for k, j in enumerate(order[:TOP_GAPS], 1)]
    if not gaps:
        top_text = "本轮未发现问题短板。"
    elif len(problems) > TOP_GAPS:
        top_text = (f"本轮共查找问题短板{count_text(problems)}，下表按严重程度和失分多少列出前{TOP_GAPS}项，"
                    "完整清单见《问题清单》。")
    else:
        top_text = f"本轮共查找问题短板{count_text(problems)}，按严重程度和失分多少列示如下，详见《问题清单》。"
    returned, missing = a["departments"]["returned"], a["departments"]["missing"]
    with_indicators = len(shared.states)
    overview = (f"本轮共有{with_indicators}个部门承担测评任务，报送自评表并通过审核{a['departments']['accepted']}个"
                + (f"，报送后被退回{len(returned)}个" if returned else "")
                + (f"，未报送{len(missing)}个" if missing else "")
                + f"；共查找问题短板{count_text(problems) if gaps else '0项'}。")
    ranked = shared.ranked
    part = {
        "overview": overview,
        "items": [{"no": k, "code": s(i.get("code")), "name": s(i.get("name")), "score": n(i.get("score")),
                   "max": n(i.get("max")), "rate": pct(i.get("rate")),
                   "lost": n(round(float(i.get("max") or 0) - float(i.get("score") or 0), 2))}
                  for k, i in enumerate(summary.get("items", []), 1)],
        "ranking": [_rank_row(shared, k, d) for k, d in enumerate(ranked, 1)],
        "unranked": [_unranked_row(shared, k, name) for k, name in enumerate(returned + missing, 1)],
        "items_total": {"name": "合计", "score": n(unit.get("score")), "max": n(unit.get("max")),
                        "lost": n(float(unit.get("max") or 0) - float(unit.get("score") or 0)),
                        "rate": pct(unit.get("rate"))},
        "title_text": title_lines(["关于", s(summary.get("round")), s(summary.get("title")), "情况的报告"]),
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
                       f"（上限{n(summary.get('bonus_cap'))}分）。" if bonuses else "本轮没有部门申报特色加分。")
        + _returned_claims(shared),
        "chart_note": "", "chart_items": "", "chart_departments": "",
        "chart_departments_caption": "各部门自评得分率",
    }
    skipped = len(ranked) - 2 * TOP_DEPARTMENTS
    part["top_bottom"] = part["top_departments"] + (
        [{"no": "", "rank": "……", "name": f"（第{TOP_DEPARTMENTS + 1}至{len(ranked) - TOP_DEPARTMENTS}名共{skipped}个部门略，"
                                          "见附件）" if skipped > 1 else f"（第{TOP_DEPARTMENTS + 1}名略，见附件）",
          "score": "", "max": "", "rate": "", "gap_count": "", "self_score": ""}]
        if part["bottom_departments"] and skipped > 0 else []) + part["bottom_departments"]
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
    computed = _computed_codes(shared, returned + missing)
    scored = (f"上述部门承担的指标中，{'、'.join(computed)}按平台数据计分，其余指标暂按0分计算"
              if computed else "上述部门承担的指标暂按0分计算")
    return "；".join(parts) + f"。{scored}，不参与排名，须于{by}报送。"


def _returned_claims(shared: Shared) -> str:
    """The 特色加分 that returned departments claimed: not counted, but not silently gone."""
    parts = []
    for name in shared.analysis["departments"]["returned"]:
        claims = [b for sub in shared.rejected_by_dept.get(name, []) for b in sub.get("bonus_claims") or []]
        if claims:
            parts.append(f"{name}申报的{len(claims)}项{bonus_claims_text(claims)}")
    return ("另有" + "；".join(parts) + "，因自评表被退回暂未计入，重新报送并通过审核后计入。") if parts else ""


def _computed_codes(shared: Shared, names: list[str]) -> list[str]:
    """Codes of computed indicators (scored from data, not from a self-score) among the entries of
    these departments, quoted with their names."""
    names = set(names)
    codes = {c.get("indicator") for c in shared.summary.get("computed") or [] if c.get("department") in names}
    return [quote(f"{code} {s(shared.indicators.get(code, {}).get('name'))}") for code in
            (i.get("code") for i in shared.summary.get("indicators", [])) if code in codes]


def _analysis_texts(shared: Shared) -> dict:
    a, summary = shared.analysis, shared.summary
    if a["veto"]:
        shortfall = "因发生一票否决事项，无论总分多少，本轮测评均不能通过。"
        if a["shortfall"] > 0:
            shortfall += f"即便不计否决事项，总分距合格线也还差{n(a['shortfall'])}分。"
    elif a["passed"]:
        shortfall = f"总分高出合格线{n(a['surplus'])}分，但仍失分{n(a['lost'])}分，须巩固提升。"
    else:
        shortfall = ""          # the verdict just before it already says how far below the line
    items = a["items"][:3]
    loss = ""
    if a["lost"] > 0 and items:
        loss = (f"基础分共失分{n(a['lost'])}分，失分最多的测评项目是"
                + "、".join(f"{quote(i['code'] + ' ' + i['name'])}（失{n(i['lost'])}分，占{pct(i['share'])}）" for i in items))
        inds = a["indicators"][:3]
        if inds:
            loss += "；失分最多的指标是" + "、".join(f"{quote(i['code'] + ' ' + i['name'])}（失{n(i['lost'])}分）" for i in inds)
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
    text = (f"问题清单.xlsx共{r['total']}条，其中" + "、".join(f"{k}{v}条" for k, v in counts.items())
            + (f"；已超过完成时限仍未销号的问题{r['overdue_count']}项" if r["overdue_count"] else "")
            + (f"；上轮问题本轮已整改销号{r['closed_since_last']}项（" + "、".join(
                f"{c['department']}{('“' + c['indicator'] + '”') if c['indicator'] else ''}{c['kind']}"
                for c in r["closed"]) + ("等" if r["closed_since_last"] > len(r["closed"]) else "") + "）"
               if r["closed_since_last"] else "") + "。")
    overdue = [dict(shared.problems[shared.problem_of[k]], no=j) for j, k in enumerate(r["overdue"], 1)]
    if r["overdue_count"] > len(overdue):
        text += f"下表列出超过完成时限的前{len(overdue)}项，完整情况见《问题清单》。"
    return {"has_tracking_rows": True, "rectification_text": text, "overdue_rows": overdue,
            "tracking_rows": [{"state": k, "count": str(v)} for k, v in counts.items()]}


def _computed_lines(shared: Shared) -> list[dict]:
    rows = []
    for c in shared.analysis.get("computed") or []:
        ind = shared.indicators.get(c["indicator"], {})
        rows.append({"text": f"{quote(c['indicator'] + ' ' + s(ind.get('name')))}由平台数据计算：{c['departments']}个部门"
                             f"共{c['rows']}人，其中{c['meeting']}人达标。"})
    for code, ind in shared.indicators.items():
        if (ind.get("computed") or {}).get("missing"):
            rows.append({"text": f"“{code} {s(ind.get('name'))}”{pending_basis(ind)}"})
    return rows


def _actions(shared: Shared) -> list[dict]:
    """下一步工作: each action as a sentence with owner and date (data from analysis.actions)."""
    summary = shared.summary
    resubmit = cn_date(summary.get("resubmit_by"))
    gaps = shared.gap_rows
    escalated = (summary.get("followup") or {}).get("escalated") or []
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
            text = f"整改{row['department']}{quote(row['indicator_text'])}（自评{row['score']}分，满分{row['max']}分）"
            if row["deadline_passed"]:
                text += f"，原定完成时限{row['deadline']}已过，须重新明确完成时间"
                date = resubmit
            owner = owner or "部门负责人"
        elif kind == "rectify_rest":
            text = f"其余{act['count']}项严重低分问题由{names_text(depts)}按问题清单所列措施逐项整改"
            owner, date = "各相关部门负责人", "按问题清单所列时限"
        elif kind == "overdue":
            text = (f"{act['count']}项问题已超过完成时限仍未整改到位（红灯），由{names_text(depts)}说明原因并重新明确"
                    "完成时间")
            owner = owner or "各相关部门负责人"
        elif kind == "verify":
            text = "汇总重新报送的自评表和各部门整改情况，逐项核验、整改销号，下一轮测评时通报进展"
            if act.get("count"):
                text = f"对待核验的{act['count']}项问题逐项核验销号；" + text
            owner = owner or "创建办"
        else:
            continue
        told = [d for d in escalated if d in depts] if kind in ("resubmit", "submit", "overdue") else []
        if told:                    # §14: who has been told above the department
            text += f"；对{names_text(told)}已发督办通知，抄送部门负责人和分管领导"
        out.append({"no": len(out) + 1, "no_cn": cn(len(out) + 1), "text": text, "owner": owner, "deadline": date or "尽快",
                    "sentence": f"{text}。责任人：{owner}；完成时间：{date or '尽快'}。"})
    if not out:
        out.append({"no": 1, "no_cn": cn(1), "text": "巩固创建成果，做好佐证材料的日常收集和归档", "owner": "创建办",
                    "deadline": "长期坚持", "sentence": "巩固创建成果，做好佐证材料的日常收集和归档。责任人：创建办；完成时间：长期坚持。"})
    return out
