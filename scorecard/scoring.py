"""Scores, gaps and the result object (CONTRACT.md §4, §5, §7). Pure: no I/O, no clock.

`choose_latest` marks which submission of each department counts; `summarise` turns the counted
submissions into the summary dict that every output renders (docs/summary.md).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from .rules import Rules
from .text import fmt_number
from .validation import ACCEPTED, IGNORED, REJECTED, SUPERSEDED, Submission

SEVERE, NORMAL = "严重", "一般"
LOW, OVERDUE, NO_EVIDENCE, NOT_SUBMITTED, VETO = "低分", "逾期", "佐证缺失", "未报送", "一票否决"
KIND_ORDER = {VETO: 0, NOT_SUBMITTED: 1, LOW: 2, OVERDUE: 3, NO_EVIDENCE: 4}


def _num(x) -> float | int:
    """A plain JSON number without float noise (0.1 + 0.2 -> 0.3); integral values stay integers."""
    x = round(float(x), 10)
    return int(x) if x.is_integer() else x


def choose_latest(submissions: list[Submission]) -> dict[str, Submission]:
    """Set each submission's status; return department -> the accepted one.

    Latest by 填报日期, then file modification time (then file name, so the choice is stable).
    Statuses already set (ignored) are left alone.
    """
    by_dept: dict[str, list[Submission]] = defaultdict(list)
    for sub in submissions:
        if sub.status == IGNORED:
            continue
        if not sub.ok or not sub.department:
            sub.status = REJECTED
            continue
        by_dept[sub.department].append(sub)
    chosen = {}
    for dept, subs in by_dept.items():
        subs.sort(key=lambda s: (s.fill_date or dt.date.min, s.mtime, s.file))
        for sub in subs[:-1]:
            sub.status = SUPERSEDED
        subs[-1].status = ACCEPTED
        chosen[dept] = subs[-1]
    return chosen


def summarise(rules: Rules, submissions: list[Submission], *, round_name: str, as_of: dt.date,
              generated_at: dt.datetime, previous: dict | None = None,
              reviews: dict[tuple[str, str], float] | None = None) -> dict:
    """The whole result. `previous` is the last round's summary (from the ledger), if any.
    `reviews`: the office's verified scores (核定得分) by (department, indicator), used instead of
    the self-score wherever one is recorded (CONTRACT.md §11)."""
    chosen = {s.department: s for s in submissions if s.status == ACCEPTED}
    table = _entry_table(rules, chosen)
    if reviews:
        _apply_reviews(table, reviews)

    # Unit score per indicator: combine the departments' scores (min | mean | lead).
    def combine(group: pd.DataFrame) -> float:
        how = group["combine"].iat[0]
        if how == "lead":
            return group.sort_values("order")["score"].iat[0]
        return group["score"].mean() if how == "mean" else group["score"].min()

    unit_scores = table.groupby("indicator", sort=False)[["combine", "order", "score"]].apply(combine)
    indicators = []
    for ind in rules.indicators:
        score = float(unit_scores.get(ind.code, 0.0))
        indicators.append({
            "code": ind.code, "item": ind.item, "max": _num(ind.max), "score": _num(score),
            "departments": list(ind.departments), "name": ind.name, "item_name": ind.item_name,
            "rate": _num(score / ind.max), "combine": ind.combine, "method": ind.method,
            "criteria": ind.criteria})
    ind_frame = pd.DataFrame(indicators, columns=["code", "item", "max", "score"])
    item_scores = ind_frame.groupby("item", sort=False)["score"].sum()
    items = [{"code": it.code, "name": it.name, "max": _num(it.max), "score": _num(item_scores.get(it.code, 0)),
              "rate": _num(item_scores.get(it.code, 0) / it.max) if it.max else 0} for it in rules.items]
    unit_score = float(ind_frame["score"].sum())

    bonuses = [{"department": dept, "project": b.project, "points": _num(b.points), "description": b.description,
                "evidence": b.evidence}
               for dept in rules.department_names() if dept in chosen for b in chosen[dept].bonuses]
    bonus = min(rules.bonus_cap, sum(b["points"] for b in bonuses))
    vetoes = _vetoes(rules, chosen)
    veto = any(v["occurred"] for v in vetoes)
    total = unit_score + bonus
    unit = {"score": _num(unit_score), "max": _num(rules.total_max), "bonus": _num(bonus), "total": _num(total),
            "veto": veto, "passed": (not veto) and total >= rules.pass_score - 1e-9,
            "rate": _num(unit_score / rules.total_max) if rules.total_max else 0}

    gaps = _gaps(rules, table, chosen, vetoes, as_of)
    departments = _departments(rules, table, chosen, gaps)
    summary = {
        "round": round_name, "as_of": as_of.isoformat(), "generated_at": generated_at.strftime("%Y-%m-%d %H:%M"),
        "title": rules.title, "organization": rules.organization, "pass_score": _num(rules.pass_score),
        "bonus_cap": _num(rules.bonus_cap), "gap_ratio": rules.gap_ratio, "gap_severe_ratio": rules.gap_severe_ratio,
        "unit": unit, "items": items, "indicators": indicators, "departments": departments,
        "entries": _entries(table), "gaps": gaps, "vetoes": vetoes, "bonuses": bonuses,
        "unsubmitted": [d["name"] for d in departments if not d["submitted"] and d["max"] > 0],
        "submissions": [_submission(s) for s in submissions],
    }
    if previous is not None:
        _compare(summary, previous)
    return summary


def _entry_table(rules: Rules, chosen: dict[str, Submission]) -> pd.DataFrame:
    """One row per (department, assigned indicator) with the department's latest accepted values."""
    rows = []
    for ind_order, ind in enumerate(rules.indicators):
        for order, dept in enumerate(ind.departments):
            sub = chosen.get(dept)
            entry = next((e for e in sub.entries if e.indicator == ind.code), None) if sub else None
            warned = bool(sub and entry and any(
                f.rule == "evidence.missing" and f.cell == entry.refs.get("evidence") for f in sub.findings))
            rows.append({
                "department": dept, "indicator": ind.code, "ind_order": ind_order, "order": order,
                "combine": ind.combine, "max": ind.max, "name": ind.name, "item": ind.item,
                "item_name": ind.item_name, "submitted": sub is not None,
                "score": entry.score if entry else 0.0, "status": entry.status if entry else "",
                "evidence": entry.evidence if entry else "", "problem": entry.problem if entry else "",
                "measure": entry.measure if entry else "", "owner": entry.owner if entry else "",
                "deadline": entry.deadline if entry else None, "evidence_warning": warned})
    columns = ["department", "indicator", "ind_order", "order", "combine", "max", "name", "item", "item_name",
               "submitted", "score", "status", "evidence", "problem", "measure", "owner", "deadline",
               "evidence_warning"]
    return pd.DataFrame(rows, columns=columns)


