"""Scores, gaps and the result (CONTRACT.md §4, §5, §7). Pure: no I/O, no clock.

`choose_latest` decides which checked file of each department counts and returns each file's place
in the run (`Placed`), changing nothing it is given; `summarise` turns the placed files into the
`result.Summary` that every output renders.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .analysis import analyse
from .defaults import with_defaults
from .evidence import evidence_gaps, evidence_records
from .extensions import with_extensions
from .result import KIND_ORDER, LOW, NO_EVIDENCE, NOT_SUBMITTED, OVERDUE, RETURNED, VETO, gap_key
from .result import (BelowTarget, BonusResult, ComputedResult, ComputedSpec, Counts, DepartmentResult, EntryResult,
                     FindingRecord, Gap, IndicatorResult, ItemResult, SubmissionResult, Summary,
                     Unit, VetoResult, rectification)
from ..rules import Rules
from ..base.text import chinese_date, fmt_number
from ..intake.validation import ACCEPTED, REJECTED, SUPERSEDED, Checked

SEVERE, NORMAL = "严重", "一般"
# A department's standing this round (departments[].submission).
SUB_ACCEPTED, SUB_RETURNED, SUB_MISSING = "accepted", "returned", "missing"
FIRST_ERRORS = 3        # how many errors a 退回 gap's note quotes


@dataclass(frozen=True)
class Placed:
    """A checked file's place in the run: its status, and the annotated copy if it was rejected."""

    checked: Checked
    status: str
    returned: str | None = None     # annotated copy, relative to the round folder


def _num(x) -> float | int:
    """A plain JSON number without float noise (0.1 + 0.2 -> 0.3); integral values stay integers."""
    x = round(float(x), 10)
    return int(x) if x.is_integer() else x


def choose_latest(checked: Sequence[Checked]) -> list[Placed]:
    """Each file's status, in the order given: rejected (an error, or no department), superseded,
    or accepted (the department's latest by 填报日期, then modification time, then file name)."""
    status: dict[int, str] = {}
    by_dept: dict[str, list[int]] = defaultdict(list)
    for n, c in enumerate(checked):
        if not c.ok or not c.department:
            status[n] = REJECTED
        else:
            by_dept[c.department].append(n)
    for numbers in by_dept.values():
        numbers.sort(key=lambda n: (checked[n].fill_date or dt.date.min, checked[n].mtime, checked[n].file))
        for n in numbers[:-1]:
            status[n] = SUPERSEDED
        status[numbers[-1]] = ACCEPTED
    return [Placed(c, status[n]) for n, c in enumerate(checked)]


