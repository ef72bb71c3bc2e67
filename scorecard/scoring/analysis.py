"""The analytic figures of the summary report, computed from the summary's core (no I/O, no clock).

`analyse(summary)` reads the scored result (unit, items, indicators, departments, entries, gaps,
and the office/computed parts when present) and returns plain JSON data: how far the unit is from
the pass line, where the points are lost, how much of the loss comes from departments that sent
nothing or had their files returned rather than from low self-scores, the worst gaps, the office's
verification and rectification figures, and the next-step actions with owners and dates.
The lead stores it as summary["analysis"]; reports only word and format it.

Attribution of lost points (an indicator's max minus its unit score): the part that is due to
absent departments is what the indicator would gain if it were combined over the departments that
did submit (all of it when none did); the rest is lost to low scores. Computed indicators (§12) do
not depend on a submission, so all of their loss counts as low scores.
"""
from __future__ import annotations

from .result import TRACKING_STATES

ACCEPTED, RETURNED, MISSING = "accepted", "returned", "missing"
SEVERE = "严重"
CLOSED = "已销号"
TOP = 5


def _r(x: float) -> float:
    return round(float(x), 2) + 0.0          # + 0.0: never -0.0


def submission_state(dept: dict, rejected_departments: set[str]) -> str:
    """accepted | returned | missing for a departments[] entry (the summary's own field when present)."""
    state = dept.get("submission")
    if state in (ACCEPTED, RETURNED, MISSING):
        return state
    if dept.get("submitted"):
        return ACCEPTED
    return RETURNED if dept.get("name") in rejected_departments else MISSING


def department_states(summary: dict) -> dict[str, str]:
    rejected = {s.get("department") for s in summary.get("submissions", []) if s.get("status") == "rejected"}
    accepted = {s.get("department") for s in summary.get("submissions", []) if s.get("status") == "accepted"}
    rejected -= accepted
    return {d["name"]: submission_state(d, rejected) for d in summary.get("departments", []) if d.get("max")}


def _combine(method: str, scores: list[float]) -> float:
    if method == "mean":
        return sum(scores) / len(scores)
    if method == "lead":
        return scores[0]
    return min(scores)


def _attribution(summary: dict, states: dict[str, str]) -> tuple[list[dict], float, float, float]:
    """Per indicator: lost points and the part due to missing / returned departments."""
    computed = {c.get("indicator") for c in summary.get("computed") or []}
    by_indicator: dict[str, list[dict]] = {}
    # Of the entries only department, indicator and score are read (scoring._analysis_view).
    for e in summary.get("entries", []):
        by_indicator.setdefault(e.get("indicator"), []).append(e)
    rows, missing_total, returned_total, low_total = [], 0.0, 0.0, 0.0
    for ind in summary.get("indicators", []):
        mx, score = float(ind.get("max") or 0), float(ind.get("score") or 0)
        lost = max(0.0, mx - score)
        entries = {e.get("department"): e for e in by_indicator.get(ind.get("code"), [])}
        order = [d for d in ind.get("departments", []) if d in entries] or list(entries)
        absent = [d for d in order if states.get(d, ACCEPTED) != ACCEPTED]
        from_absent = 0.0
        if lost and absent and ind.get("code") not in computed and not ind.get("computed"):
            gone = set(absent)
            present = [float(entries[d].get("score") or 0) for d in order if d not in gone]
            counterfactual = _combine(ind.get("combine", "min"), present) if present else mx
            from_absent = min(lost, max(0.0, counterfactual - score))
        n_returned = sum(1 for d in absent if states.get(d) == RETURNED)
        part_returned = from_absent * n_returned / len(absent) if absent else 0.0
        part_missing = from_absent - part_returned
        missing_total += part_missing
        returned_total += part_returned
        low_total += lost - from_absent
        rows.append({"code": ind.get("code"), "name": ind.get("name", ""), "item": ind.get("item", ""),
                     "max": mx, "score": _r(score), "lost": _r(lost), "lost_missing": _r(part_missing),
                     "lost_returned": _r(part_returned), "lost_low": _r(lost - from_absent),
                     "absent": absent})
    return rows, missing_total, returned_total, low_total


