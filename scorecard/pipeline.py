"""One run end to end: the only module that knows every stage.

discover files → read safely → validate → choose the latest accepted per department → score →
write every output into a staging folder → swap it into place → record the round in the ledger.
The clock is passed in; nothing here decides a score.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .checking import check_files, ignore_reason
from .feedback import write_returned
from .findings import finding
from .fsutil import run_lock, staged_directory
from .ledger import Ledger
from .office import OFFICE, REVIEW_FILE, add_self_scores, apply_office, is_office_workbook, load_office
from .office_write import write_review_xlsx
from .reports import write_reports
from .rules import Rules
from .scoring import choose_latest, summarise
from .text import safe_filename
from .validation import ACCEPTED, REJECTED, Submission

RETURNED_DIR = "退回"


@dataclass
class RunResult:
    summary: dict
    round_dir: Path
    submissions: list[Submission] = field(default_factory=list)


def default_round(rules: Rules, as_of: dt.date) -> str:
    return rules.round or f"{as_of.year}年第{(as_of.month - 1) // 3 + 1}季度"


def discover(input_dir: Path, exclude: Path | None = None) -> list[Path]:
    """Every file below input_dir (subfolders included), in a stable order; the output folder is skipped."""
    found = []
    exclude = exclude.resolve() if exclude else None
    for root, dirs, files in os.walk(input_dir):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (exclude is None or (root_path / d).resolve() != exclude))
        found.extend(root_path / name for name in sorted(files))
    return found


def run(rules: Rules, input_dir: Path, output_dir: Path, *, round_name: str | None = None,
        as_of: dt.date | None = None, templates_dir: Path | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now, log=print) -> RunResult:
    """Process every workbook in input_dir into output_dir/<round>/. Raises LockHeld when another run is on."""
    now = clock()
    as_of = as_of or rules.as_of or now.date()
    round_name = round_name or default_round(rules, as_of)
    if not input_dir.is_dir():
        raise NotADirectoryError(str(input_dir))
    with run_lock(output_dir):
        paths = discover(input_dir, exclude=output_dir)
        labels = {p: (input_dir / p.relative_to(input_dir)).as_posix() for p in paths}
        office_paths = _office_files(paths)
        subs = check_files([p for p in paths if p not in office_paths], rules, labels=labels)
        choose_latest(subs)
        _name_returned(subs)
        ledger = Ledger(output_dir)
        _carry_over(subs, ledger, rules, round_name)
        previous = ledger.previous(round_name)
        round_dir = output_dir / safe_filename(round_name)
        # --- the office's own pass (CONTRACT.md §11): read and record its edits before scoring ---
        office = load_office(rules, round_name, round_dir, {p: labels[p] for p in office_paths}, ledger.path,
                             now, subs, previous)
        subs.extend(Submission(file=labels[p], path=p, sha256=_office_sha(p), status=OFFICE) for p in office_paths)
        # --- end office ---
        with staged_directory(round_dir) as stage:
            for sub in subs:
                if sub.status == REJECTED:
                    _write_returned(sub, stage, rules, round_name, log)
            summary = summarise(rules, subs, round_name=round_name, as_of=as_of, generated_at=now,
                                previous=previous, reviews=office.scores())
            # --- office: self-scores beside verified ones, tracking, reviews, office findings ---
            self_summary = summarise(rules, subs, round_name=round_name, as_of=as_of, generated_at=now,
                                     previous=previous) if office.scores() else summary
            apply_office(summary, office)
            add_self_scores(summary, self_summary)
            # --- end office ---
            (stage / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
            write_reports(summary, stage, templates_dir)
            write_review_xlsx(summary, stage / REVIEW_FILE, office.review_rows(), now=now)
        started = now.isoformat(timespec="microseconds")
        ledger.record(summary, started)
        ledger.keep_accepted(round_name, rules.fingerprint, [x for x in subs if x.status == ACCEPTED], started)
    return RunResult(summary, round_dir, subs)


def _office_files(paths: list[Path]) -> set[Path]:
    """Office workbooks (a sheet named 核定表 or 问题清单) in the input folder: read as the office's
    edits, never validated as a department's submission (CONTRACT.md §11)."""
    return {p for p in paths if not ignore_reason(p) and p.suffix.lower() in (".xlsx", ".xlsm")
            and is_office_workbook(p)}


def _office_sha(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _carry_over(subs: list[Submission], ledger: Ledger, rules: Rules, round_name: str) -> None:
    """A rejected resubmission counts for nothing: the department's last accepted submission of this
    round (from an earlier run, e.g. before the file in input/ was overwritten) still stands."""
    accepted = {s.department for s in subs if s.status == ACCEPTED}
    for dept in dict.fromkeys(s.department for s in subs if s.status == REJECTED and s.department):
        record = None if dept in accepted else ledger.accepted_before(round_name, rules.fingerprint, dept)
        if record is None:
            continue
        old = Submission.from_record(record)
        old.status = ACCEPTED
        old.findings.append(finding("submission.carried_over", file=old.file, shown=old.file,
                                    date=old.fill_date.isoformat() if old.fill_date else "未填"))
        subs.append(old)


def _name_returned(subs: list[Submission]) -> None:
    used = set()
    for sub in subs:
        if sub.status != REJECTED:
            continue
        stem = safe_filename(Path(sub.file).stem)
        name, n = f"{stem}_退回.xlsx", 2
        while name in used:
            name, n = f"{stem}_{n}_退回.xlsx", n + 1
        used.add(name)
        sub.returned = f"{RETURNED_DIR}/{name}"


def _write_returned(sub: Submission, stage: Path, rules: Rules, round_name: str, log) -> None:
    target = stage / sub.returned
    target.parent.mkdir(parents=True, exist_ok=True)
    original = None if _file_level(sub) else sub.data
    try:
        write_returned(original, sub.findings, target, file_label=sub.file, department=sub.department,
                       round_name=round_name, rules_title=rules.title)
    except Exception:  # an annotated copy that cannot be written must not lose the run
        log(f"警告：无法为 {sub.file} 生成退回件，已跳过。", file=sys.stderr)
        traceback.print_exc()
        sub.returned = None


def _file_level(sub: Submission) -> bool:
    return any(f.rule.startswith("file.") for f in sub.findings)
