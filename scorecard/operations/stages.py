"""Every stage of a full run, in order (pipeline.run decides whether one is needed at all).

discover files → read safely → validate → choose the latest accepted per department → score →
write every output into a staging folder → swap it into place → record the round in the ledger.
The clock is passed in; nothing here decides a score. A file can only ever cause findings; an
exception raised by our own code fails the run (the previous outputs stay as they were).
The caller holds the run lock.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..intake.checking import CHECKING_VERSION, check_file, ignore_reason, ignored
from .dashboard import write_overview, write_round
from ..intake.datasets import DataFile, compute, recognise
from ..forms.feedback import write_returned
from ..base import settings
from ..base.console import ProgressFn as Progress
from ..base.findings import FileProblem, finding
from ..base.fsutil import file_sha256, staged_directory
from .evidence import evidence_paths, file_binder, gather, without_answered_text_warnings
from .ledger import Ledger
from ..intake.listing import Refused, shown
from ..scoring.lights import with_lights
from ..office.owners import OWNER_FILE, write_owner_list
from ..office.apply import OFFICE, REVIEW_FILE, apply_office, is_office_workbook, load_office, office_checked
from ..office.write import write_review_xlsx
from ..base.pools import MAX_WORKERS, Pool, parallel_from
from ..reports.evidence_doc import INDEX_DOCX, write_evidence_document
from ..reports.evidence_index import INDEX_XLSX, write_evidence_index
from ..reports.write import write_reports
from ..rules import Rules
from ..intake.safety import open_safely
from ..scoring.result import write_json
from ..scoring.score import Placed, choose_latest, summarise
from ..base.text import add_working_days, fmt_number, safe_filename
from ..intake.validation import ACCEPTED, IGNORED, REJECTED, Checked

RETURNED_DIR = "退回"
logger = logging.getLogger(__name__)



@contextmanager
def _timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def process(rules: Rules, input_dir: Path, output_dir: Path, hashes: dict[Path, str], *, round_name: str,
            as_of: dt.date, now: dt.datetime, templates_dir: Path | None, progress: Progress,
            workers: int, settle: float = 30.0, refused: dict[Path, Refused] | None = None,
            wall: Callable[[], float] = time.time) -> tuple[dict, Path, list[Placed], list, dict[str, float]]:
    """Read, check and score every file of hashes (found below input_dir, each with its SHA-256
    taken before the run) and write the round's outputs to output_dir/<round>/.
    workers: processes for reading files (1 reads in this process).
    Returns summary.json as written, the round folder, every file's place, the manifest of what
    write_reports wrote and the seconds per stage.
    refused: the entries never to open (listing.walk): FIFOs, devices, links out of the input folder."""
    timings: dict[str, float] = {}
    paths = list(hashes)
    logger.info("开始处理 %s：在 %s 中找到 %d 个文件", round_name, input_dir, len(paths))
    # --- §11: the office's workbooks are its edits, never a department's submission ---
    refused = refused or {}
    evidence_files = evidence_paths(paths, input_dir)          # §13: never read as workbooks
    paths = [p for p in paths if p not in evidence_files]
    office_files = {p: _label(input_dir, p) for p in paths
                    if p not in refused and not hashes[p].startswith("file.too_large:")
                    and not ignore_reason(p) and _is_office_file(p)}
    paths = [p for p in paths if p not in office_files]
    # --- end §11 ---
    ledger = Ledger(output_dir)
    with _timed(timings, "read+validate"):
        placed_ignored, checked, fresh, data_files = _check_all(paths, input_dir, rules, ledger, progress,
                                                                workers, hashes, refused)
        computation = compute(rules, data_files)        # §12: scores from data workbooks
    copying, checked = _still_copying(checked, settle, wall())
    placed_ignored += copying
    checked = _from_earlier_rounds(checked, ledger.counted_elsewhere(round_name))
    placed = _name_returned(choose_latest(checked))
    placed += _carry_over(placed, ledger, rules, round_name)
    placed += placed_ignored
    with _timed(timings, "evidence"):                           # §13
        evidence = gather(rules, input_dir, placed, ledger, round_name, workers)
        placed = without_answered_text_warnings(placed, evidence)
    previous = ledger.previous(round_name)
    round_dir = output_dir / safe_filename(round_name)
    # --- the office's own pass (CONTRACT.md §11): its edits are read and recorded before scoring ---
    office = load_office(rules, round_name, round_dir, office_files, ledger.path, now, placed, previous,
                         computation)
    placed += [Placed(office_checked(path, label), OFFICE) for path, label in office_files.items()]
    # --- end §11 ---
    # Counted from the round's first run, or from the report date (as_of) when that is later, so
    # that a report never asks for a resubmission by a day before its own date, and a rerun on
    # a later day neither moves the date nor makes every notice new content to mail again.
    first = ledger.first_run(round_name) or now.date()
    resubmit_by = add_working_days(max(first, as_of), rules.resubmit_days, rules.holidays, rules.workdays)
    with staged_directory(round_dir) as stage:
        rejected = [p for p in placed if p.status == REJECTED and p.returned]
        with _timed(timings, "returned copies"):
            for n, p in enumerate(rejected, 1):
                _write_returned(p, stage, rules, round_name, resubmit_by)
                progress("returned", n, len(rejected))
        with _timed(timings, "evidence"):
            binder = file_binder(evidence, stage, rules)            # §13 the 测评组's binder
        with _timed(timings, "score"):
            result = summarise(rules, placed, round_name=round_name, as_of=as_of, generated_at=now,
                               resubmit_by=resubmit_by, previous=previous,
                               computation=computation, data_files=data_files, reviews=office.scores(),
                               extensions=office.extensions(), evidence=evidence, binder=binder)
            result = apply_office(result, office)                               # §11
            result = with_lights(result, rules.schedule, as_of)                 # §14
            summary = result.to_dict()
            if summary.get("followup") is not None:        # §14: what the follow-up has queued so far
                summary["followup"]["reminders"] = ledger.reminders(round_name)
                summary["followup"]["escalated"] = ledger.escalated(summary["followup"]["reminders"])
            counts = result.counts
            del result          # from here on only the dict is read: the typed records (140,000
            #                     entries at 10,000 departments) would double the peak memory
            with (stage / "summary.json").open("w", encoding="utf-8") as fh:   # streamed: at 10,000
                write_json(summary, fh)        # departments the text is 100s of MB
        with _timed(timings, "reports"):
            # §11: the office edits 核定表 and 问题清单 in place, so both are always written afresh
            # (write_reports never reuses 问题清单.xlsx: an edit that was ignored must not survive).
            # 核定表 is written here while the department reports render in the pool.
            manifest = write_reports(summary, stage, templates_dir, workers=workers,
                                     previous_dir=round_dir if round_dir.is_dir() else None,
                                     refused_tracking=office.refused_tracking,
                                     alongside=lambda: write_review_xlsx(summary, stage / REVIEW_FILE,
                                                                         office.review_rows(), now=now,
                                                                         refused=office.refused))
            write_owner_list(summary, stage / OWNER_FILE)                       # §14 责任人清单
            write_evidence_index(summary, stage / INDEX_XLSX)                   # §13 佐证材料目录
            write_evidence_document(summary, stage, stage / INDEX_DOCX,
                                    previous_dir=round_dir if round_dir.is_dir() else None)
        with _timed(timings, "dashboard"):
            write_round(summary, stage, output_dir, templates_dir)                      # §15 看板
    started = now.isoformat(timespec="microseconds")
    with _timed(timings, "ledger"):
        ledger.record(summary, started)
        ledger.keep_checked(_check_key(rules), fresh)
        ledger.keep_accepted(round_name, rules.fingerprint,
                             [p.checked for p in placed if p.status == ACCEPTED], started)
    with _timed(timings, "dashboard"):
        write_overview(output_dir, templates_dir, current=summary)                      # §15 看板, every round
    logger.info("处理完成：采用 %d 份，退回 %d 份；%d 个部门未报送，%d 个部门被退回；问题 %d 条；输出 %s",
                counts.files.get(ACCEPTED, 0), counts.files.get(REJECTED, 0), counts.missing,
                counts.returned, counts.gaps, round_dir)
    return summary, round_dir, placed, manifest, timings


def _check_key(rules: Rules) -> str:
    """Checked files are reused while the rules and the checking code are the same."""
    return f"{rules.fingerprint}:{CHECKING_VERSION}" + _data_key(rules)


def _data_key(rules: Rules) -> str:
    """Which files are data workbooks (§12) depends on `data:` too: a change there rechecks every file."""
    if not rules.data:
        return ""
    shape = json.dumps([[d.name, list(d.columns), d.department, d.person] for d in rules.data], ensure_ascii=False)
    return ":" + hashlib.sha256(shape.encode()).hexdigest()[:12]


PARALLEL_FROM = int(settings.get("read_pool_from"))     # fewer files are read in this process (base/settings.py)
SPAWN_PARALLEL_FROM = int(settings.get("read_pool_from_spawn"))   # workers spawned (Windows): bench_spawn.py


def _label(input_dir: Path, path: Path) -> str:
    """How a file is named in summary.json, findings and the ledger: printable whatever its bytes."""
    return shown((input_dir / path.relative_to(input_dir)).as_posix())


def _check_all(paths: list[Path], input_dir: Path, rules: Rules, ledger: Ledger, progress: Progress,
               workers: int = 1, hashes: dict[Path, str] | None = None, refused: dict | None = None):
    """Every file read and validated, except that a file whose bytes were already checked under the
    same rules (a rerun) comes from the ledger without being parsed again.
    A data workbook (§12) is recognised by its columns and kept apart: status `data`, never returned.
    Returns (ignored files, checked files, the checked ones that are new to the ledger, data files)."""
    placed_ignored, todo, never_opened = [], [], []
    refused = refused or {}
    for path in paths:
        label = _label(input_dir, path)
        reason = ignore_reason(path)
        if reason:
            placed_ignored.append(Placed(ignored(path, label, reason), IGNORED))
        elif path in refused:           # never opened, and no annotated copy (there is nothing to mark up)
            why = refused[path]
            never_opened.append(Checked(file=label, path=None, findings=(finding(why.rule, file=label,
                                                                                 reason=why.reason),)))
        else:
            todo.append((path, label, hashes[path] if hashes and path in hashes else file_sha256(path)))
    known = ledger.checked_before(_check_key(rules), [(sha, label) for _, label, sha in todo if sha])
    checked: list[Checked | None] = [None] * len(todo)
    missing = []
    for n, (path, label, sha) in enumerate(todo):
        hit = known.get((sha, label))
        try:
            checked[n] = replace(hit, path=path, mtime=path.stat().st_mtime) if hit is not None else None
        except OSError:
            pass            # gone since it was hashed: check_file reports it
        if checked[n] is None:
            missing.append(n)
    fresh, data_files = [], []
    for done, (n, c) in enumerate(_check_many([todo[n][:2] for n in missing], rules, workers), 1):
        progress("read", len(todo) - len(missing) + done, len(todo))
        if isinstance(c, DataFile):
            data_files.append(c)                # never stored as checked: recognised again each run
            continue
        checked[missing[n]] = c
        if c.sha256 == todo[missing[n]][2]:     # not changed while it was read
            fresh.append(c)
    return placed_ignored, [c for c in checked if c is not None] + never_opened, fresh, data_files


def _read_file(path: Path, label: str, rules: Rules) -> Checked | DataFile:
    """A data workbook (§12, recognised by its columns) or a department's workbook, checked."""
    data = recognise(path, rules, label=label)
    return data if data is not None else check_file(path, rules, label=label)