def summarise(rules: Rules, placed: Iterable[Placed], *, round_name: str, as_of: dt.date,
              generated_at: dt.datetime, resubmit_by: dt.date, previous: dict | None = None,
              computation=None, data_files: Sequence = (),
              reviews: Mapping[tuple[str, str], float] | None = None,
              extensions: Mapping[str, str] | None = None, evidence=None,
              binder: Mapping[int, str] | None = None) -> Summary:
    """The whole result. `previous` is the last round's summary.json (from the ledger), if any.
    `computation` (datasets.Computation) and `data_files` are the round's data workbooks (§12).
    `reviews`: the office's verified scores (核定得分) by (department, indicator); where one is
    recorded it counts instead of the self-score (or computed score) in every figure (§11).
    `extensions`: 延期至 (ISO date) by gap key, the office's extensions (§14): a gap's 完成时限 becomes
    the later date (the first kept in deadline_original), for 逾期 and the lights.
    `evidence`: the round's evidence judged (scorecard.evidence.judge.Outcome, §13) and `binder`
    where each counted file was filed; None when the round has no evidence to judge."""
    placed = list(placed)
    chosen = {p.checked.department: p.checked for p in placed if p.status == ACCEPTED}
    standing = _standing(rules, placed, chosen)
    table = _entry_table(rules, chosen)
    table = _apply_computed(table, computation, chosen)
    if reviews:
        _apply_reviews(table, reviews)

    indicators = _with_specs(rules, _indicators(rules, table), computation)
    item_rows = [_item(it, [i for i in indicators if i.item == it.code]) for it in rules.items]
    unit_score = sum(i.score for i in indicators)
    self_score = sum(i.self_score for i in indicators)

    bonuses = tuple(BonusResult(dept, b.project, _num(b.points), b.description, b.evidence)
                    for dept in rules.department_names() if dept in chosen for b in chosen[dept].bonuses)
    bonus = min(rules.bonus_cap, sum(b.points for b in bonuses))
    vetoes = _vetoes(rules, chosen)
    veto = any(v.occurred for v in vetoes)
    total = unit_score + bonus
    unit = Unit(score=_num(unit_score), max=_num(rules.total_max), bonus=_num(bonus), total=_num(total), veto=veto,
                passed=(not veto) and total >= rules.pass_score - 1e-9,
                rate=_num(unit_score / rules.total_max) if rules.total_max else 0, self_score=_num(self_score))

    gaps = _gaps(rules, table, placed, standing, vetoes, as_of, resubmit_by)
    evidence_files = evidence_tallies = None
    if evidence is not None:                                    # §13
        gaps = _sorted(rules, evidence_gaps(gaps, table, evidence, _row_gap))
        evidence_files, evidence_tallies = evidence_records(evidence, binder or {})
    gaps = _computed_problems(gaps, computation)
    gaps = with_defaults(gaps, {d.name: d.head for d in rules.departments}, as_of,
                         {(c.indicator, c.department) for c in computation.scores} if computation else set())
    if extensions:
        gaps = with_extensions(gaps, extensions, as_of)
    departments = _departments(rules, table, chosen, standing, gaps)
    previous_round = closed = None
    if previous is not None:
        gaps, closed = _compare(gaps, previous)
        previous_round = previous["round"]
    with_indicators = [d for d in departments if d.max > 0]
    summary = Summary(
        round=round_name, as_of=as_of.isoformat(), generated_at=generated_at.strftime("%Y-%m-%d %H:%M"),
        resubmit_by=resubmit_by.isoformat(), title=rules.title, organization=rules.organization,
        pass_score=_num(rules.pass_score), bonus_cap=_num(rules.bonus_cap), gap_ratio=rules.gap_ratio,
        gap_severe_ratio=rules.gap_severe_ratio, unit=unit, items=tuple(item_rows), indicators=tuple(indicators),
        departments=tuple(departments), entries=_entries(table), gaps=tuple(gaps), vetoes=vetoes, bonuses=bonuses,
        unsubmitted=tuple(d.name for d in with_indicators if d.submission == SUB_MISSING),
        returned=tuple(d.name for d in with_indicators if d.submission == SUB_RETURNED),
        counts=Counts(
            departments=len(with_indicators),
            accepted=sum(d.submission == SUB_ACCEPTED for d in with_indicators),
            returned=sum(d.submission == SUB_RETURNED for d in with_indicators),
            missing=sum(d.submission == SUB_MISSING for d in with_indicators),
            gaps=len(gaps), severe_gaps=sum(g.severity == SEVERE for g in gaps),
            gaps_by_kind=dict(Counter(g.kind for g in gaps)), files=dict(Counter(p.status for p in placed))),
        submissions=tuple(_submission(p, chosen) for p in placed) + tuple(_data_submission(f) for f in data_files),
        previous_round=previous_round, closed_gaps=closed,
        computed=tuple(_computed_result(c) for c in computation.scores) if computation else (),
        office_findings=_office_findings(computation, data_files), rectification=rectification(gaps),
        contact={"name": rules.contact.name, "phone": rules.contact.phone, "text": rules.contact.text}
        if rules.contact else None, evidence=evidence_files, evidence_summary=evidence_tallies)
    if rules.units_mode:                                        # §17
        from .units import unit_results

        units, groups = unit_results(rules, summary, _num)
        summary = replace(summary, units=units, groups=groups)
    return replace(summary, analysis=analyse(_analysis_view(summary)))


