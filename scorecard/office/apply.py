"""The office's own pass (CONTRACT.md §11): verified scores (核定分) and rectification tracking (整改销号).

Two steps around scoring, both called by the pipeline:

    state = load_office(rules, round_name, round_dir, office_files, ledger_path, now, submissions, previous)
    summary = summarise(..., reviews=state.scores())           # 核定得分 replaces the self-score
    apply_office(summary, state)                               # gap keys, tracking, reviews, findings

`load_office` reads the round folder's 核定表.xlsx / 问题清单.xlsx and every office copy from the
input folder, finds the cells that differ from what the tool wrote into that copy (office_read),
judges them (every §11 rule id) and records each accepted edit in the ledger. Tracking edits are
judged in `apply_office`, once this round's gaps are known.

Conflicts: the newest edit of a row wins. Each recorded row keeps the modification time of the
file its last edit came from; an edit from a file saved earlier than that (a stale copy mailed
back) is ignored, so it cannot undo later work. Verified scores belong to their round; tracking
follows a gap into the next round while the gap persists.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import store
from .extensions import extend_row, extension_problem, is_iso
from ..scoring.analysis import analyse
from ..base.findings import FileProblem, Finding, finding
from .gaplist import tracking_cell
from .read import (CLOSED, GAP_FILE, GAP_SHEET, NOT_STARTED, REVIEW, REVIEW_FILE, TRACKING_STATES,
                   Edit, OfficeCopy, Row, changed_cells, is_office_workbook, read_copies, required_fields, review_key)
from .store import Review, Tracking, edit_history, gap_key
from ..scoring.result import (FindingRecord, ReviewResult, Summary, TrackingResult,
                              rectification)
from ..rules import Rules
from ..base.text import fmt_number, parse_number
from ..intake.validation import Checked

logger = logging.getLogger(__name__)

__all__ = ["Review", "Tracking", "OfficeState", "load_office", "apply_office", "is_office_workbook",
           "office_checked", "gap_key", "edit_history", "REVIEW_FILE", "GAP_FILE", "OFFICE"]

OFFICE = "office"                # submissions[].status of an office file

@dataclass
class OfficeState:
    round: str
    reviews: dict[tuple[str, str], Review] = field(default_factory=dict)    # every recorded row
    tracking: dict[str, Tracking] = field(default_factory=dict)             # recorded for this round
    previous_tracking: dict[str, Tracking] = field(default_factory=dict)    # last round's, by gap key
    previous_keys: set[str] = field(default_factory=set)                    # last round's gap keys
    earlier_keys: set[str] = field(default_factory=set)                     # every gap key ever seen
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)                          # office files read
    pending: list[Edit] = field(default_factory=list)                      # tracking edits, judged later
    self_scores: dict[tuple[str, str], float] = field(default_factory=dict)
    ledger_path: Path | None = None
    now: dt.datetime | None = None
    round_file: str = ""                                                    # label of the round's gap list
    review_file: str = ""                                                   # label of the round's 核定表
    # 核定 rows refused this run in the round's own 核定表: (department, indicator) -> what was typed
    # and why it was refused. The rewritten 核定表 shows them in their cells, marked and commented,
    # so the next run reads them again and repeats the error until the office corrects the cell.
    refused: dict[tuple[str, str], dict] = field(default_factory=dict)
    refused_tracking: dict[str, dict] = field(default_factory=dict)         # the same for 问题清单, by gap key

    def scores(self) -> dict[tuple[str, str], float]:
        """(department, indicator) -> 核定得分, for scoring."""
        return {k: r.score for k, r in self.reviews.items() if r.score is not None}

    def review_rows(self) -> dict[tuple[str, str], dict]:
        """Everything recorded per 核定 row, for writing 核定表.xlsx."""
        return {k: {"score": r.score, "reason": r.reason, "reviewer": r.reviewer, "date": r.date}
                for k, r in self.reviews.items()}

    def effective(self, key: str) -> Tracking:
        """A gap's tracking now: recorded this round, else carried from last round, else 未整改."""
        if key in self.tracking:
            return self.tracking[key]
        if key in self.previous_keys and key in self.previous_tracking:
            return self.previous_tracking[key]
        return Tracking()

    def extensions(self) -> dict[str, str]:
        """gap key -> 延期至 (ISO date) of every extension standing this run (§14), for scoring:
        recorded this round, or carried from last round's gap while it persists."""
        keys = set(self.tracking) | (self.previous_keys & set(self.previous_tracking))
        out = {}
        for key in keys:
            to = self.effective(key).extended_to
            if to and is_iso(to):
                out[key] = to
        return out

    def findings_of(self, file: str) -> list[Finding]:
        return [f for f in self.findings if f.file == file]


