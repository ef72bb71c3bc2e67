"""What the dashboard (看板, CONTRACT §15) shows, as plain data: the view model of one round and
of the page across rounds, computed once here from summary.json and the ledger's history.

Nothing here scores: figures are the summary's own (unit, items, indicators, departments, entries,
gaps, rectification, computed), copied unrounded; this module only selects, orders, counts what
the summary lists (gaps by kind, cells by band, overdue days) and lays out the charts (bar
lengths and positions in SVG user units, dashboard_charts.py). The template formats numbers and
writes markup, nothing else. No I/O, no clock: `as_of` is the summary's.

Hooks for parts of the contract other issues deliver: `lights_view` (§14 traffic lights, when
gaps carry `light`) and `evidence_view` (§13, when the summary has `evidence_summary`) return None
while their data is absent, and the template then shows no section.
"""
from __future__ import annotations

import datetime as dt

from ..scoring import analysis as an
from . import dashboard_charts as charts
from .context import verdict_sentence
from . import unitfacts as unit_docs

SEVERE, GENERAL = "严重", "一般"
KIND_ORDER = ("一票否决", "退回", "未报送", "低分", "逾期", "佐证缺失", "佐证存疑")
TRACKING = an.TRACKING_STATES                      # 未整改, 整改中, 待核验, 已销号
STATE_LABELS = {an.ACCEPTED: "已报送", an.RETURNED: "退回", an.MISSING: "未报送"}
STATE_MARKS = {an.ACCEPTED: "✓", an.RETURNED: "↩", an.MISSING: "✗"}
LIGHTS = ("红", "黄", "绿")
LIGHT_NOTES = {"红": "已逾期", "黄": "临近时限", "绿": "时限未到"}
METHODS = {"share": "达标率", "mean": "人均值", "sum": "合计值"}
PROBLEM_CHARS = 60          # a gap's problem, shortened in lists (问题清单 has it whole)
SEVERE_SHOWN = 30           # the severe gaps listed (the rest are in 问题清单.xlsx)
OVERDUE_SHOWN = 300         # the overdue gaps listed, most days late first
HEAT_COLUMNS = 40           # indicators per heat-map table: a wider one would not fit an A4 page
TREND_CHART_ROUNDS = 12     # rounds drawn in the trend charts (the table lists every round)
ITEM_ROUNDS = 8             # rounds in the page across rounds' table of item scores (an A4 width)
# Heat-map bands, darkest (worst) first; the cell's value is always printed in it too.
BANDS = (("b0", "严重低分"), ("b1", "低分"), ("b2", "达标"), ("b3", "满分"),
         ("ab", "未报送或退回（按0分计）"), ("pd", "待数据"), ("na", "不承担"))