def _analysis_view(summary: Summary) -> dict:
    """summary.to_dict() as analyse() reads it: of the entries only department, indicator and
    score (at 10,000 departments the full entries are 140,000 dicts of 17 fields)."""
    view = replace(summary, entries=()).to_dict()
    view["entries"] = [{"department": e.department, "indicator": e.indicator, "score": e.score}
                       for e in summary.entries]
    return view


def _standing(rules: Rules, placed: list[Placed], chosen: dict[str, Checked]) -> dict[str, str]:
    """Department -> accepted | returned (sent files, every one rejected) | missing (sent nothing)."""
    sent = {p.checked.department for p in placed if p.status == REJECTED and p.checked.department}
    return {d: SUB_ACCEPTED if d in chosen else SUB_RETURNED if d in sent else SUB_MISSING
            for d in rules.department_names()}


_ENTRY_COLUMNS = ["department", "indicator", "ind_order", "order", "combine", "max", "name", "item", "item_name",
                  "submitted", "self_score", "score", "status", "evidence", "problem", "measure", "owner", "deadline",
                  "evidence_warning"]


def _entry_table(rules: Rules, chosen: dict[str, Checked]) -> pd.DataFrame:
    """One row per (department, assigned indicator) with the department's latest accepted values.
    `self_score` is what the department gave itself; `score` is what counts (the same here).
    Built column by column (140,000 rows at 10,000 departments)."""
    by_code: dict[str, dict] = {}           # department -> indicator -> its first entry
    warned: dict[str, set] = {}             # department -> cells of its evidence.missing warnings
    for dept, sub in chosen.items():
        entries: dict = {}
        for e in sub.entries:
            entries.setdefault(e.indicator, e)
        by_code[dept] = entries
        warned[dept] = {f.cell for f in sub.findings if f.rule == "evidence.missing"}
    cols: dict[str, list] = {c: [] for c in _ENTRY_COLUMNS}
    for ind_order, ind in enumerate(rules.indicators):
        depts = list(ind.departments)
        n = len(depts)
        for column, value in (("indicator", ind.code), ("ind_order", ind_order), ("combine", ind.combine),
                              ("max", ind.max), ("name", ind.name), ("item", ind.item), ("item_name", ind.item_name)):
            cols[column].extend([value] * n)
        cols["department"].extend(depts)
        cols["order"].extend(range(n))
        cols["submitted"].extend(d in chosen for d in depts)
        got = [by_code[d].get(ind.code) if d in chosen else None for d in depts]
        scores = [e.score if e is not None else 0.0 for e in got]
        cols["self_score"].extend(scores)
        cols["score"].extend(scores)
        for column in ("status", "evidence", "problem", "measure", "owner"):
            cols[column].extend([getattr(e, column) if e is not None else "" for e in got])
        cols["deadline"].extend([e.deadline if e is not None else None for e in got])
        cols["evidence_warning"].extend([e is not None and e.refs.get("evidence") in warned[d]
                                         for d, e in zip(depts, got)])
    return pd.DataFrame(cols, columns=_ENTRY_COLUMNS)


def _apply_reviews(table: pd.DataFrame, reviews: Mapping[tuple[str, str], float]) -> None:
    """§11: a 核定得分 replaces `score` (what counts); `self_score` stays the department's own."""
    keys = list(zip(table["department"].tolist(), table["indicator"].tolist()))
    table["reviewed"] = [k in reviews for k in keys]
    table["score"] = [float(reviews[k]) if k in reviews else s for k, s in zip(keys, table["score"].tolist())]


def _combined(table: pd.DataFrame, column: str) -> pd.Series:
    """Unit score per indicator: its departments' scores combined by min | mean | lead."""
    def combine(group: pd.DataFrame) -> float:
        how = group["combine"].iat[0]
        if how == "lead":
            return group.sort_values("order")[column].iat[0]
        return group[column].mean() if how == "mean" else group[column].min()

    return table.groupby("indicator", sort=False)[["combine", "order", column]].apply(combine)