# --- step 1: before scoring ------------------------------------------------------------------

def load_office(rules: Rules, round_name: str, round_dir: Path, office_files: dict[Path, str] | list[Path],
                ledger_path: Path, now: dt.datetime, submissions=(), previous: dict | None = None,
                computation=None) -> OfficeState:
    """Read every office workbook, judge and record the 核定 edits, keep the tracking edits for later.

    office_files: input-folder files that `is_office_workbook` recognised (path -> label shown in
    findings, or a list of paths). submissions: this run's, to know each department's self-score.
    previous: last round's summary (from the ledger), for tracking carried over. computation: the
    round's computed scores (§12), which stand in for the self-score of a computed indicator.
    """
    if not isinstance(office_files, dict):
        office_files = {Path(p): str(p) for p in office_files}
    state = OfficeState(round=round_name, ledger_path=Path(ledger_path), now=now)
    state.self_scores = _self_scores(rules, submissions)
    for c in getattr(computation, "scores", None) or ():
        state.self_scores[(c.department, c.indicator)] = c.score
    state.round_file = (Path(round_dir) / GAP_FILE).as_posix()
    state.review_file = (Path(round_dir) / REVIEW_FILE).as_posix()
    with closing(store.connect(state.ledger_path)) as conn:
        state.reviews = store.load_reviews(conn, round_name)
        state.tracking = store.load_tracking(conn, round_name)
        state.earlier_keys = store.earlier_keys(conn)
        if previous is not None:
            state.previous_keys = {gap_key(g) for g in previous.get("gaps", [])}
            prev = store.load_tracking(conn, previous["round"])
            for g in previous.get("gaps", []) + previous.get("closed_gaps", []):
                k = gap_key(g)
                if k not in prev and isinstance(g.get("tracking"), dict):
                    t = g["tracking"]
                    prev[k] = Tracking(t.get("status") or NOT_STARTED, t.get("note", ""), t.get("closed_on", ""),
                                       t.get("verifier", ""), extended_to=t.get("extended_to") or "",
                                       extension_reason=t.get("extension_reason") or "")
            state.previous_tracking = prev
    sources = [(Path(round_dir) / REVIEW_FILE, (Path(round_dir) / REVIEW_FILE).as_posix()),
               (Path(round_dir) / GAP_FILE, state.round_file)]
    sources += [(Path(p), label) for p, label in office_files.items()]
    copies = []
    for path, label in sources:
        if not path.is_file():
            continue
        state.files.append(label)
        try:
            found = read_copies(path, label, rules.limits.long_sheets())
        except FileProblem as problem:
            state.findings.append(replace(problem.finding, file=label))
            continue
        for copy in found:
            # One of our copies that lost an editable column: the office should know. A sheet of its
            # own making may hold only some columns, and a gap list from before §11 none: not a problem.
            if copy.written is not None and copy.missing and len(copy.missing) < len(required_fields(copy.kind)):
                for title in copy.missing:
                    state.findings.append(finding("header.missing", sheet=copy.sheet, cell=f"A{copy.header_row}",
                                                  file=label, column=title, what="列"))
        copies.extend(found)
    baseline_reviews = {k: r.display() for k, r in state.reviews.items()}
    baseline_tracking: dict[str, dict] = {}
    edits: list[Edit] = []
    for copy in copies:
        first: dict[tuple[str, str], Row] = {}          # a 核定 row's first occurrence in this copy
        conflicting: set[tuple[str, str]] = set()
        for row in copy.rows:
            if copy.kind == REVIEW:
                key = _review_row_key(rules, copy, row, state)
                if key is None:
                    continue
                if key in first:            # the same (部门, 指标编号) twice: never first-wins silently
                    if row.values.get("score") != first[key].values.get("score"):
                        conflicting.add(key)
                        state.findings.append(_duplicate_row(copy, first[key], row, key))
                    continue
                first[key] = row
                base = _baseline(copy, review_key(*key), baseline_reviews.get(key))
            else:
                key = row.keys["问题编号"]
                if key not in baseline_tracking:
                    baseline_tracking[key] = state.effective(key).display()
                base = _baseline(copy, key, baseline_tracking[key])
            changes = changed_cells(row, base)
            # A tracking row we did not write is checked against the known gaps even when it changes
            # nothing (tracking.unknown_gap), as an unknown 核定 row is.
            ours = copy.written is not None and (key if copy.kind != REVIEW else review_key(*key)) in copy.written
            if changes or (copy.kind != REVIEW and not ours):
                edits.append(Edit(copy.kind, key, changes, row, copy, len(edits)))
        if conflicting:         # neither score is taken: the previous value stands (a review.* error)
            edits = [e for e in edits if not (e.copy is copy and e.key in conflicting)]
    edits.sort(key=lambda e: e.sort_key)
    # Tracking edits of a gap already known are judged now, so that an extension (§14 延期) counts in
    # this run's scoring (逾期) as a 核定得分 does; an edit of a gap not seen before waits for this
    # run's gaps (apply_office), where it is judged or found unknown.
    known = state.earlier_keys | set(state.tracking) | set(state.previous_tracking) | state.previous_keys
    recorded = now.isoformat(timespec="seconds")
    with closing(store.connect(state.ledger_path)) as conn, conn:
        for edit in edits:
            if edit.kind == REVIEW:
                _apply_review(conn, rules, state, edit)
            elif edit.key in known:
                _apply_tracking(conn, state, edit, known, recorded)
            else:
                state.pending.append(edit)
    return state


