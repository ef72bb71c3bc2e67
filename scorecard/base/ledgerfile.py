"""Where the ledger lives in the output folder, and how long to wait for it.

The ledger itself (operations.ledger) is the run history; the office's records (office.store), the
outbox (mail.outbox) and the stops (base.errors) only need its file names and the wait, so they
come from here, below every stage that touches the file.
"""
from __future__ import annotations

from . import settings

FILE_NAME = "ledger.sqlite3"
BACKUP_NAME = "ledger.last-good.sqlite3"    # a verified copy made after every successful full run
LEDGER_WAIT = settings.BY_NAME["ledger_wait"].default     # seconds; SCORECARD_LEDGER_WAIT overrides


def wait_seconds() -> float:
    """How long a run waits for another program's hold on the ledger before it stops (exit 75)."""
    return settings.get("ledger_wait")
