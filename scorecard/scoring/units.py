"""Units mode (CONTRACT §17): every submitter is a unit with its own verdict.

Computed once from the departments-mode result (each unit is a department assigned every
indicator, so its DepartmentResult.score already holds its indicator scores after 核定得分):
score, own bonus under the cap, own veto, total, passed, overall and group rank.
"""
from __future__ import annotations

from collections import defaultdict

from .result import GroupResult, UnitResult

ACCEPTED = "accepted"


def _ranks_fast(totals: dict[str, float]) -> dict[str, int]:
    """Rank by total, highest first; ties share a rank and the next rank skips (1, 2, 2, 4), as §4
    ranks departments (pandas rank(method="min")). Totals within 1e-9 are equal."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    out, rank, last = {}, 0, None
    for n, (name, total) in enumerate(ordered, start=1):
        if last is None or total < last - 1e-9:
            rank, last = n, total
        out[name] = rank
    return out


def unit_results(rules, summary, num) -> tuple[tuple[UnitResult, ...], tuple[GroupResult, ...]]:
    """units[] and groups[] of summary.json in units mode."""
    bonus_sum: dict[str, float] = defaultdict(float)
    for b in summary.bonuses:
        bonus_sum[b.department] += b.points
    vetoed: dict[str, list[str]] = defaultdict(list)
    for v in summary.vetoes:
        for dept in v.departments:
            vetoed[dept].append(f"{v.code} {v.name}")
    by_name = {d.name: d for d in summary.departments}
    groups = {d.name: d.group for d in rules.departments}
    rows = {}
    for unit in rules.departments:
        d = by_name[unit.name]
        accepted = d.submission == ACCEPTED
        score = d.score if accepted else 0
        bonus = min(rules.bonus_cap, bonus_sum[unit.name]) if accepted else 0
        veto = accepted and bool(vetoed[unit.name])
        total = score + bonus
        rows[unit.name] = dict(score=score, bonus=bonus, veto=veto, total=total, accepted=accepted,
                               passed=accepted and not veto and total >= rules.pass_score - 1e-9,
                               claimed=bonus_sum[unit.name] if accepted else 0, submission=d.submission)
    ranked = {n: r["total"] for n, r in rows.items() if r["accepted"]}
    overall = _ranks_fast(ranked)
    in_group: dict[str, int] = {}
    for g in dict.fromkeys(groups.values()):
        in_group.update(_ranks_fast({n: t for n, t in ranked.items() if groups[n] == g}))
    units = tuple(UnitResult(
        name=n, group=groups[n], submission=r["submission"], score=num(r["score"]), bonus=num(r["bonus"]),
        total=num(r["total"]), veto=r["veto"], passed=r["passed"], rank=overall.get(n), group_rank=in_group.get(n),
        max=num(rules.total_max), claimed_bonus=num(r["claimed"]), veto_items=tuple(vetoed[n]) if r["veto"] else (),
        short=num(max(0.0, rules.pass_score - r["total"])))
        for n, r in rows.items())
    out_groups = []
    for g, names in rules.groups().items():
        members = [u for u in units if u.group == g]
        out_groups.append(GroupResult(
            name=g, units=len(members), passed=sum(u.passed for u in members),
            mean_total=num(round(sum(u.total for u in members) / len(members), 2)) if members else 0,
            assessed=sum(u.submission == ACCEPTED for u in members)))
    return units, tuple(out_groups)
