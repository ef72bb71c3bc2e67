"""A run's lifecycle around pipeline.run, for every command that runs (run, watch): waiting for a
held lock (`run --wait`), the stop flag for SIGTERM, the log's start and summary lines, and the
run's duration or its failure in the ledger. The CLI only adapts its options to these calls.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from ..base import console, settings
from ..base.errors import EXIT_USAGE, Stop
from ..base.fsutil import LockHeld

log = logging.getLogger("scorecard.cli")     # the operator's log lines, as before the move

WAIT_POLL = settings.get("wait_poll")    # seconds between looks at a held lock (run --wait)


def round_of(options: dict) -> str:
    """The round a run of these options is for (pipeline.default_round when none is named)."""
    from .pipeline import default_round

    as_of = options.get("as_of") or options["rules"].as_of or dt.date.today()
    return options.get("round_name") or default_round(options["rules"], as_of)


def timed_run(run, options: dict, *, wait: float | None, rules_path, progress=None):
    """run(**options) (pipeline.run) with `run --wait` (None: no waiting; 0: as long as it takes), a
    stop flag for SIGTERM, the log's start and summary lines, and the run's duration (or its
    failure) in the ledger."""
    from .watch import Stopper

    stopper = Stopper()
    stopper.install()

    def tick(stage, done, total):           # a SIGTERM stops the run at its next step, before the swap
        stopper.check()
        if progress is not None:
            progress(stage, done, total)
    options = {**options, "progress": tick}
    log.info("开始运行：输入 %s，输出 %s，规则 %s，轮次 %s", options["input_dir"], options["output_dir"],
             rules_path, round_of(options))

    def attempt():
        started = time.monotonic()
        try:
            result = run(**options)
        except LockHeld:                    # not a failure: waited for, or the operator is told
            raise
        except Exception as exc:            # logged (with its traceback) by main()
            record_failure(options["output_dir"], exc, time.monotonic() - started, options)
            raise
        finally:
            if progress is not None:
                progress.close()
        after_run(options["output_dir"], result, time.monotonic() - started)
        return result
    try:
        return _while_locked(attempt, wait, stopper)
    finally:
        stopper.restore()


def waiting(fn, wait: float | None):
    """fn() retried while another run holds the lock, as `run --wait` does, for the commands besides
    run (remind)."""
    from .watch import Stopper

    stopper = Stopper()
    stopper.install()
    try:
        return _while_locked(fn, wait, stopper)
    finally:
        stopper.restore()


def _while_locked(attempt, wait: float | None, stopper):
    """attempt() again every WAIT_POLL seconds while it meets a held lock: `wait` None not at all,
    0 as long as it takes, else for at most that many seconds; a SIGTERM stops the waiting."""
    deadline = None if not wait else time.monotonic() + wait
    told = False
    while True:
        try:
            return attempt()
        except LockHeld:
            if wait is None or (deadline is not None and time.monotonic() >= deadline) or stopper.stopped:
                raise
            if not told:
                console.say("另一个处理任务正在运行，等待其结束……")
                told = True
            if stopper.wait(WAIT_POLL):
                raise KeyboardInterrupt from None


def after_run(output_dir: Path, result, seconds: float, report: bool = False) -> None:
    """After a run: its duration in the ledger, the log's summary lines (mail counts included)."""
    from . import ledger
    from .status import collect

    if report:
        console.run_report(result.summary, result.round_dir)
    try:
        ledger.finish_run(output_dir, result.summary["round"], seconds)
    except ledger.sqlite3.Error as exc:
        log.warning("无法在台账中记录用时：%s", exc)
    outputs = sum(1 for p in Path(result.round_dir).rglob("*") if p.is_file()) if Path(result.round_dir).is_dir() else None
    counts = collect(output_dir, limit=0).mail_counts
    mail = None if counts is None else {"sent": counts.get("sent", 0), "pending": counts.get("pending", 0),
                                        "failed": counts.get("failed", 0)}
    for line in console.run_log_lines(result.summary, result.round_dir, seconds, mail=mail, outputs=outputs):
        log.info(line)


def record_failure(output_dir: Path, exc, seconds: float, options: dict | None = None, round_name: str = "") -> str:
    """A failed run in the ledger (unless the ledger itself is what failed); the failure as text."""
    from . import ledger

    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, Stop) and exc.exit_code != EXIT_USAGE:
        return text             # the ledger is damaged, busy or cannot be written: nothing to record it in
    try:
        round_name = round_of(options) if options else round_name
        ledger.record_failure(output_dir, round_name, dt.datetime.now().isoformat(timespec="microseconds"),
                              seconds, text)
    except (ledger.sqlite3.Error, ledger.LedgerTooNew, OSError) as err:
        log.warning("无法在台账中记录这次失败：%s", err)
    return text