def _indicators(rules: Rules, table: pd.DataFrame) -> list[IndicatorResult]:
    scores, selfs = _combined(table, "score"), _combined(table, "self_score")
    out = []
    for ind in rules.indicators:
        score = float(scores.get(ind.code, 0.0))
        out.append(IndicatorResult(
            code=ind.code, item=ind.item, max=_num(ind.max), score=_num(score), departments=tuple(ind.departments),
            name=ind.name, item_name=ind.item_name, rate=_num(score / ind.max), combine=ind.combine,
            method=ind.method, criteria=ind.criteria, self_score=_num(selfs.get(ind.code, 0.0))))
    return out


def _item(item, indicators: list[IndicatorResult]) -> ItemResult:
    score = sum(i.score for i in indicators)
    return ItemResult(code=item.code, name=item.name, max=_num(item.max), score=_num(score),
                      rate=_num(score / item.max) if item.max else 0,
                      self_score=_num(sum(i.self_score for i in indicators)))


def _entries(table: pd.DataFrame) -> tuple[EntryResult, ...]:
    """One entry per table row, by department (in the order the table first names them), then
    indicator. Read column by column: at 10,000 departments the table has 140,000 rows."""
    dept_order = {d: i for i, d in enumerate(dict.fromkeys(table["department"]))}
    cols = {c: table[c].tolist() for c in ("department", "indicator", "item", "item_name", "name", "max", "score",
                                           "self_score", "status", "evidence", "problem", "measure", "owner",
                                           "deadline", "submitted", "computed", "reported", "ind_order",
                                           "pending")}
    order = sorted(range(len(table)), key=lambda k: (dept_order[cols["department"][k]], cols["ind_order"][k]))
    nums: dict = {}

    def num(x):     # the same few scores and maxima recur thousands of times
        found = nums.get(x)
        if found is None:
            found = nums[x] = _num(x)
        return found

    out = []
    for k in order:
        computed, deadline, reported = bool(cols["computed"][k]), cols["deadline"][k], cols["reported"][k]
        out.append(EntryResult(
            department=cols["department"][k], indicator=cols["indicator"][k], item=cols["item"][k],
            item_name=cols["item_name"][k], name=cols["name"][k], max=num(cols["max"][k]), score=num(cols["score"][k]),
            self_score=num(cols["self_score"][k]), status=cols["status"][k], evidence=cols["evidence"][k],
            problem=cols["problem"][k], measure=cols["measure"][k], owner=cols["owner"][k],
            deadline=deadline.isoformat() if deadline else "", submitted=bool(cols["submitted"][k]),
            computed=computed, reported_score=num(reported) if computed and pd.notna(reported) else None,
            pending=True if cols["pending"][k] else None))
    return tuple(out)


def _departments(rules: Rules, table: pd.DataFrame, chosen: dict[str, Checked], standing: dict[str, str],
                 gaps: list[Gap]) -> list[DepartmentResult]:
    sums = table.groupby("department", sort=False)[["score", "self_score", "max"]].sum()
    frame = pd.DataFrame({"name": rules.department_names()})
    for column in ("score", "self_score", "max"):
        frame[column] = frame["name"].map(sums[column]).fillna(0.0)
    frame["rate"] = (frame["score"] / frame["max"].where(frame["max"] > 0)).round(10)
    # Only departments whose submission counts are ranked; returned and missing ones are listed apart.
    rankable = frame["rate"].where(frame["name"].map(standing) == SUB_ACCEPTED)
    frame["rank"] = rankable.rank(method="min", ascending=False)
    gap_count, severe_count = Counter(g.department for g in gaps), Counter(
        g.department for g in gaps if g.severity == SEVERE)
    heads = {d.name: d.head for d in rules.departments}
    out = []
    for row in frame.itertuples(index=False):
        sub = chosen.get(row.name)
        out.append(DepartmentResult(
            name=row.name, submitted=sub is not None, submission=standing[row.name], score=_num(row.score),
            self_score=_num(row.self_score), max=_num(row.max), rate=_num(row.rate) if pd.notna(row.rate) else 0,
            rank=int(row.rank) if pd.notna(row.rank) else None, head=heads.get(row.name, ""),
            file=sub.file if sub else "", fill_date=sub.fill_date.isoformat() if sub and sub.fill_date else "",
            filler=sub.filler if sub else "", phone=sub.phone if sub else "",
            indicator_count=len(rules.indicators_of(row.name)), gap_count=gap_count[row.name],
            severe_gap_count=severe_count[row.name]))
    return out