# Kinds of gap that are one problem when they concern the same department and indicator: a low
# score whose deadline also passed is one thing to fix, shown once with both kinds.
MERGED_KINDS = ("低分", "逾期", "佐证缺失", "佐证存疑")


def problem_groups(gaps: list[dict]) -> list[list[int]]:
    """The gaps (indices into gaps) grouped by problem: one group per (department, indicator) of
    the kinds in MERGED_KINDS, every other gap a group of its own; in the order of first appearance
    (the summary's: serious first). The documents show and count one row per group."""
    groups: list[list[int]] = []
    at: dict[tuple, int] = {}
    for k, g in enumerate(gaps):
        key = ((g.get("department"), g.get("indicator")) if g.get("kind") in MERGED_KINDS and g.get("indicator")
               else None)
        if key is None:
            groups.append([k])
        elif key in at:
            groups[at[key]].append(k)
        else:
            at[key] = len(groups)
            groups.append([k])
    return groups


def _gap_loss(gap: dict) -> float:
    mx, score = gap.get("max"), gap.get("score")
    if isinstance(mx, (int, float)) and isinstance(score, (int, float)):
        return float(mx) - float(score)
    return 0.0


def _worst_gaps(gaps: list[dict], top: int, keep=lambda g: True) -> list[dict]:
    """The top gaps, serious first, then by kind and points lost; index is the place in gaps."""
    kind_rank = {"一票否决": 0, "退回": 1, "未报送": 2, "低分": 3, "逾期": 4, "佐证缺失": 5, "佐证存疑": 6}
    ordered = sorted(((k, g) for k, g in enumerate(gaps) if keep(g)), key=lambda p: (p[1].get("severity") != SEVERE,
                                                      kind_rank.get(p[1].get("kind"), 9), -_gap_loss(p[1]), p[0]))
    return [{"index": k, "key": g.get("key") or "", "kind": g.get("kind", ""), "severity": g.get("severity", ""),
             "department": g.get("department", ""), "indicator": g.get("indicator") or "",
             "indicator_name": g.get("indicator_name", ""), "lost": _r(_gap_loss(g)),
             "owner": g.get("owner", ""), "deadline": g.get("deadline", "")}
            for k, g in ordered[:top]]


def _tracking_status(gap: dict) -> str:
    status = (gap.get("tracking") or {}).get("status")
    return status if status in TRACKING_STATES else TRACKING_STATES[0]


def _overdue(gap: dict, as_of: str) -> bool:
    """A gap still open after its deadline. 退回/未报送 rows are left out: their deadline is the
    resubmission date, followed up by the resubmit/submit actions."""
    if _tracking_status(gap) == CLOSED or gap.get("kind") in ("退回", "未报送"):
        return False
    if gap.get("kind") == "逾期":
        return True
    deadline = gap.get("deadline") or ""
    return bool(deadline) and bool(as_of) and deadline[:10] < as_of[:10]


def _rectification(summary: dict, top: int) -> dict:
    gaps, as_of = summary.get("gaps", []), summary.get("as_of", "")
    counts = {s: 0 for s in TRACKING_STATES}
    for g in gaps:
        counts[_tracking_status(g)] += 1
    given = summary.get("rectification")
    if isinstance(given, dict):
        counts = {s: int(given.get(s, counts[s]) or 0) for s in TRACKING_STATES}
    # Counted by problem: a 低分 gap past its deadline and the 逾期 gap of the same row are one.
    overdue = [group[0] for group in problem_groups(gaps) if any(_overdue(gaps[k], as_of) for k in group)]
    closed = summary.get("closed_gaps") or []
    return {"total": len(gaps), "by_state": counts, "tracked": any("tracking" in g for g in gaps),
            "overdue_count": len(overdue), "overdue": overdue[:top],
            "closed_since_last": len(closed),
            "closed": [{"key": g.get("key") or "", "department": g.get("department", ""),
                        "indicator": g.get("indicator") or "", "kind": g.get("kind", ""),
                        "closed_on": (g.get("tracking") or {}).get("closed_on") or "",
                        "verifier": (g.get("tracking") or {}).get("verifier") or ""} for g in closed[:top]]}


