"""One run end to end: the entry point of `run` and `watch`.

Under the run lock, everything the round's outputs depend on is summed up in one key (unchanged.py).
When it is the key of the last successful run and that run's outputs are still as it left them, the
run does nothing and returns the last summary: an unchanged rerun reads, scores and writes nothing,
and imports none of pandas, openpyxl, python-docx or matplotlib (heavy imports happen in stages.py).
Otherwise stages.process does every stage, and the key is kept for the next run.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import unchanged
from .fsutil import file_sha256, run_lock
from .rules import Rules
from .text import safe_filename

__all__ = ["RunResult", "default_round", "default_workers", "discover", "run"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]      # (stage, done, total)


@dataclass
class RunResult:
    summary: dict                   # summary.json as written (unchanged: as the last run wrote it)
    round_dir: Path
    placed: list = field(default_factory=list)      # scoring.Placed: every file's place in the run
    manifest: list = field(default_factory=list)    # what write_reports wrote, by reader
    timings: dict[str, float] = field(default_factory=dict)   # seconds per stage, for benchmarks and the log
    unchanged: bool = False         # nothing read or written: the input was what the last run saw


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


def default_workers() -> int:
    """Processes used for reading and rendering: one per core (at most pools.MAX_WORKERS)."""
    from .pools import MAX_WORKERS

    return min(os.cpu_count() or 1, MAX_WORKERS)


def run(rules: Rules, input_dir: Path, output_dir: Path, *, round_name: str | None = None,
        as_of: dt.date | None = None, templates_dir: Path | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now, progress: Progress | None = None,
        workers: int | None = None, force: bool = False) -> RunResult:
    """Process every workbook in input_dir into output_dir/<round>/. Raises LockHeld when another run is on.
    workers: processes for reading files (default: one per core; 1 reads in this process).
    force: process everything again even when nothing changed since the last run."""
    workers = workers or default_workers()
    progress = progress or _no_progress
    now = clock()
    as_of = as_of or rules.as_of or now.date()
    round_name = round_name or default_round(rules, as_of)
    if not input_dir.is_dir():
        raise NotADirectoryError(str(input_dir))
    with run_lock(output_dir):
        start = time.perf_counter()
        paths = discover(input_dir, exclude=output_dir)
        round_dir = output_dir / safe_filename(round_name)
        hashes = {path: file_sha256(path) for path in paths}       # read once, for the key and the stages
        key = unchanged.input_key(rules, input_dir, hashes, round_name=round_name, as_of=as_of,
                                  templates_dir=templates_dir)
        if not force:
            summary = unchanged.last_summary(output_dir, round_dir, key)
            if summary is not None:
                unchanged.record_run(output_dir, summary, now)
                logger.info("输入、规则、模板和上次的输出都没有变化：沿用 %s 的结果，未重新处理", round_dir)
                return RunResult(summary, round_dir, timings={"unchanged": time.perf_counter() - start},
                                 unchanged=True)
        unchanged.forget(output_dir)        # a run that fails after this leaves no key behind
        from .stages import process         # here: the heavy imports (pandas, openpyxl, docx, matplotlib)

        result = RunResult(*process(rules, input_dir, output_dir, hashes, round_name=round_name, as_of=as_of,
                                    now=now, templates_dir=templates_dir, progress=progress, workers=workers))
        # The office's findings on its edits (§11) are reported once, by the run that read the edit:
        # the next run must say nothing of them, so a run that reported some is never stood in for.
        # A data workbook's findings (§12, rule ids data.*) come from the input alone and recur.
        once = [f for f in result.summary.get("office_findings") or () if not f["rule"].startswith("data.")]
        if not once:
            unchanged.remember(output_dir, round_dir, key, now)
    return result