def _date(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def round_view(summary: dict, trend: list[dict] | None = None) -> dict:
    """Everything one round's page shows. trend: history points (`point`), oldest first, ending
    with this round; None or [] for none."""
    states = an.department_states(summary)
    unit = summary.get("unit") or {}
    gaps = summary.get("gaps") or []
    previous = _previous_point(trend, summary.get("round"))
    ranking = _ranking(summary, states)
    units = summary.get("units")
    return {
        # §17 units mode: a verdict per unit (units), no combined total, items or department ranking
        "who": "单位" if units else "部门",
        "units": _units(summary, states) if units else None,
        "round": summary.get("round", ""), "title": summary.get("title", ""),
        "organization": summary.get("organization", ""), "as_of": summary.get("as_of", ""),
        "previous_round": summary.get("previous_round", ""),
        "verdict": _verdict(summary, unit) if unit and not units else None,
        "facts": _facts(summary, states, gaps),
        "items": _items(summary, previous),
        "indicators": _indicators(summary),
        "ranking": ranking,
        "heatmap": _heatmap(summary, ranking),
        "gaps": _gaps(summary, gaps),
        "severe": _severe(gaps),
        "lights": lights_view(summary),
        "overdue": _overdue(summary, gaps),
        "rectification": _rectification(summary, gaps),
        "computed": _computed(summary),
        "evidence": evidence_view(summary),
        "trend": trend_view(trend) if trend else None,
    }


def _units(summary: dict, states: dict[str, str]) -> dict:
    """Units mode (§17): how many were assessed and pass, each group, each unit's verdict and the
    weakest indicators across units; the numbers are the result's, the reasons reports/units'."""
    units = summary["units"]
    assessed = [u for u in units if u["submission"] == "accepted"]
    pass_score = summary.get("pass_score")
    rows = []
    for u in sorted(units, key=lambda u: (u.get("rank") is None, u.get("rank") or 0)):
        state = states.get(u["name"], an.ACCEPTED)
        rows.append({"name": u["name"], "group": unit_docs.group_name(u["group"]), "rank": u.get("rank"),
                     "group_rank": u.get("group_rank"), "state": state, "state_label": STATE_LABELS[state],
                     "mark": STATE_MARKS[state], "score": u["score"], "bonus": u["bonus"], "total": u["total"],
                     "passed": u["passed"], "verdict": unit_docs.verdict(u), "reason": unit_docs.reason(u, pass_score)})
    return {"assessed": len(assessed), "not_assessed": len(units) - len(assessed),
            "passed": sum(u["passed"] for u in units), "failed": sum(not u["passed"] for u in assessed),
            "vetoed": sum(bool(u["veto"]) for u in assessed), "pass_score": _num(pass_score),
            "groups": [{"name": unit_docs.group_name(g["name"]), "units": g["units"], "passed": g["passed"],
                        "mean_total": g.get("mean_total")} for g in summary.get("groups") or []],
            "rows": rows, "indicators": unit_docs.indicator_rates(summary)}


def _previous_point(trend, round_name):
    if not trend or len(trend) < 2 or trend[-1].get("round") != round_name:
        return None
    return trend[-2]


# ---------------------------------------------------------------- verdict and facts

def _verdict(summary: dict, unit: dict) -> dict:
    total, pass_score = _num(unit.get("total")) or 0.0, _num(summary.get("pass_score"))
    if unit.get("veto"):
        state, label = "veto", "一票否决，不能通过"
    elif unit.get("passed"):
        state, label = "passed", "已达到合格线"
    else:
        state, label = "failed", "未达到合格线"
    vetoes = [v for v in summary.get("vetoes") or [] if v.get("occurred")]
    return {"state": state, "label": label, "sentence": verdict_sentence(summary),
            "total": unit.get("total"), "score": unit.get("score"), "bonus": unit.get("bonus"),
            "max": unit.get("max"), "rate": unit.get("rate"), "self_score": unit.get("self_score"),
            "pass_score": pass_score, "bonus_cap": summary.get("bonus_cap"),
            "difference": None if pass_score is None else total - pass_score,
            "vetoes": [{"code": v.get("code", ""), "name": v.get("name", ""),
                        "departments": v.get("departments") or []} for v in vetoes],
            "chart": charts.gauge(_num(unit.get("score")) or 0.0, _num(unit.get("bonus")) or 0.0,
                                  _num(unit.get("max")) or 0.0, _num(summary.get("bonus_cap")) or 0.0,
                                  pass_score)}


def _facts(summary: dict, states: dict[str, str], gaps: list[dict]) -> dict:
    counts = summary.get("counts") or {}
    values = list(states.values())
    return {"departments": counts.get("departments", len(values)),
            "accepted": counts.get("accepted", values.count(an.ACCEPTED)),
            "returned": counts.get("returned", values.count(an.RETURNED)),
            "missing": counts.get("missing", values.count(an.MISSING)),
            "gaps": counts.get("gaps", len(gaps)),
            "severe_gaps": counts.get("severe_gaps", sum(g.get("severity") == SEVERE for g in gaps)),
            "closed": len(summary.get("closed_gaps") or []),
            "overdue": sum(1 for g in gaps if _is_overdue(g, summary.get("as_of", "")))}


# ---------------------------------------------------------------- items, indicators, departments

def _items(summary: dict, previous: dict | None) -> dict:
    unit = summary.get("unit") or {}
    before = (previous or {}).get("items") or {}
    rows = [{"code": i.get("code", ""), "name": i.get("name", ""), "score": i.get("score"), "max": i.get("max"),
             "rate": i.get("rate"), "self_score": i.get("self_score"), "previous": before.get(i.get("code"))}
            for i in summary.get("items") or []]
    mx, pass_score = _num(unit.get("max")), _num(summary.get("pass_score"))
    reference = pass_score / mx if mx and pass_score is not None else None
    return {"rows": rows, "previous_round": (previous or {}).get("round", "") if before else "",
            "reference": reference,
            "chart": charts.rate_bars([(r["code"], _num(r["rate"]) or 0.0) for r in rows],
                                      reference)}


def _indicators(summary: dict) -> list[dict]:
    out = []
    for i in summary.get("indicators") or []:
        spec = i.get("computed") or {}
        out.append({"code": i.get("code", ""), "name": i.get("name", ""), "item": i.get("item", ""),
                    "max": i.get("max"), "score": i.get("score"), "rate": i.get("rate"),
                    "departments": len(i.get("departments") or []), "computed": bool(spec),
                    "pending": bool(spec.get("missing")), "data": spec.get("data", "")})
    return out


def _ranking(summary: dict, states: dict[str, str]) -> list[dict]:
    indexed = [(k, d) for k, d in enumerate(summary.get("departments") or []) if d.get("max")]
    indexed.sort(key=lambda p: (p[1].get("rank") is None, p[1].get("rank") or 0, p[0]))
    rows = []
    for _, d in indexed:
        state = states.get(d["name"], an.ACCEPTED)
        rows.append({"name": d["name"], "rank": d.get("rank"), "state": state, "state_label": STATE_LABELS[state],
                     "mark": STATE_MARKS[state], "score": d.get("score"), "max": d.get("max"), "rate": d.get("rate"),
                     "bar": max(0.0, min(1.0, _num(d.get("rate")) or 0.0)) * 100,
                     "gaps": d.get("gap_count"), "severe_gaps": d.get("severe_gap_count"), "head": d.get("head", "")})
    return rows


def _band(score, mx, ratio: float, severe_ratio: float) -> str:
    score, mx = _num(score), _num(mx)
    if score is None or not mx:
        return "b2"
    if score >= mx:
        return "b3"
    if score < severe_ratio * mx:
        return "b0"
    return "b1" if score < ratio * mx else "b2"


def _heatmap(summary: dict, ranking: list[dict]) -> dict:
    """Departments (ranking order) x indicators (rules order): the department's score in each
    cell it has, its band as a class; in tables of at most HEAT_COLUMNS indicators."""
    indicators = summary.get("indicators") or []
    ratio, severe_ratio = _num(summary.get("gap_ratio")) or 0.0, _num(summary.get("gap_severe_ratio")) or 0.0
    pending = {i.get("code") for i in indicators if (i.get("computed") or {}).get("missing")}
    entries: dict[tuple, dict] = {(e.get("department"), e.get("indicator")): e for e in summary.get("entries") or []}
    codes = [i.get("code") for i in indicators]
    counts = {band: 0 for band, _ in BANDS}
    rows = []
    for d in ranking:
        absent = d["state"] != an.ACCEPTED
        cells = []
        for code in codes:
            e = entries.get((d["name"], code))
            if e is None:
                band, text = "na", ""
            elif code in pending:
                band, text = "pd", "待"
            elif absent and not e.get("computed"):
                band, text = "ab", e.get("score")
            else:
                band, text = _band(e.get("score"), e.get("max"), ratio, severe_ratio), e.get("score")
            counts[band] += 1
            cells.append((band, text))
        rows.append({"name": d["name"], "state": d["state"], "mark": d["mark"], "cells": cells})
    tables = []
    for start in range(0, len(indicators), HEAT_COLUMNS):
        part = indicators[start:start + HEAT_COLUMNS]
        tables.append({"columns": [{"code": i.get("code", ""), "name": i.get("name", ""), "max": i.get("max")}
                                   for i in part],
                       "rows": [{**r, "cells": r["cells"][start:start + HEAT_COLUMNS]} for r in rows]})
    return {"tables": tables, "departments": len(rows), "indicators": len(indicators),
            "legend": [{"band": band, "label": label, "count": counts[band]} for band, label in BANDS
                       if counts[band] or band in ("b0", "b1", "b2", "b3")],
            "ratio": ratio, "severe_ratio": severe_ratio}


# ---------------------------------------------------------------- gaps

def _kinds(gaps: list[dict]) -> list[str]:
    present = dict.fromkeys(g.get("kind", "") for g in gaps)
    return [k for k in KIND_ORDER if k in present] + [k for k in present if k not in KIND_ORDER]


def _gaps(summary: dict, gaps: list[dict]) -> dict:
    rows = []
    for kind in _kinds(gaps):
        of_kind = [g for g in gaps if g.get("kind", "") == kind]
        severe = sum(g.get("severity") == SEVERE for g in of_kind)
        rows.append({"kind": kind, "severe": severe, "general": len(of_kind) - severe, "total": len(of_kind)})
    history = bool(summary.get("previous_round"))
    new = sum(g.get("state") == "新增" for g in gaps)
    counts = summary.get("counts") or {}
    return {"total": counts.get("gaps", len(gaps)), "severe": sum(r["severe"] for r in rows),
            "general": sum(r["general"] for r in rows), "by_kind": rows,
            "new": new if history else None, "persisting": len(gaps) - new if history else None,
            "chart": charts.stacked_bars([(r["kind"], [r["severe"], r["general"]]) for r in rows])}


def _gap_line(gap: dict, as_of: dt.date | None = None) -> dict:
    deadline = _date(gap.get("deadline"))
    return {"department": gap.get("department", ""), "indicator": gap.get("indicator") or "",
            "indicator_name": gap.get("indicator_name", ""), "kind": gap.get("kind", ""),
            "severity": gap.get("severity", ""), "owner": gap.get("owner", ""), "deadline": gap.get("deadline", ""),
            "days": (as_of - deadline).days if as_of and deadline else None,
            "problem": _short(gap.get("problem") or gap.get("note") or ""), "state": gap.get("state", ""),
            "tracking": (gap.get("tracking") or {}).get("status") or TRACKING[0]}


def _short(text: str) -> str:
    return text if len(text) <= PROBLEM_CHARS else text[:PROBLEM_CHARS - 1] + "…"


def _severe(gaps: list[dict]) -> dict:
    severe = [g for g in gaps if g.get("severity") == SEVERE]
    return {"rows": [_gap_line(g) for g in severe[:SEVERE_SHOWN]], "count": len(severe)}


def _is_overdue(gap: dict, as_of: str) -> bool:
    """A gap still open after its deadline (as analysis.py counts them: 退回/未报送 rows, whose
    deadline is the resubmission date, are followed up as submissions)."""
    if (gap.get("tracking") or {}).get("status") == an.CLOSED or gap.get("kind") in ("退回", "未报送"):
        return False
    if gap.get("kind") == "逾期":
        return True
    deadline = gap.get("deadline") or ""
    return bool(deadline) and bool(as_of) and deadline[:10] < as_of[:10]


def _overdue(summary: dict, gaps: list[dict]) -> dict:
    """The overdue gaps, longest overdue first (earliest deadline; a 逾期 gap without one last)."""
    as_of = summary.get("as_of", "")
    late = [g for g in gaps if _is_overdue(g, as_of)]
    late.sort(key=lambda g: (g.get("deadline") or "9999")[:10])        # ISO dates sort as days do
    day = _date(as_of)
    return {"rows": [_gap_line(g, day) for g in late[:OVERDUE_SHOWN]], "count": len(late)}


def _rectification(summary: dict, gaps: list[dict]) -> dict:
    given = summary.get("rectification") or {}
    counts = {s: int(given.get(s, 0) or 0) for s in TRACKING} if given else \
        {s: sum(((g.get("tracking") or {}).get("status") or TRACKING[0]) == s for g in gaps) for s in TRACKING}
    total = int(given.get("total", len(gaps)) or 0) if given else len(gaps)
    rows = [{"status": s, "count": counts[s], "share": counts[s] / total if total else 0.0} for s in TRACKING]
    closed = summary.get("closed_gaps") or []
    return {"total": total, "rows": rows, "closed_since": len(closed) if summary.get("previous_round") else None,
            "closed": [_gap_line(g) | {"closed_on": (g.get("tracking") or {}).get("closed_on", ""),
                                       "verifier": (g.get("tracking") or {}).get("verifier", "")}
                       for g in closed[:SEVERE_SHOWN]],
            "chart": charts.share_bar([r["count"] for r in rows])}


# ---------------------------------------------------------------- §12, §13, §14

def _computed(summary: dict) -> list[dict]:
    by_indicator: dict[str, list[dict]] = {}
    for c in summary.get("computed") or []:
        by_indicator.setdefault(c.get("indicator"), []).append(c)
    out = []
    for i in summary.get("indicators") or []:
        spec = i.get("computed")
        if not spec:
            continue
        records = by_indicator.get(i.get("code"), [])
        out.append({"code": i.get("code", ""), "name": i.get("name", ""), "max": i.get("max"),
                    "score": i.get("score"), "data": spec.get("data", ""), "value": spec.get("value", ""),
                    "method": METHODS.get(spec.get("method"), spec.get("method", "")), "target": spec.get("target"),
                    "pending": bool(spec.get("missing")),
                    "rows": [{"department": c.get("department", ""), "people": c.get("rows"),
                              "meeting": c.get("meeting"), "score": c.get("score"), "basis": c.get("basis", "")}
                             for c in records]})
    return out


def evidence_view(summary: dict) -> dict | None:
    """§13 evidence completeness per department: None until the summary carries `evidence_summary`
    (a list of {department, indicator, files, required, min_files, ok})."""
    records = summary.get("evidence_summary")
    if not isinstance(records, list):
        return None
    per: dict[str, dict] = {}
    for r in records:
        if not isinstance(r, dict) or not r.get("required"):
            continue
        d = per.setdefault(r.get("department", ""), {"department": r.get("department", ""), "required": 0, "ok": 0})
        d["required"] += 1
        d["ok"] += bool(r.get("ok"))
    rows = [dict(d, share=d["ok"] / d["required"]) for d in per.values()]
    rows.sort(key=lambda d: (d["share"], d["department"]))
    required, ok = sum(d["required"] for d in rows), sum(d["ok"] for d in rows)
    return {"rows": rows, "required": required, "ok": ok, "share": ok / required if required else None}


def lights_view(summary: dict) -> dict | None:
    """§14 traffic lights of the open gaps: None until gaps carry `light`."""
    lit = [g.get("light") for g in summary.get("gaps") or [] if g.get("light")]
    if not lit:
        return None
    given = (summary.get("followup") or {}).get("lights") or {}
    counts = {k: int(given.get(k, lit.count(k)) or 0) for k in LIGHTS}
    return {"rows": [{"light": k, "note": LIGHT_NOTES[k], "count": counts[k]} for k in LIGHTS],
            "total": sum(counts.values()),
            "chart": charts.share_bar([counts[k] for k in LIGHTS])}


# ---------------------------------------------------------------- across rounds

def point(summary: dict) -> dict:
    """One round in the trend, from its summary (the ledger's history gives the same fields)."""
    units = summary.get("units") or []
    unit = {} if units else summary.get("unit") or {}      # §17: no combined total in units mode
    counts = summary.get("counts") or {}
    gaps = summary.get("gaps") or []
    return {"round": summary.get("round", ""), "as_of": summary.get("as_of", ""), "total": unit.get("total"),
            **({"units": len(units), "units_passed": sum(bool(u.get("passed")) for u in units)} if units else {}),
            "passed": bool(unit.get("passed")), "veto": bool(unit.get("veto")),
            "pass_score": summary.get("pass_score"), "gaps": counts.get("gaps", len(gaps)),
            "severe_gaps": counts.get("severe_gaps", sum(g.get("severity") == SEVERE for g in gaps)),
            "closed": len(summary.get("closed_gaps") or []),
            "items": {i.get("code"): i.get("score") for i in summary.get("items") or []}}


def trend_view(points: list[dict]) -> dict:
    """The unit's total, open and closed gaps per round: points oldest first; the table lists
    them newest first, the charts draw the last TREND_CHART_ROUNDS oldest first."""
    drawn = points[-TREND_CHART_ROUNDS:]
    rows = []
    for k, p in enumerate(points):
        before = points[k - 1] if k else None
        change = (None if before is None or _num(before.get("total")) is None or _num(p.get("total")) is None
                  else p["total"] - before["total"])
        if p.get("units"):
            verdict = f"合格{p['units_passed']}个（共{p['units']}个单位）"
        else:
            verdict = "一票否决" if p.get("veto") else ("达到合格线" if p.get("passed") else "未达合格线")
        rows.append({**p, "change": change, "verdict": verdict})
    return {"rows": rows[::-1], "first": points[0]["round"] if points else "", "count": len(points),
            "charts": charts.trend([p["round"] for p in drawn], [_num(p.get("total")) for p in drawn],
                                   [_num(p.get("pass_score")) for p in drawn],
                                   [int(p.get("gaps") or 0) for p in drawn],
                                   [int(p.get("closed") or 0) for p in drawn]) if len(drawn) > 1 else None}


def overview_view(latest: dict | None, points: list[dict], links: dict[str, str]) -> dict:
    """The page across rounds: the trend, every round newest first (links: round -> its own
    看板.html, relative to the overview), the items' scores per round, and the newest round in full."""
    trend = trend_view(points) if points else None
    rounds = [{**r, "link": links.get(r["round"], "")} for r in trend["rows"]] if trend else []
    recent = points[::-1][:ITEM_ROUNDS]
    items = [{"code": i.get("code", ""), "name": i.get("name", ""), "max": i.get("max"),
              "scores": [p.get("items", {}).get(i.get("code")) for p in recent]}
             for i in (latest or {}).get("items") or []
             if not (latest or {}).get("units")]       # §17: no combined item scores in units mode
    return {"trend": trend, "rounds": rounds, "items": items, "item_rounds": [p["round"] for p in recent],
            "latest": round_view(latest, points[:_upto(points, latest)]) if latest else None}


def _upto(points: list[dict], summary: dict) -> int:
    """How many of the points lead up to (and include) the summary's round."""
    names = [p["round"] for p in points]
    return names.index(summary.get("round")) + 1 if summary.get("round") in names else len(points)
