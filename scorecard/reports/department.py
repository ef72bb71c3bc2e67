"""A 部门报告 context: its submission (and a returned file's errors), scores, 核定, computed bases,
gaps with their tracking state, next steps and closing; it reads only the department's own rows."""
from __future__ import annotations

from ..scoring import analysis as an
from .context import (DEFAULTS_NOTE, PENDING_TEXT, pending_basis, bonus_claims_text, STATE_TEXT, Shared,
                      below, cn, cn_date, computed_basis, count_text, file_name, n, pct, quote, s,
                      title_lines)



def department_context(shared: Shared, name: str) -> dict:
    dept = shared.departments.get(name)
    if dept is None:
        raise ValueError(f"department {name!r} is not in the summary")
    summary = shared.summary
    state = shared.states.get(name, an.ACCEPTED if dept.get("submitted") else an.MISSING)
    entries = shared.entries_by_dept.get(name, [])
    mine = [dict(g, no=k) for k, g in enumerate(shared.gaps_by_dept.get(name, []), 1)]
    if all(g["tracking"] in ("", "未整改") for g in mine):
        # Nothing tracked yet: a column of 未整改 says nothing (and is dropped, leaving the width
        # to the problem and measure).
        mine = [dict(g, tracking="") for g in mine]
    rejected = shared.rejected_by_dept.get(name, [])
    returned_files = [sub["returned"] for sub in rejected if sub.get("returned")]
    errors = [{"file": file_name(sub.get("file")), "sheet": s(f.get("sheet")) or "—",
               "cell": s(f.get("cell")) or "—", "message": s(f.get("message"))}
              for sub in rejected for f in sub.get("findings", []) if f.get("severity") == "error"]
    if len({e["file"] for e in errors}) == 1:
        errors = [dict(e, file="") for e in errors]        # one file: named above, column dropped
    errors = [dict(e, no=k) for k, e in enumerate(errors, 1)]
    evidence_problems = [{"no": k, "file": s(f.get("cell")) or "—", "message": s(f.get("message"))}
                         for k, f in enumerate(shared.evidence_by_dept.get(name, []), 1)]
    reviews = {r.get("indicator"): r for r in shared.reviews_by_dept.get(name, [])}
    computed = {c.get("indicator"): c for c in shared.computed_by_dept.get(name, [])}
    resubmit = cn_date(summary.get("resubmit_by"))
    by = f"于{resubmit}前" if resubmit else "尽快"
    n_ranked = len(shared.ranked)
    rank_text = shared.rank_text(dept)
    ind = f"本部门承担测评指标{len(entries)}项，分值合计{n(dept.get('max'))}分"
    # Computed indicators (§12) score from platform data whatever the department sent: only the
    # others wait for its self-score.
    own = [e for e in entries if s(e.get("indicator")) not in computed]
    by_data = "、".join(quote(f"{c} {s(shared.indicators.get(c, {}).get('name'))}") + f"按平台数据得{n(computed[c].get('score'))}分"
                        for c in computed)
    zero = (f"其中{by_data}，其余{len(own)}项在报送并通过审核前暂按0分计算" if computed
            else "在报送并通过审核前均暂按0分计算")
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
        files = "、".join(dict.fromkeys(file_name(sub.get("file")) for sub in rejected)) or "自评表"
        claims = [b for sub in rejected for b in sub.get("bonus_claims") or []]
        claimed = (f"自评表中申报的特色加分{bonus_claims_text(claims)}随退回一并暂未计入，重新报送并通过审核后计入。"
                   if claims else "")
        overview = (f"本部门本轮报送了自评表（{files}），经审核存在{len(errors)}处错误，已退回"
                    + (f"（退回件：{'；'.join(returned_files)}）" if returned_files else "")
                    + f"。{ind}，{zero}，本轮不参与排名。{claimed}"
                    f"请对照下表逐项修改，{by}重新报送创建办。")
    else:
        overview = (f"本部门本轮未报送自评表。{ind}，{zero}，本轮不参与排名。"
                    f"请{by}按创建办下发的模板填报并报送。")
    if not dept.get("max"):
        gaps_text = "本部门本轮未承担测评指标，没有问题短板。"
    elif mine:
        gaps_text = f"本部门本轮存在问题短板{count_text(mine)}，每项的问题、措施、责任人和完成时限见下表。"
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
            "score": PENDING_TEXT if e.get("pending") and not review else n(e.get("score")),
            "verified": n(review.get("score")) if review else "",
            "reason": s(review.get("reason")) if review else "",
            "status": PENDING_TEXT if e.get("pending") else
            (s(e.get("status")) if e.get("submitted", submitted) else STATE_TEXT.get(state, "未报送"))
            if not comp else "平台计算",
            "evidence": s(e.get("evidence")), "problem": s(e.get("problem")), "measure": s(e.get("measure")),
            "owner": s(e.get("owner")), "deadline": cn_date(e.get("deadline"))})
    review_rows = [{"no": k, "code": code, "name": s(shared.indicators.get(code, {}).get("name")),
                    "self_score": n(r.get("self_score")), "score": n(r.get("score")), "reason": s(r.get("reason")),
                    "reviewer": s(r.get("reviewer")), "date": cn_date(r.get("date"))}
                   for k, (code, r) in enumerate(reviews.items(), 1)]
    computed_rows = [{"code": code, "name": s(shared.indicators.get(code, {}).get("name")),
                      "quoted": quote(f"{code} {s(shared.indicators.get(code, {}).get('name'))}"),
                      "basis": computed_basis(c, shared.indicators.get(code, {})), "below": below(c)}
                     for code, c in computed.items()]
    computed_rows += [{"code": s(e.get("indicator")), "name": s(e.get("name")),
                       "quoted": quote(f"{s(e.get('indicator'))} {s(e.get('name'))}"),
                       "basis": pending_basis(shared.indicators.get(e.get("indicator"), {})).rstrip("。"), "below": ""}
                      for e in entries if e.get("pending")]
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
        "evidence_problems": evidence_problems,                                 # §13
        "evidence_text": (f"你部门报送的佐证材料有{len(evidence_problems)}处需要补充或更换（不影响自评表的审核）："
                          if evidence_problems else ""),
        "resubmit_by": resubmit,
        "indicator_count": len(entries), "gap_count": len(mine), "overview": overview,
        "entries": entry_rows, "gaps": mine, "gaps_text": gaps_text,
        "has_review": bool(review_rows), "reviews": review_rows,
        "review_text": (f"创建办核定了本部门{len(review_rows)}项指标的得分，核定情况和理由如下："
                        if review_rows else ""),
        "computed": computed_rows,
        "next_steps": [{"no": k, "no_cn": cn(k), "text": t} for k, t in
                       enumerate(_next_steps(shared, dept, state, own, mine, errors, resubmit), 1)],
        "title_text": title_lines(["关于", s(summary.get("round")), s(summary.get("title")), "审核结果的通知"]),
        "defaults_note": DEFAULTS_NOTE if any(g.get("defaulted") for g in mine) else "",
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
        steps.append(f"针对一票否决事项{quote(g['indicator_text'])}，立即向局党组专题报告，配合做好调查处置，并制定防范措施。")
    rectify = [g for g in gaps if set(g.get("kinds") or [g["kind"]]) & {"低分", "佐证缺失", "佐证存疑", "逾期"}]
    if rectify:
        severe = sum(1 for g in rectify if g["severity"] == "严重")
        passed = [g for g in rectify if g["deadline_passed"]]
        text = (f"对照问题短板表所列{len(rectify)}项问题" + (f"（其中严重{severe}项，须优先整改）" if severe else "")
                + "，按表中措施、责任人和完成时限逐项整改")
        if passed:
            text += (f"；其中{len(passed)}项的完成时限已过，请{owner}说明原因，{by}重新明确完成时间报创建办")
        steps.append(text + "。")
        steps.append("每项整改完成后，将整改情况和佐证材料报创建办，由创建办在问题清单中登记、核验销号。")
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