def _review(summary: dict, top: int) -> dict | None:
    reviews = summary.get("reviews") or []
    unit = summary.get("unit", {})
    if not reviews and "self_score" not in unit:
        return None
    bonus = float(unit.get("bonus") or 0)
    self_score = float(unit.get("self_score", unit.get("score") or 0))
    deltas = []
    for r in reviews:
        try:
            delta = float(r.get("self_score")) - float(r.get("score"))
        except (TypeError, ValueError):
            continue
        deltas.append((delta, r))
    down = sorted((p for p in deltas if p[0] > 0), key=lambda p: -p[0])
    up = [p for p in deltas if p[0] < 0]
    return {"count": len(reviews), "self_total": _r(self_score + bonus), "total": _r(unit.get("total") or 0),
            "difference": _r(self_score + bonus - float(unit.get("total") or 0)),
            "lowered": len(down), "raised": len(up), "lowered_points": _r(sum(p[0] for p in down)),
            "largest": [{"department": r.get("department", ""), "indicator": r.get("indicator", ""),
                         "self_score": r.get("self_score"), "score": r.get("score"), "delta": _r(d),
                         "reason": r.get("reason", ""), "reviewer": r.get("reviewer", ""), "date": r.get("date", "")}
                        for d, r in down[:top]]}


def _computed(summary: dict) -> list[dict]:
    groups: dict[str, dict] = {}
    for c in summary.get("computed") or []:
        g = groups.setdefault(c.get("indicator"), {"indicator": c.get("indicator"), "departments": 0,
                                                    "rows": 0, "meeting": 0})
        g["departments"] += 1
        g["rows"] += int(c.get("rows") or 0)
        g["meeting"] += int(c.get("meeting") or 0)
    return list(groups.values())


def _actions(summary: dict, states: dict[str, str], rect: dict, top: int) -> list[dict]:
    """What to do next, most urgent first: {kind, departments, owner, deadline, count, gap}."""
    heads = {d["name"]: d.get("head") or "" for d in summary.get("departments", [])}
    resubmit_by = summary.get("resubmit_by") or ""
    gaps = summary.get("gaps", [])

    def owners(names):
        found = [heads.get(n, "") for n in names if heads.get(n)]
        return "、".join(dict.fromkeys(found)) if len(found) == len(names) and len(found) <= top else ""

    actions = []
    for state, kind in ((RETURNED, "resubmit"), (MISSING, "submit")):
        names = [n for n, s in states.items() if s == state]
        if names:
            actions.append({"kind": kind, "departments": names, "owner": owners(names), "deadline": resubmit_by,
                            "count": len(names)})
    vetoes = [v for v in summary.get("vetoes", []) if v.get("occurred")]
    if vetoes:
        names = list(dict.fromkeys(d for v in vetoes for d in v.get("departments") or []))
        actions.append({"kind": "veto", "departments": names, "owner": owners(names), "deadline": "",
                        "count": len(vetoes), "codes": [v.get("code") for v in vetoes]})
    def severe_low(g):
        return g.get("kind") == "低分" and g.get("severity") == SEVERE

    # The worst first, then "the rest" from the same order: what is named is never counted again.
    ordered = _worst_gaps(gaps, len(gaps), severe_low)
    for w in ordered[:top]:
        actions.append({"kind": "rectify", "departments": [w["department"]],
                        "owner": w["owner"] or heads.get(w["department"], ""), "deadline": w["deadline"],
                        "count": 1, "gap": w})
    rest = ordered[top:]
    if rest:
        names = list(dict.fromkeys(g["department"] for g in rest))
        actions.append({"kind": "rectify_rest", "departments": names, "owner": "", "deadline": "",
                        "count": len(rest)})
    if rect["overdue_count"]:
        names = list(dict.fromkeys(gaps[k].get("department", "") for k in rect["overdue"]))
        actions.append({"kind": "overdue", "departments": names, "owner": owners(names), "deadline": resubmit_by,
                        "count": rect["overdue_count"]})
    if gaps:
        pending = rect["by_state"].get("待核验", 0)
        actions.append({"kind": "verify", "departments": [], "owner": "创建办", "deadline": resubmit_by,
                        "count": pending})
    return actions


