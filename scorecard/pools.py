"""Worker processes for reading workbooks and rendering reports, as they run on Windows too.

Windows has no fork: every worker is spawned, a fresh interpreter that imports pandas, openpyxl
and python-docx again (about a second each), so a pool pays off only from more files than under
fork (`parallel_from`, measured by benchmarks/bench_spawn.py, docs/performance.md). And there:
- Ctrl+C reaches every process on the console: workers ignore SIGINT (and Ctrl+Break), so the
  parent alone decides (it stops the run, says 已中止 and exits 130; cli.py);
- a spawned worker has none of the parent's log handlers: its records are sent to the parent
  (a QueueHandler in the worker, a QueueListener here) and logged there, in the one log file;
- a process pool takes at most 61 workers (WaitForMultipleObjects' limit).
"""
from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

MAX_WORKERS = 61
LOGGER = "scorecard"


def start_method() -> str:
    """The start method a pool will use, without fixing it (a caller may still choose one)."""
    return multiprocessing.get_start_method(allow_none=True) or (
        "fork" if sys.platform.startswith("linux") else "spawn")


def parallel_from(fork: int, spawn: int) -> int:
    """The smallest job count worth a pool under this start method (forkserver starts like spawn)."""
    return fork if start_method() == "fork" else spawn


def _start_worker(queue, level: int, job) -> None:
    # Signals first. A spawned worker gets the initializer and its arguments pickled (job: bytes),
    # unpickled only then, since that imports their modules (pandas, openpyxl: a second or more) and
    # a Ctrl+C meanwhile would kill the worker. A forked one has them already (a tuple: no pickling).
    for name in ("SIGINT", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
    handler = logging.handlers.QueueHandler(queue)
    for logger in (logging.getLogger(), logging.getLogger(LOGGER)):    # a forked worker inherits them
        for old in list(logger.handlers):
            logger.removeHandler(old)
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    initializer, initargs = pickle.loads(job) if isinstance(job, bytes) else job
    if initializer is not None:
        initializer(*initargs)


@contextmanager
def _ctrl_c_ignored_by_children():
    """While a worker is started: a Ctrl+C is ignored from the worker's first instruction on, before
    any Python code of it runs (a spawned worker imports for a second or more before its
    initializer can ignore the signal; a Ctrl+C then killed it with a traceback, and broke the pool).
    POSIX: an ignored signal stays ignored across exec, and Python then installs no handler of its
    own. Windows: the console's "ignore Ctrl+C" flag is inherited by child processes. This process
    ignores a Ctrl+C for those milliseconds too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if os.name == "nt":
        try:
            import ctypes

            kernel32 = ctypes.windll.kernel32
            kernel32.SetConsoleCtrlHandler(None, True)
        except (ImportError, AttributeError, OSError):
            kernel32 = None
        try:
            yield
        finally:
            if kernel32 is not None:
                kernel32.SetConsoleCtrlHandler(None, False)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Executor(ProcessPoolExecutor):
    def _spawn_process(self):           # CPython 3.9+: starts one worker (on demand under spawn)
        with _ctrl_c_ignored_by_children():
            super()._spawn_process()


class _Forward(logging.Handler):
    """A worker's record, logged in this process as if it had been logged here."""

    def emit(self, record):
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


class Pool:
    """A ProcessPoolExecutor of at most MAX_WORKERS workers that ignore Ctrl+C and log through this
    process. Used as a context manager, or closed with close(); leaving it by an exception (a stop
    asked for, a defect) cancels what has not started instead of finishing it."""

    def __init__(self, workers: int, initializer=None, initargs: tuple = (), *, method: str | None = None):
        context = multiprocessing.get_context(method)       # method: None for this process's default
        self.workers = max(1, min(workers, MAX_WORKERS))
        self.queue = context.Queue()
        self.listener = logging.handlers.QueueListener(self.queue, _Forward())
        self.listener.start()
        level = logging.getLogger(LOGGER).getEffectiveLevel()
        job = (initializer, initargs)
        if context.get_start_method() != "fork":
            job = pickle.dumps(job)
        try:
            self.executor = _Executor(max_workers=self.workers, mp_context=context,
                                       initializer=_start_worker, initargs=(self.queue, level, job))
        except BaseException:
            self._stop_listener()
            raise

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def map(self, fn, iterable):
        return self.executor.map(fn, iterable)

    def close(self, cancel: bool = True) -> None:
        try:
            self.executor.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self._stop_listener()

    def _stop_listener(self) -> None:
        self.listener.stop()            # logs what the workers sent before they ended
        self.queue.close()
        self.queue.join_thread()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.close(cancel=kind is not None)