def _self_scores(rules: Rules, placed) -> dict[tuple[str, str], float]:
    """(department, indicator) -> the self-score that counts this run (0 without an accepted file)."""
    scores = {}
    for p in placed:
        sub = getattr(p, "checked", p)
        if p.status != "accepted" or not sub.department:
            continue
        for entry in sub.entries:
            scores[(sub.department, entry.indicator)] = entry.score
    return {(d, i.code): scores.get((d, i.code), 0.0) for i in rules.indicators for d in i.departments}


def _baseline(copy: OfficeCopy, row_key: str, current: dict | None) -> dict | None:
    """What this copy showed in the row when written; for a file that is not ours (or a row we did
    not write), what the ledger holds now, so only real changes count as edits."""
    if copy.written is not None and row_key in copy.written:
        return copy.written[row_key]
    return current


def _duplicate_row(copy: OfficeCopy, kept: Row, again: Row, key: tuple[str, str]):
    return finding("review.duplicate_row", sheet=copy.sheet, cell=again.cells.get("score", again.key_cells["指标编号"]),
                   value=again.raw.get("score"), file=copy.file, department=key[0], code=key[1],
                   first=kept.number, again=again.number, first_score=kept.values.get("score") or "（空）",
                   again_score=again.values.get("score") or "（空）")


def _review_row_key(rules: Rules, copy: OfficeCopy, row: Row, state: OfficeState):
    typed_dept, code = row.keys["部门"], row.keys["指标编号"]
    dept = rules.department(typed_dept) if typed_dept else None
    if dept is None:
        state.findings.append(finding("review.unknown_row/department", sheet=copy.sheet,
                                      cell=row.key_cells["部门"], value=typed_dept, file=copy.file,
                                      code=code or "（空）"))
        return None
    if code not in {i.code for i in rules.indicators_of(dept.name)}:
        state.findings.append(finding("review.unknown_row", sheet=copy.sheet, cell=row.key_cells["指标编号"],
                                      value=code, file=copy.file, department=dept.name, code=code or "（空）"))
        return None
    return dept.name, code


def _stale(edit: Edit, current_stamp: float, current_file: str) -> bool:
    """An edit from a file saved before the row's last recorded edit, or that very edit seen again."""
    if edit.copy.mtime < current_stamp:
        logger.info("%s %s: older than the recorded edit; ignored", edit.copy.file, edit.row.number)
        return True
    return edit.copy.mtime == current_stamp and edit.copy.file == current_file