def analyse(summary: dict, *, top: int = TOP) -> dict:
    """The analytic figures of the summary report, as plain JSON data (see the module docstring)."""
    unit = summary.get("unit", {})
    states = department_states(summary)
    total = float(unit.get("total") or 0)
    pass_score = summary.get("pass_score")
    shortfall = max(0.0, float(pass_score) - total) if pass_score is not None else 0.0
    indicators, lost_missing, lost_returned, lost_low = _attribution(summary, states)
    lost = sum(i["lost"] for i in indicators)
    items = []
    for item in summary.get("items", []):
        item_lost = max(0.0, float(item.get("max") or 0) - float(item.get("score") or 0))
        items.append({"code": item.get("code"), "name": item.get("name", ""), "max": item.get("max"),
                      "score": _r(item.get("score") or 0), "lost": _r(item_lost),
                      "share": _r(item_lost / lost) if lost else 0.0})
    items.sort(key=lambda i: -i["lost"])
    losing = sorted((i for i in indicators if i["lost"] > 0), key=lambda i: -i["lost"])
    gaps = summary.get("gaps", [])
    worst = _worst_gaps(gaps, top)
    rect = _rectification(summary, top)
    ranked = sorted((d for d in summary.get("departments", []) if d.get("rank") is not None
                     and states.get(d["name"]) == ACCEPTED), key=lambda d: d["rank"])
    if_submitted = total + lost_missing + lost_returned
    return {
        "passed": bool(unit.get("passed")), "veto": bool(unit.get("veto")),
        "total": _r(total), "pass_score": pass_score, "shortfall": _r(shortfall),
        "surplus": _r(max(0.0, total - float(pass_score))) if pass_score is not None else 0.0,
        "lost": _r(lost), "lost_missing": _r(lost_missing), "lost_returned": _r(lost_returned),
        "lost_low": _r(lost_low),
        "total_if_submitted": _r(if_submitted),
        "passes_if_submitted": pass_score is not None and if_submitted >= float(pass_score) and not unit.get("veto"),
        "items": [i for i in items if i["lost"] > 0][:top],
        "indicators": [{k: v for k, v in i.items() if k != "absent"} for i in losing[:top]],
        "severe_count": sum(1 for g in gaps if g.get("severity") == SEVERE),
        "severe_by_kind": {k: sum(1 for g in gaps if g.get("severity") == SEVERE and g.get("kind") == k)
                           for k in dict.fromkeys(g.get("kind") for g in gaps if g.get("severity") == SEVERE)},
        "worst_gaps": worst,
        "departments": {"ranked": len(ranked), "accepted": sum(1 for s in states.values() if s == ACCEPTED),
                        "returned": [n for n, s in states.items() if s == RETURNED],
                        "missing": [n for n, s in states.items() if s == MISSING],
                        "top": [d["name"] for d in ranked[:top]],
                        "bottom": [d["name"] for d in ranked[-top:]] if len(ranked) > top else []},
        "review": _review(summary, top),
        "rectification": rect,
        "computed": _computed(summary),
        "actions": _actions(summary, states, rect, top),
    }