def _vetoes(rules: Rules, chosen: dict[str, Checked]) -> tuple[VetoResult, ...]:
    out = []
    for veto in rules.vetoes:
        answers = [(dept, a) for dept in rules.department_names() if dept in chosen
                   for a in chosen[dept].vetoes if a.code == veto.code and a.occurred]
        out.append(VetoResult(veto.code, veto.name, bool(answers), tuple(d for d, _ in answers),
                              tuple(a.note for _, a in answers if a.note)))
    return tuple(out)


def _row_gap(kind: str, severity: str, row, note: str) -> Gap:
    return Gap(kind=kind, severity=severity, indicator=row.indicator, department=row.department,
               key=gap_key(kind, row.department, row.indicator), indicator_name=row.name, item=row.item,
               owner=row.owner, problem=row.problem, measure=row.measure,
               deadline=row.deadline.isoformat() if row.deadline else "", status=row.status,
               score=_num(row.score), max=_num(row.max), note=note)


def _gaps(rules: Rules, table: pd.DataFrame, placed: list[Placed], standing: dict[str, str],
          vetoes: tuple[VetoResult, ...], as_of: dt.date, resubmit_by: dt.date) -> list[Gap]:
    gaps = []
    rows = table[(table["submitted"] | table["computed"]) & ~table["pending"]]
    # Only rows that may be a gap are looked at one by one (a superset; each test is made below).
    maybe = ((rows["score"] < rules.gap_ratio * rows["max"]) | rows["evidence_warning"].astype(bool)
             | pd.Series([s != rules.done_status and bool(d) for s, d in zip(rows["status"].tolist(), rows["deadline"].tolist())],
                         index=rows.index, dtype=bool))
    for row in rows[maybe].itertuples(index=False):
        line = rules.gap_ratio * row.max
        if row.score < line - 1e-9:
            severe = row.score < rules.gap_severe_ratio * row.max - 1e-9
            scored = "核定得分" if getattr(row, "reviewed", False) else "得分"      # §11
            gaps.append(_row_gap(LOW, SEVERE if severe else NORMAL, row, (
                f"{scored}{fmt_number(row.score)}分，低于分值{fmt_number(row.max)}分的"
                f"{fmt_number(rules.gap_ratio * 100)}%（{fmt_number(line)}分）")))
        if row.status != rules.done_status and row.deadline and row.deadline < as_of:
            gaps.append(_row_gap(OVERDUE, NORMAL, row, (
                f"完成时限{chinese_date(row.deadline)}已过，完成情况为“{row.status or '未填写'}”")))
        if row.evidence_warning:
            gaps.append(_row_gap(NO_EVIDENCE, NORMAL, row, "得分但未填写佐证材料"))
    heads = {d.name: d.head for d in rules.departments}
    for dept in rules.department_names():
        count = len(rules.indicators_of(dept))
        if not count or standing[dept] == SUB_ACCEPTED:
            continue
        common = dict(severity=SEVERE, indicator="", department=dept, owner=heads.get(dept, ""),
                      deadline=resubmit_by.isoformat())
        if standing[dept] == SUB_MISSING:
            gaps.append(Gap(kind=NOT_SUBMITTED, key=gap_key(NOT_SUBMITTED, dept, ""), **common,
                            measure="按模板填报自评表并报送创建办",
                            note=f"本轮未报送自评表，负责的{count}项指标均按0分计"))
        else:
            gaps.append(Gap(kind=RETURNED, key=gap_key(RETURNED, dept, ""), **common,
                            measure="按退回件标注逐项修改后重新报送",
                            note=_returned_note(dept, placed, count)))
    for veto in vetoes:
        if veto.occurred:
            gaps.append(Gap(kind=VETO, severity=SEVERE, indicator=veto.code, department=veto.departments[0],
                            key=gap_key(VETO, veto.departments[0], veto.code), indicator_name=veto.name,
                            problem="；".join(veto.notes), note=f"发生否决事项“{veto.name}”",
                            departments=veto.departments))
    return _sorted(rules, gaps)


