"""Logging, configured once by the CLI: the operator's console in Chinese plus a rotating log file.

Library modules log through `logging.getLogger("scorecard.<module>")` and never print. This module
attaches two handlers to the "scorecard" logger:

- the console (stderr): warnings and errors as "警告：…" / "错误：…"; a traceback is shortened to
  its last line and the log file's name, unless --verbose or there is no log file;
- `<output>/scorecard.log`, rotated at `LOG_MAX_BYTES` keeping `LOG_BACKUPS` old files: every
  record at INFO (DEBUG with --verbose), with time, level, logger and traceback.

What `console.say` shows the operator is written to the log file too (it logs to
"scorecard.console" with `extra={"shown": True}`, which the console handler skips).
No pandas, docx or matplotlib here: `process.py --help` must stay fast.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

LOG_NAME = "scorecard.log"
LOG_MAX_BYTES = int(os.environ.get("SCORECARD_LOG_MAX_BYTES", 2_000_000))
LOG_BACKUPS = int(os.environ.get("SCORECARD_LOG_BACKUPS", 10))
ROOT = "scorecard"

LEVEL_WORDS = {logging.DEBUG: "调试", logging.INFO: "信息", logging.WARNING: "警告", logging.ERROR: "错误",
               logging.CRITICAL: "严重错误"}

QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"


class _Tagged:
    """Marks the handlers this module installed, so a second configure() replaces them."""
    scorecard_handler = True


class ConsoleHandler(_Tagged, logging.StreamHandler):
    def __init__(self, verbose: bool):
        super().__init__(None)          # sys.stderr at emit time (tests swap it)
        self.verbose = verbose
        self.log_file: Path | None = None   # where the traceback is, when there is a log file

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):           # StreamHandler.__init__ assigns it; we always use sys.stderr
        pass

    def filter(self, record):
        return not getattr(record, "shown", False) and super().filter(record)

    def format(self, record):
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"{LEVEL_WORDS.get(record.levelno, record.levelname)}：{text}"
        if record.exc_info:
            if self.verbose or not self.log_file:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            else:
                exc = record.exc_info[1]
                text += f"（{type(exc).__name__}: {exc}；详细信息见日志文件 {self.log_file}）"
        return text


class FileHandler(_Tagged, logging.handlers.RotatingFileHandler):
    """Writes nothing until the output folder exists: a run stopped by invalid rules leaves no trace
    on disk (CONTRACT §6). Records until then are kept and written once the run creates the folder."""

    KEEP = 1000

    def __init__(self, *args, **kwargs):
        self._pending: list[logging.LogRecord] = []
        self._broken = False
        super().__init__(*args, **kwargs)

    def handleError(self, record):
        # The disk is full or the folder read-only: the run stops with exit 4 and one sentence that
        # says so; the log must not add "--- Logging error ---" tracebacks of its own on the console.
        self._broken = True

    def emit(self, record):
        if self._broken:
            return
        if self.stream is None and not os.path.isdir(os.path.dirname(self.baseFilename)):
            self._pending.append(record)
            del self._pending[:-self.KEEP]
            return
        pending, self._pending = self._pending, []
        for earlier in pending:
            super().emit(earlier)
        super().emit(record)

    # Two processes share the log (the watcher and a scheduled `run`): on Windows the rename of a
    # rollover fails while the other holds the file open (WinError 32), which logging would report
    # as a "--- Logging error ---" for every record from then on. A refused rollover is given up:
    # this process keeps appending to the current file and tries again after ROLLOVER_RETRY seconds.
    ROLLOVER_RETRY = 60.0
    _rollover_after = 0.0

    def shouldRollover(self, record):
        if time.monotonic() < self._rollover_after:
            return False
        return super().shouldRollover(record)

    def doRollover(self):
        try:
            super().doRollover()
        except OSError:
            self._rollover_after = time.monotonic() + self.ROLLOVER_RETRY
            if self.stream is None:
                self.stream = self._open()

    def close(self):
        # A traceback (a defect of ours) is worth a log file even when the run never made the folder.
        if any(r.exc_info for r in self._pending) and not self._broken:
            try:
                os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
            except OSError:
                pass
            else:
                for record in self._pending:
                    super().emit(record)
        self._pending = []
        try:
            super().close()
        except OSError:         # flushing onto a full disk: the run has said so already
            self._broken = True


FILE_FORMAT = "%(asctime)s %(levelname)-7s %(process)d %(name)s: %(message)s"


def log_path(output_dir: Path) -> Path:
    return Path(output_dir) / LOG_NAME


def configure(mode: str = NORMAL, output_dir: Path | None = None, *, max_bytes: int | None = None,
              backups: int | None = None) -> Path | None:
    """(Re)configure the "scorecard" logger. Returns the log file's path, or None without a file."""
    logger = logging.getLogger(ROOT)
    reset()
    logger.setLevel(logging.DEBUG if mode == VERBOSE else logging.INFO)
    console = ConsoleHandler(verbose=mode == VERBOSE)
    console.setLevel({QUIET: logging.ERROR, NORMAL: logging.WARNING, VERBOSE: logging.DEBUG}[mode])
    logger.addHandler(console)
    if output_dir is None:
        return None
    path = log_path(output_dir)
    try:
        handler = FileHandler(path, maxBytes=LOG_MAX_BYTES if max_bytes is None else max_bytes,
                              backupCount=LOG_BACKUPS if backups is None else backups, encoding="utf-8",
                              delay=True)
    except OSError as exc:
        logger.warning("无法写入日志文件 %s（%s），本次只在屏幕上显示。", path, exc)
        return None
    handler.setLevel(logging.DEBUG if mode == VERBOSE else logging.INFO)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    logger.addHandler(handler)
    console.log_file = path
    return path


def current_log() -> Path | None:
    """The log file configure() set up, if any (named in the internal-error message)."""
    for handler in logging.getLogger(ROOT).handlers:
        if isinstance(handler, FileHandler):
            return Path(handler.baseFilename)
    return None


def reset() -> None:
    """Remove (and close) the handlers configure() installed."""
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if getattr(handler, "scorecard_handler", False):
            logger.removeHandler(handler)
            handler.close()


@contextmanager
def configured(mode: str = NORMAL, output_dir: Path | None = None, **kwargs):
    path = configure(mode, output_dir, **kwargs)
    try:
        yield path
    finally:
        reset()