_WORKER_RULES: list[Rules] = []     # set once per worker process (_set_rules), not sent with every chunk


def _set_rules(rules: Rules) -> None:
    _WORKER_RULES[:] = [rules]


def _check_chunk(chunk) -> list[Checked]:
    # The rules travel once per worker: pickled with each chunk, a round of 10,000 departments
    # spent more time unpickling them (and rebuilding their look-up tables) than reading files.
    rules = _WORKER_RULES[0]
    return [_read_file(path, label, rules) for path, label in chunk]


def _check_many(jobs: list[tuple[Path, str]], rules: Rules, workers: int):
    """(index, Checked) for each (path, label), in a process pool when there are many. An exception
    in a worker is a defect of ours (check_file turns every file problem into findings): it propagates."""
    if workers <= 1 or len(jobs) < parallel_from(PARALLEL_FROM, SPAWN_PARALLEL_FROM):
        for n, (path, label) in enumerate(jobs):
            yield n, _read_file(path, label, rules)
        return
    workers = min(workers, MAX_WORKERS)
    size = max(1, min(64, len(jobs) // (workers * 4)))
    chunks = [jobs[k:k + size] for k in range(0, len(jobs), size)]
    with Pool(workers, _set_rules, (rules,)) as pool:
        n = 0
        for results in pool.map(_check_chunk, chunks):
            for c in results:
                yield n, c
                n += 1
    # leaving early (a stop: SIGTERM at a progress tick) cancels the chunks not yet read (Pool.__exit__)


COPYING_RULES = {"file.unreadable", "file.vanished"}      # what a file half copied is found to be
_ZIP_END = b"PK\x05\x06"                                  # a zip's end record: written last


def _partial(path: Path) -> bool:
    """Empty, or a zip (or zeros) whose end record is not there (yet): how a file being copied looks. A zip
    bomb, an encrypted workbook or random bytes are whole files, damaged or not."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            size = f.seek(0, 2)
            f.seek(max(0, size - 65557))
            tail = f.read()
    except OSError:
        return True                 # gone or locked while the copy goes on: file.vanished
    # A copy that preallocates the file (Windows over SMB) shows zeros where the bytes are yet to come.
    return size == 0 or ((head.startswith(b"PK") or head == b"\0" * 4) and _ZIP_END not in tail)


def _still_copying(checked: list[Checked], settle: float, now: float) -> tuple[list[Placed], list[Checked]]:
    """§3 file.incomplete: a file that cannot be opened and was changed less than `settle` seconds
    ago is still being copied: skipped for this run (status ignored, never returned, no department
    told), read again by the next. An older one is damaged and is rejected as usual."""
    copying, rest = [], []
    for c in checked:
        try:
            age = now - c.path.stat().st_mtime if c.path is not None else None
        except OSError:
            age = None
        if (age is not None and age < settle and any(f.rule in COPYING_RULES for f in c.findings)
                and _partial(c.path)):
            note = finding("file.incomplete", file=c.file, seconds=fmt_number(max(0, round(age))),
                           settle=fmt_number(settle))
            copying.append(Placed(replace(c, findings=(note,), department=None), IGNORED))
        else:
            rest.append(c)
    return copying, rest


def _from_earlier_rounds(checked: list[Checked], counted: dict[str, str]) -> list[Checked]:
    """§3 file.previous_round: the same bytes were counted in an earlier round (a file left in
    input/ from last round). A warning: the file is read as usual, the office decides."""
    out = []
    for c in checked:
        earlier = counted.get(c.sha256) if c.sha256 else None
        if earlier is not None and c.department:
            c = replace(c, findings=c.findings + (finding("file.previous_round", file=c.file, round=f"“{earlier}”"),))
        out.append(c)
    return out


def _is_office_file(path: Path) -> bool:
    """§11: a workbook with a sheet named 核定表 or 问题清单 (and no 自评表) is the office's."""
    return path.suffix.lower() in (".xlsx", ".xlsm") and is_office_workbook(path)


def _carry_over(placed: list[Placed], ledger: Ledger, rules: Rules, round_name: str) -> list[Placed]:
    """A rejected resubmission counts for nothing: the department's last accepted submission of this
    round (from an earlier run, e.g. before the file in input/ was overwritten) still stands."""
    accepted = {p.checked.department for p in placed if p.status == ACCEPTED}
    extra = []
    for dept in dict.fromkeys(p.checked.department for p in placed if p.status == REJECTED and p.checked.department):
        old = None if dept in accepted else ledger.accepted_before(round_name, rules.fingerprint, dept)
        if old is None:
            continue
        note = finding("submission.carried_over", file=old.file, shown=old.file,
                       date=old.fill_date.isoformat() if old.fill_date else "未填")
        extra.append(Placed(replace(old, findings=old.findings + (note,)), ACCEPTED))
    return extra


def _name_returned(placed: list[Placed]) -> list[Placed]:
    """Give each rejected file the name of its annotated copy, unique within the round folder."""
    used, out = set(), []
    for p in placed:
        if p.status == REJECTED and not _never_opened(p.checked):
            stem = safe_filename(Path(p.checked.file).stem)
            name, n = f"{stem}_退回.xlsx", 2
            while name in used:
                name, n = f"{stem}_{n}_退回.xlsx", n + 1
            used.add(name)
            p = replace(p, returned=f"{RETURNED_DIR}/{name}")
        out.append(p)
    return out


def _write_returned(p: Placed, stage: Path, rules: Rules, round_name: str, resubmit_by: dt.date) -> None:
    """The annotated copy: the department's own file marked up, or (when the file itself could not
    be read, or has changed or gone since it was checked) a workbook that only lists the problems."""
    target = stage / p.returned
    target.parent.mkdir(parents=True, exist_ok=True)
    c = p.checked
    original = None if _file_level(c) else _same_bytes(c, rules)
    kwargs = dict(file_label=c.file, department=c.department, round_name=round_name, rules_title=rules.title,
                  resubmit_by=resubmit_by)
    if original is not None:
        try:
            write_returned(original, c.findings, target, **kwargs)
            return
        except Exception:  # noqa: BLE001 - openpyxl re-parsing the department's file may raise anything
            logger.warning("无法在 %s 的原文件上标注问题，改为生成问题说明表", c.file, exc_info=True)
    write_returned(None, c.findings, target, **kwargs)


def _same_bytes(c: Checked, rules: Rules) -> bytes | None:
    """The file's bytes again, through the safety gate, if they are still the ones that were checked."""
    if c.path is None:
        return None
    try:
        safe = open_safely(c.path, rules.limits)
    except FileProblem:
        return None
    return safe.data if safe.sha256 == c.sha256 else None


def _file_level(c: Checked) -> bool:
    """The file as a whole was refused: its annotated copy lists the problems and never re-parses
    it (a cell.too_long file would build the very strings the gate refused)."""
    return any(f.rule.startswith("file.") or f.rule == "cell.too_long" for f in c.findings)


NEVER_OPENED = ("file.not_regular", "file.outside_input")


def _never_opened(c: Checked) -> bool:
    return any(f.rule in NEVER_OPENED for f in c.findings)