def _apply_reviews(table: pd.DataFrame, reviews: dict[tuple[str, str], float]) -> None:
    """核定得分 replaces the self-score in the entry table; every figure below is built from it."""
    keys = list(zip(table["department"], table["indicator"]))
    table["reviewed"] = [k in reviews for k in keys]
    table["score"] = [float(reviews[k]) if k in reviews else s for k, s in zip(keys, table["score"])]


def _entries(table: pd.DataFrame) -> list[dict]:
    dept_order = {d: i for i, d in enumerate(dict.fromkeys(table["department"]))}
    out = []
    for row in sorted(table.itertuples(index=False), key=lambda r: (dept_order[r.department], r.ind_order)):
        out.append({"department": row.department, "indicator": row.indicator, "item": row.item,
                    "item_name": row.item_name, "name": row.name, "max": _num(row.max), "score": _num(row.score),
                    "status": row.status, "evidence": row.evidence, "problem": row.problem,
                    "measure": row.measure, "owner": row.owner,
                    "deadline": row.deadline.isoformat() if row.deadline else "", "submitted": bool(row.submitted)})
    return out


def _departments(rules: Rules, table: pd.DataFrame, chosen: dict[str, Submission], gaps: list[dict]) -> list[dict]:
    sums = table.groupby("department", sort=False)[["score", "max"]].sum()
    frame = pd.DataFrame({"name": rules.department_names()})
    frame["score"] = frame["name"].map(sums["score"]).fillna(0.0)
    frame["max"] = frame["name"].map(sums["max"]).fillna(0.0)
    frame["rate"] = (frame["score"] / frame["max"].where(frame["max"] > 0)).round(10)
    frame["rank"] = frame["rate"].rank(method="min", ascending=False)
    gap_count = defaultdict(int)
    for g in gaps:
        gap_count[g["department"]] += 1
    out = []
    for row in frame.itertuples(index=False):
        sub = chosen.get(row.name)
        out.append({
            "name": row.name, "submitted": sub is not None, "score": _num(row.score), "max": _num(row.max),
            "rate": _num(row.rate) if pd.notna(row.rate) else 0, "rank": int(row.rank) if pd.notna(row.rank) else None,
            "file": sub.file if sub else "", "fill_date": sub.fill_date.isoformat() if sub and sub.fill_date else "",
            "filler": sub.filler if sub else "", "phone": sub.phone if sub else "",
            "indicator_count": len(rules.indicators_of(row.name)), "gap_count": gap_count[row.name]})
    return out