def _apply_review(conn, rules: Rules, state: OfficeState, edit: Edit) -> None:
    dept, code = edit.key
    current = state.reviews.get(edit.key, Review(None))
    if _stale(edit, current.stamp, current.file):
        return
    ind = rules.indicator(code)
    where = {"sheet": edit.copy.sheet, "file": edit.copy.file}
    cells, raw = edit.row.cells, edit.row.raw
    problems = []
    score = current.score
    if "score" in edit.changes:
        text = edit.changes["score"]
        number = parse_number(text) if text else None
        if text and number is None:
            problems.append(finding("review.not_number", cell=cells["score"], value=raw.get("score"),
                                    max=fmt_number(ind.max), **where))
        elif number is not None and not (-1e-9 <= number <= ind.max + 1e-9):
            problems.append(finding("review.out_of_range", cell=cells["score"], value=fmt_number(number),
                                    code=code, max=fmt_number(ind.max), **where))
        score = number
    if "date" in edit.changes and edit.changes["date"] and not is_iso(edit.changes["date"]):
        problems.append(finding("review.date_invalid", cell=cells["date"], value=raw.get("date"), **where))
    reason = edit.changes.get("reason", current.reason)
    self_score = state.self_scores.get(edit.key, 0.0)
    if (not problems and score is not None and abs(score - self_score) > 1e-9 and not reason
            and ({"score", "reason"} & set(edit.changes))):
        problems.append(finding("review.reason_missing", cell=cells.get("reason", cells.get("score", "")),
                                value="", score=fmt_number(score), self_score=fmt_number(self_score), **where))
    if problems:                  # the whole row is ignored; the previous values stand
        state.findings.extend(problems)
        if edit.copy.file == state.review_file:     # a copy in input/ keeps what was typed itself
            state.refused[edit.key] = {"values": {name: raw.get(name) for name in edit.changes},
                                       "cells": {p.cell for p in problems},
                                       "note": "\n".join(f"未采用：{p.message}" for p in problems)}
        return
    state.refused.pop(edit.key, None)
    recorded = state.now.isoformat(timespec="seconds")
    new = Review(score=score, reason=reason, reviewer=edit.changes.get("reviewer", current.reviewer),
                 date=edit.changes.get("date", current.date), file=edit.copy.file, recorded=recorded,
                 stamp=edit.copy.mtime)
    old = current.display()
    applied = {k: v for k, v in new.display().items() if v != old.get(k)}
    if not applied:
        return
    store.save_review(conn, state.round, edit.key, new)
    store.log_edits(conn, state.round, edit, old, applied, recorded)
    state.reviews[edit.key] = new


# --- step 2: after scoring -------------------------------------------------------------------

def apply_office(summary: Summary, state: OfficeState) -> Summary:
    """Judge and record the tracking edits against this round's gaps; return the summary with the
    §11 fields: gaps[].tracking, closed_gaps[].tracking, rectification, reviews, office_findings,
    and the findings of each office file on its submissions[] entry."""
    gaps = summary.gaps
    current = {g.key for g in gaps}
    known = current | state.earlier_keys | set(state.tracking) | set(state.previous_tracking)
    recorded = state.now.isoformat(timespec="seconds")
    with_state = summary.previous_round is not None or any(g.state for g in gaps)
    with closing(store.connect(state.ledger_path)) as conn, conn:
        for edit in sorted(state.pending, key=lambda e: e.sort_key):
            _apply_tracking(conn, state, edit, known, recorded)
        state.pending = []
        for no, gap in enumerate(gaps):
            tracking = state.effective(gap.key)
            if gap.key not in state.tracking:            # carried or default: pin it to this round
                store.save_tracking(conn, state.round, gap.key, tracking)
                state.tracking[gap.key] = tracking
            if tracking.status == CLOSED:
                state.findings.append(_closed_but_open(state, gap.key, tracking, tracking_cell(no, with_state)))
        history = store.extension_history(conn, state.round, [g.key for g in gaps])   # kept when cleared too
    gaps = tuple(replace(g, tracking=_result(state.effective(g.key), history, g.key)) for g in gaps)
    closed = summary.closed_gaps
    if closed is not None:
        closed = tuple(replace(g, tracking=_closed_tracking(state, g)) for g in closed)
    submissions = tuple(
        replace(sub, findings=tuple(FindingRecord.of(f) for f in state.findings_of(sub.file)))
        if sub.status == OFFICE else sub for sub in summary.submissions)
    done = replace(summary, gaps=gaps, closed_gaps=closed, submissions=submissions,
                   reviews=_reviews(summary, state), rectification=rectification(gaps), analysis=None,
                   office_findings=summary.office_findings + tuple(
                       FindingRecord.of(f, with_file=True) for f in state.findings))
    # The report's analysis reads reviews and tracking too: made again from the completed summary.
    return replace(done, analysis=analyse(done.to_dict())) if summary.analysis is not None else done


def _result(t: Tracking, history: dict[str, list[dict]] | None = None, key: str = "") -> TrackingResult:
    extensions = tuple((history or {}).get(key, ())) or None
    return TrackingResult(t.status, t.note, t.closed_on, t.verifier, t.extended_to or None,
                          t.extension_reason or None, extensions)


def _closed_tracking(state: OfficeState, gap) -> TrackingResult:
    """A closed gap keeps its tracking: this round's edits of it, else last round's."""
    if gap.key in state.tracking:
        return _result(state.tracking[gap.key])
    if gap.key in state.previous_tracking:
        return _result(state.previous_tracking[gap.key])
    t = gap.tracking
    if isinstance(t, dict):                      # an earlier summary.json read back
        return TrackingResult(t.get("status") or NOT_STARTED, t.get("note", ""), t.get("closed_on", ""),
                              t.get("verifier", ""))
    return t if isinstance(t, TrackingResult) else TrackingResult()


