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

from . import ledger, ledger_backup, unchanged
from ..intake import listing
from ..base import settings, stopping
from ..base.console import ProgressFn as Progress
from ..base.errors import FoldersOverlap, translate
from ..base.fsutil import clean_left_behind, file_sha256, run_lock
from ..rules import Rules
from ..base.text import safe_filename

__all__ = ["RunResult", "default_round", "default_workers", "discover", "run"]

logger = logging.getLogger(__name__)

DEFAULT_SETTLE = settings.get("settle")     # seconds: an unreadable file changed more recently is still copying (§3)
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
    return listing.walk(input_dir, exclude)[0]


def check_folders(input_dir: Path, output_dir: Path) -> None:
    """Raise FoldersOverlap when the output folder is, is inside, or contains the input folder:
    a run would read its own outputs back as submissions (CONTRACT.md §6, exit 2)."""
    inp = Path(os.path.realpath(input_dir))
    out = Path(os.path.realpath(output_dir))
    if inp == out or inp in out.parents or out in inp.parents:
        raise FoldersOverlap(input_dir, output_dir)


def _hash_all(paths: list[Path], refused: dict, max_bytes: int) -> dict[Path, str]:
    """Each file's SHA-256, for the key and the stages. A file that is never opened (refused) or is
    over the size limit (it is refused without being read) stands in by its type or size and time."""
    hashes = {}
    for path in paths:
        stopping.check()
        if path in refused:
            hashes[path] = f"{refused[path].rule}:-"
            continue
        try:
            st = path.stat()
        except OSError:
            hashes[path] = ""
            continue
        if st.st_size > max_bytes:
            hashes[path] = f"file.too_large:{st.st_size}:{st.st_mtime_ns}"
        else:
            hashes[path] = file_sha256(path)
    return hashes


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def default_workers() -> int:
    """Processes used for reading and rendering: one per core (at most pools.MAX_WORKERS)."""
    from ..base.pools import MAX_WORKERS

    return min(os.cpu_count() or 1, MAX_WORKERS)


def run(rules: Rules, input_dir: Path, output_dir: Path, *, round_name: str | None = None,
        as_of: dt.date | None = None, templates_dir: Path | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now, progress: Progress | None = None,
        workers: int | None = None, force: bool = False, settle: float = DEFAULT_SETTLE,
        wall: Callable[[], float] = time.time) -> RunResult:
    """Process every workbook in input_dir into output_dir/<round>/. Raises LockHeld when another run is on.
    workers: processes for reading files (default: one per core; 1 reads in this process).
    force: process everything again even when nothing changed since the last run.
    settle: a file changed less than this many seconds ago (by `wall`, the file system's clock)
    that cannot be opened is taken to be still copying: skipped (file.incomplete), read next run."""
    workers = workers or default_workers()
    progress = progress or _no_progress
    now = clock()
    as_of = as_of or rules.as_of or now.date()
    round_name = round_name or default_round(rules, as_of)
    if not input_dir.is_dir():
        raise NotADirectoryError(str(input_dir))
    try:
        return _run_locked(rules, input_dir, output_dir, round_name=round_name, as_of=as_of, now=now,
                           templates_dir=templates_dir, progress=progress, workers=workers, force=force,
                           settle=settle, wall=wall)
    except (OSError, ledger.sqlite3.Error) as exc:
        stop = translate(exc, output_dir, ledger.wait_seconds())
        if stop is None:
            raise
        raise stop from exc


def _run_locked(rules: Rules, input_dir: Path, output_dir: Path, *, round_name: str, as_of: dt.date,
                now: dt.datetime, templates_dir: Path | None, progress: Progress, workers: int,
                force: bool, settle: float, wall: Callable[[], float]) -> RunResult:
    with run_lock(output_dir):
        start = time.perf_counter()
        clean_left_behind(output_dir)       # a killed run's staging folders: we hold the lock, none is live
        ledger_backup.verify(output_dir)           # a damaged ledger stops here (exit 3), before anything is written
        paths, refused = listing.walk(input_dir, exclude=output_dir)
        round_dir = output_dir / safe_filename(round_name)
        hashes = _hash_all(paths, refused, rules.limits.max_file_bytes)     # read once
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
                                    now=now, templates_dir=templates_dir, progress=progress, workers=workers,
                                    settle=settle, wall=wall, refused=refused))
        # Every finding recurs while its cause holds (§11: a refused edit stays in its cell and is
        # read again; a 销号 on a gap the data still shows is warned on every run; §12: data rows),
        # so an unchanged rerun may stand in for this run and repeat them from its summary.
        # A file still being copied (file.incomplete) is read again by the next run, whatever its bytes.
        if not any(sub.get("findings") and any(f["rule"] == "file.incomplete" for f in sub["findings"])
                   for sub in result.summary.get("submissions", [])):
            unchanged.remember(output_dir, round_dir, key, now)
        ledger_backup.keep_backup(output_dir)      # the way back from a damaged ledger (`ledger restore`)
    return result