def _sorted(rules: Rules, gaps: list[Gap]) -> list[Gap]:
    """Severe first, then in rules order of the departments and indicators, then by kind."""
    dept_order = {d: i for i, d in enumerate(rules.department_names())}
    ind_order = {i.code: n for n, i in enumerate(rules.indicators)}
    gaps.sort(key=lambda g: (g.severity != SEVERE, dept_order.get(g.department, len(dept_order)),
                             ind_order.get(g.indicator, -1), KIND_ORDER[g.kind]))
    return gaps


def _returned_note(dept: str, placed: list[Placed], count: int) -> str:
    files = [p for p in placed if p.status == REJECTED and p.checked.department == dept]
    errors = [f for p in files for f in p.checked.findings if f.severity == "error"]
    quoted = "；".join(f"{f.sheet}!{f.cell} {f.message}" if f.cell else f.message for f in errors[:FIRST_ERRORS])
    more = f"等{len(errors)}处错误" if len(errors) > FIRST_ERRORS else ""
    names = "、".join(f"《{p.checked.file.rsplit('/', 1)[-1]}》" for p in files)
    return (f"报送的{names}未通过审核，已退回（{quoted}{more}），负责的{count}项指标暂按0分计")


def _submission(p: Placed, accepted: Mapping[str, Checked]) -> SubmissionResult:
    c = p.checked
    fix = accepted.get(c.department) if p.status == REJECTED and c.department else None
    return SubmissionResult(
        file=c.file, sha256=c.sha256, department=c.department, status=p.status,
        fill_date=c.fill_date.isoformat() if c.fill_date else "", returned=p.returned,
        findings=tuple(FindingRecord.of(f) for f in c.findings),
        corrected_by=fix.file if fix is not None and fix.mtime > c.mtime else None,
        bonus_claims=tuple(BonusResult(c.department, b.project, _num(b.points), b.description, b.evidence)
                           for b in c.bonuses if isinstance(b.points, (int, float))) or None
        if p.status == REJECTED and c.bonuses else None)


_GAP_FIELDS = set(Gap.__dataclass_fields__)


def gap_from_dict(data: dict) -> Gap:
    """A gap as stored in an earlier summary.json (older ledgers lack `key`)."""
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in _GAP_FIELDS}
    values.setdefault("key", gap_key(data["kind"], data["department"], data.get("indicator") or ""))
    values["indicator"] = values.get("indicator") or ""
    values["state"] = None
    return Gap(**values)


def _compare(gaps: list[Gap], previous: dict) -> tuple[list[Gap], tuple[Gap, ...]]:
    """Mark each gap 新增/持续 against the last round; last round's gaps that are gone are closed."""
    before = [gap_from_dict(g) for g in previous.get("gaps", [])]
    before_keys = {g.key for g in before}
    now_keys = {g.key for g in gaps}
    marked = [replace(g, state="持续" if g.key in before_keys else "新增") for g in gaps]
    return marked, tuple(g for g in before if g.key not in now_keys)



# ---------------------------------------------------------------------------------------------
# Computed indicators (CONTRACT.md §12): scores from data workbooks, see datasets.py