def _vetoes(rules: Rules, chosen: dict[str, Submission]) -> list[dict]:
    out = []
    for veto in rules.vetoes:
        answers = [(dept, a) for dept in rules.department_names() if dept in chosen
                   for a in chosen[dept].vetoes if a.code == veto.code and a.occurred]
        out.append({"code": veto.code, "name": veto.name, "occurred": bool(answers),
                    "departments": [d for d, _ in answers], "notes": [a.note for _, a in answers if a.note]})
    return out


def _gap(kind, severity, row=None, **extra) -> dict:
    gap = {"kind": kind, "severity": severity, "indicator": "", "department": "", "indicator_name": "", "item": "",
           "owner": "", "problem": "", "measure": "", "deadline": "", "status": "", "score": None, "max": None,
           "note": ""}
    if row is not None:
        gap.update({"indicator": row.indicator, "department": row.department, "indicator_name": row.name,
                    "item": row.item, "owner": row.owner, "problem": row.problem, "measure": row.measure,
                    "deadline": row.deadline.isoformat() if row.deadline else "", "status": row.status,
                    "score": _num(row.score), "max": _num(row.max)})
    gap.update(extra)
    return gap


def _gaps(rules: Rules, table: pd.DataFrame, chosen, vetoes: list[dict], as_of: dt.date) -> list[dict]:
    gaps = []
    dept_order = {d: i for i, d in enumerate(rules.department_names())}
    submitted = table[table["submitted"]]
    for row in submitted.itertuples(index=False):
        line = rules.gap_ratio * row.max
        if row.score < line - 1e-9:
            severe = row.score < rules.gap_severe_ratio * row.max - 1e-9
            scored = "核定得分" if getattr(row, "reviewed", False) else "自评得分"
            gaps.append(_gap(LOW, SEVERE if severe else NORMAL, row, note=(
                f"{scored}{fmt_number(row.score)}分，低于分值{fmt_number(row.max)}分的"
                f"{fmt_number(rules.gap_ratio * 100)}%（{fmt_number(line)}分）")))
        if row.status != rules.done_status and row.deadline and row.deadline < as_of:
            gaps.append(_gap(OVERDUE, NORMAL, row, note=(
                f"完成时限{row.deadline.isoformat()}已过（截至{as_of.isoformat()}），完成情况为“{row.status or '未填写'}”")))
        if row.evidence_warning:
            gaps.append(_gap(NO_EVIDENCE, NORMAL, row, note="得分但未填写佐证材料"))
    for dept in rules.department_names():
        if dept not in chosen and rules.indicators_of(dept):
            gaps.append(_gap(NOT_SUBMITTED, SEVERE, department=dept,
                             note=f"未报送或报送未通过审核，负责的{len(rules.indicators_of(dept))}项指标均按0分计"))
    for veto in vetoes:
        if veto["occurred"]:
            gaps.append(_gap(VETO, SEVERE, indicator=veto["code"], indicator_name=veto["name"],
                             department=veto["departments"][0], departments=veto["departments"],
                             problem="；".join(veto["notes"]), note=f"发生否决事项“{veto['name']}”"))
    ind_order = {i.code: n for n, i in enumerate(rules.indicators)}
    gaps.sort(key=lambda g: (g["severity"] != SEVERE, dept_order.get(g["department"], len(dept_order)),
                             ind_order.get(g["indicator"], -1), KIND_ORDER[g["kind"]]))
    return gaps


def _submission(sub: Submission) -> dict:
    return {"file": sub.file, "sha256": sub.sha256, "department": sub.department, "status": sub.status,
            "fill_date": sub.fill_date.isoformat() if sub.fill_date else "", "returned": sub.returned,
            "findings": [{"severity": f.severity, "rule": f.rule, "sheet": f.sheet, "cell": f.cell,
                          "message": f.message, "value": f.value} for f in sub.findings]}


def gap_key(gap: dict) -> tuple:
    return gap["kind"], gap["department"], gap["indicator"]


def _compare(summary: dict, previous: dict) -> None:
    """Mark each gap 新增/持续 against the last round and list last round's gaps that are gone."""
    before = {gap_key(g) for g in previous.get("gaps", [])}
    now = {gap_key(g) for g in summary["gaps"]}
    for gap in summary["gaps"]:
        gap["state"] = "持续" if gap_key(gap) in before else "新增"
    summary["previous_round"] = previous["round"]
    summary["closed_gaps"] = [g for g in previous.get("gaps", []) if gap_key(g) not in now]