def office_checked(path: Path, label: str) -> Checked:
    """An office file's entry in submissions[] (status `office`); its findings are added later."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
    except OSError:
        sha = ""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return Checked(file=label, path=path, sha256=sha, mtime=mtime)


def _apply_tracking(conn, state: OfficeState, edit: Edit, known: set[str], recorded: str) -> None:
    key = edit.key
    cells, raw = edit.row.cells, edit.row.raw
    where = {"sheet": edit.copy.sheet, "file": edit.copy.file}
    if key not in known:
        state.findings.append(finding("tracking.unknown_gap", cell=edit.row.key_cells["问题编号"], value=key, **where))
        return
    current = state.effective(key)
    if not edit.changes or _stale(edit, current.stamp, current.file):
        return
    accepted = dict(edit.changes)
    problems: list[Finding] = []
    refused_fields: list[str] = []
    if "status" in accepted and accepted["status"] not in TRACKING_STATES:
        problems.append(finding("tracking.status_invalid", cell=cells["status"], value=raw.get("status"), **where))
        refused_fields.append("status")
        del accepted["status"]
    if accepted.get("closed_on") and not is_iso(accepted["closed_on"]):
        problems.append(finding("tracking.date_invalid", cell=cells["closed_on"], value=raw.get("closed_on"),
                                **where))
        refused_fields.append("closed_on")
        del accepted["closed_on"]
    extension = extension_problem(current, accepted, edit)
    if extension is not None:
        problems.append(extension)
        for name in ("extended_to", "extension_reason"):
            if accepted.pop(name, None) is not None:
                refused_fields.append(name)
    merged = {**current.display(), **accepted}
    if merged["status"] == CLOSED and not (merged["closed_on"] and merged["verifier"]):
        missing = "、".join(t for name, t in (("closed_on", "销号日期"), ("verifier", "核验人")) if not merged[name])
        cell = cells.get("status") if "status" in accepted else cells.get(
            "closed_on" if not merged["closed_on"] else "verifier", "")
        problems.append(finding("tracking.close_incomplete", cell=cell or "", value=raw.get("status"),
                                key=key, missing=missing, **where))
        for name in ("status", "closed_on", "verifier"):
            if accepted.pop(name, None) is not None:
                refused_fields.append(name)
        merged = {**current.display(), **accepted}
    state.findings.extend(problems)
    if problems and edit.copy.file == state.round_file:     # kept in its cell, as 核定 rows are
        state.refused_tracking[key] = {"values": {name: raw.get(name) for name in refused_fields},
                                       "note": "\n".join(f"未采用：{p.message}" for p in problems)}
    elif not problems:
        state.refused_tracking.pop(key, None)
    old = current.display()
    applied = {k: v for k, v in merged.items() if v != old.get(k)}
    if not applied:
        return
    new = Tracking(**merged, file=edit.copy.file, recorded=recorded, stamp=edit.copy.mtime)
    store.save_tracking(conn, state.round, key, new)
    store.log_edits(conn, state.round, edit, old, applied, recorded)
    state.tracking[key] = new
    if {"extended_to", "extension_reason"} & set(applied):
        extend_row(conn, state, key, new, known)


def _closed_but_open(state: OfficeState, key: str, tracking: Tracking, cell: str) -> Finding:
    """Reported on every run while the gap is signed off but still in this round's data; the cell
    is the gap's 整改状态 in the regenerated 问题清单.xlsx."""
    return finding("tracking.closed_but_open", sheet=GAP_SHEET, cell=cell, value=CLOSED, file=state.round_file,
                   key=key, closed_on=tracking.closed_on or "未填", verifier=tracking.verifier or "未填")


def _reviews(summary: Summary, state: OfficeState) -> tuple[ReviewResult, ...]:
    order = {(e.department, e.indicator): n for n, e in enumerate(summary.entries)}
    own = {(e.department, e.indicator): e.self_score for e in summary.entries}
    out = []
    for key in sorted(state.scores(), key=lambda k: (order.get(k, len(order)), k)):
        r = state.reviews[key]
        out.append(ReviewResult(department=key[0], indicator=key[1],
                                self_score=_num(own.get(key, state.self_scores.get(key, 0.0))), score=_num(r.score),
                                reason=r.reason, reviewer=r.reviewer, date=r.date))
    return tuple(out)


def _num(x):
    x = round(float(x), 10)
    return int(x) if x.is_integer() else x