def _apply_computed(table: pd.DataFrame, computation, chosen: dict[str, Checked]) -> pd.DataFrame:
    """The computed score replaces the self-score of each (department, computed indicator) the data
    covers; what the department typed stays in `reported`. With no data for the round (data.missing)
    nothing changes: self-scores count. A 核定得分 applied later still overrides `score`."""
    table = table.copy()
    table["computed"] = False
    typed = {(e.indicator, dept): e.score for dept, c in chosen.items() for e in c.entries}
    # Columns as lists first: iterating a pandas string column goes element by element through pandas.
    table["reported"] = [typed.get(k, float("nan")) for k in zip(table["indicator"].tolist(),
                                                                  table["department"].tolist())]
    # §12: with no data workbook for the round the indicator is pending (待数据): it counts 0 and
    # makes no gap; a self-score typed into the (locked) row is shown, never counted.
    waiting = set(computation.missing) if computation is not None else set()
    table["pending"] = table["indicator"].isin(waiting)
    table.loc[table["pending"], ["score", "self_score"]] = 0.0
    if computation is None or not computation.scores:
        return table
    scores = {(c.indicator, c.department): c.score for c in computation.scores}
    keys = list(zip(table["indicator"].tolist(), table["department"].tolist()))
    hit = pd.Series([k in scores for k in keys], index=table.index)
    values = pd.Series([scores.get(k, 0.0) for k in keys], index=table.index, dtype=float)
    table["computed"] = hit
    table.loc[hit, "score"] = values[hit]
    table.loc[hit, "self_score"] = values[hit]
    return table


def _with_specs(rules: Rules, indicators: list[IndicatorResult], computation) -> list[IndicatorResult]:
    missing = set(computation.missing) if computation is not None else {i.code for i in rules.computed_indicators}
    out = []
    for result in indicators:
        spec = rules.indicator(result.code).computed
        if spec is not None:
            result = replace(result, computed=ComputedSpec(spec.data, spec.value, _num(spec.target), spec.method,
                                                           result.code in missing))
        out.append(result)
    return out


def _computed_problems(gaps: list[Gap], computation) -> list[Gap]:
    """A 低分 gap on a computed indicator: 存在问题 is the basis and the people below target."""
    if computation is None or not computation.scores:
        return gaps
    from ..intake.datasets import problem_text

    by_key = {(c.indicator, c.department): c for c in computation.scores}
    return [replace(g, problem=problem_text(by_key[(g.indicator, g.department)]))
            if g.kind == LOW and (g.indicator, g.department) in by_key else g for g in gaps]


def _computed_result(c) -> ComputedResult:
    from ..intake.datasets import basis

    return ComputedResult(
        indicator=c.indicator, department=c.department, rows=c.rows, meeting=c.meeting,
        value=None if c.value is None else _num(c.value), score=_num(c.score), data=c.data, method=c.method,
        target=_num(c.target), max=_num(c.max), mean=None if c.mean is None else _num(c.mean), total=_num(c.total),
        basis=basis(c), below=tuple(BelowTarget(p.name, _num(p.value), p.file, p.sheet, p.cell) for p in c.below),
        files=c.files)


def _data_submission(f) -> SubmissionResult:
    return SubmissionResult(
        file=f.file, sha256=f.sha256, department=None, status=f.status, fill_date="", returned=None,
        findings=tuple(FindingRecord.of(x) for x in f.findings),
        data=tuple(f.names), rows=f.row_count(), replaced_by=f.replaced_by, read_rows=f.seen_count())


def _office_findings(computation, data_files: Sequence) -> tuple[FindingRecord, ...]:
    """Every data.* finding, for the office that dropped the data in: the data files' own (with their
    cells, also in submissions[]) and the round's (data.no_rows, data.missing)."""
    found = [x for f in data_files for x in f.findings] + (list(computation.findings) if computation else [])
    return tuple(FindingRecord.of(x, with_file=True) for x in found)
