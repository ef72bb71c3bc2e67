"""A stop asked for by a signal (SIGTERM, Ctrl+C), seen by every long loop of a run.

watch.Stopper installs the signal handlers and sets the flag here; hashing, reading, rendering and
sending check it between steps (`check()`), so a SIGTERM stops a run within a step whatever it is
doing, before the new round folder is swapped in.
"""
from __future__ import annotations

import threading

_requested = threading.Event()


class StopRequested(KeyboardInterrupt):
    """Raised inside a run (at a progress tick or a long loop's step) when a stop was asked for;
    the run aborts before its outputs are swapped in. A KeyboardInterrupt, so no handler of bad
    files can swallow it."""


def request() -> None:
    _requested.set()


def clear() -> None:
    _requested.clear()


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    if _requested.is_set():
        raise StopRequested()
