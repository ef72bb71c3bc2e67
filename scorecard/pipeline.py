"""One run end to end: the only module that knows every stage.

discover files → read safely → validate → choose the latest accepted per department → score →
write every output into a staging folder → swap it into place → record the round in the ledger.
The clock is passed in; nothing here decides a score. A file can only ever cause findings; an
exception raised by our own code fails the run (the previous outputs stay as they were).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .checking import check_file, ignore_reason, ignored
from .feedback import write_returned
from .findings import FileProblem, finding
from .fsutil import run_lock, staged_directory
from .ledger import Ledger
from .reports import write_reports
from .rules import Rules
from .safety import open_safely
from .scoring import Placed, choose_latest, summarise
from .text import add_working_days, safe_filename
from .validation import ACCEPTED, IGNORED, REJECTED, Checked

RETURNED_DIR = "退回"
logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]      # (stage, done, total)


@dataclass
class RunResult:
    summary: dict                   # summary.json as written
    round_dir: Path
    placed: list[Placed] = field(default_factory=list)
    manifest: list = field(default_factory=list)    # what write_reports wrote, by reader


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


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def run(rules: Rules, input_dir: Path, output_dir: Path, *, round_name: str | None = None,
        as_of: dt.date | None = None, templates_dir: Path | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now, progress: Progress | None = None) -> RunResult:
    """Process every workbook in input_dir into output_dir/<round>/. Raises LockHeld when another run is on."""
    progress = progress or _no_progress
    now = clock()
    as_of = as_of or rules.as_of or now.date()
    round_name = round_name or default_round(rules, as_of)
    if not input_dir.is_dir():
        raise NotADirectoryError(str(input_dir))
    with run_lock(output_dir):
        paths = discover(input_dir, exclude=output_dir)
        logger.info("开始处理 %s：在 %s 中找到 %d 个文件", round_name, input_dir, len(paths))
        placed_ignored, checked = [], []
        for n, path in enumerate(paths, 1):
            label = (input_dir / path.relative_to(input_dir)).as_posix()
            reason = ignore_reason(path)
            if reason:
                placed_ignored.append(Placed(ignored(path, label, reason), IGNORED))
            else:
                checked.append(check_file(path, rules, label=label))
            progress("read", n, len(paths))
        placed = _name_returned(choose_latest(checked))
        ledger = Ledger(output_dir)
        placed += _carry_over(placed, ledger, rules, round_name)
        placed += placed_ignored
        previous = ledger.previous(round_name)
        round_dir = output_dir / safe_filename(round_name)
        with staged_directory(round_dir) as stage:
            rejected = [p for p in placed if p.status == REJECTED]
            for n, p in enumerate(rejected, 1):
                _write_returned(p, stage, rules, round_name)
                progress("returned", n, len(rejected))
            result = summarise(rules, placed, round_name=round_name, as_of=as_of, generated_at=now,
                               resubmit_by=add_working_days(now.date(), rules.resubmit_days), previous=previous)
            summary = result.to_dict()
            (stage / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
            manifest = write_reports(summary, stage, templates_dir)
        started = now.isoformat(timespec="microseconds")
        ledger.record(summary, started)
        ledger.keep_accepted(round_name, rules.fingerprint, [p.checked for p in placed if p.status == ACCEPTED],
                             started)
        counts = result.counts
        logger.info("处理完成：采用 %d 份，退回 %d 份；%d 个部门未报送，%d 个部门被退回；问题 %d 条；输出 %s",
                    counts.files.get(ACCEPTED, 0), counts.files.get(REJECTED, 0), counts.missing,
                    counts.returned, counts.gaps, round_dir)
    return RunResult(summary, round_dir, placed, manifest)


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
        if p.status == REJECTED:
            stem = safe_filename(Path(p.checked.file).stem)
            name, n = f"{stem}_退回.xlsx", 2
            while name in used:
                name, n = f"{stem}_{n}_退回.xlsx", n + 1
            used.add(name)
            p = replace(p, returned=f"{RETURNED_DIR}/{name}")
        out.append(p)
    return out


def _write_returned(p: Placed, stage: Path, rules: Rules, round_name: str) -> None:
    """The annotated copy: the department's own file marked up, or (when the file itself could not
    be read, or has changed or gone since it was checked) a workbook that only lists the problems."""
    target = stage / p.returned
    target.parent.mkdir(parents=True, exist_ok=True)
    c = p.checked
    original = None if _file_level(c) else _same_bytes(c, rules)
    kwargs = dict(file_label=c.file, department=c.department, round_name=round_name, rules_title=rules.title)
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
    return any(f.rule.startswith("file.") for f in c.findings)
