"""The outbox: one row per (round, recipient, kind, content hash) in the run ledger's SQLite file.

A row is the rendered message itself (.eml bytes, no password) and its delivery state:
  pending     queued, not yet accepted by the server (tried again; `next_attempt` after a failure)
  sent        accepted by the server (`sent_at`)
  failed      refused for good (5xx) or too large; `last_error` says why; never tried again by itself
  superseded  out of date before it went: the round's messages were planned again (a changed
              report, a returned department now accepted) and this one was not among them
The unique key is what makes "never the same content twice to the same address" hold across runs.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..operations.ledger import FILE_NAME, wait_seconds
from ..base.text import fmt_number

PENDING, SENT, FAILED, SUPERSEDED = "pending", "sent", "failed", "superseded"
BACKOFF_FIRST = dt.timedelta(minutes=5)
BACKOFF_MAX = dt.timedelta(hours=6)
TOO_LARGE = "邮件过大"           # last_error prefix of a message refused by the size limit

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id            INTEGER PRIMARY KEY,
    round         TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    department    TEXT NOT NULL DEFAULT '',
    content_hash  TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    subject       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL,
    next_attempt  TEXT,
    sent_at       TEXT,
    reader        TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    eml           BLOB,
    sent_order    INTEGER,
    facts         TEXT,
    UNIQUE (round, recipient, kind, content_hash)
);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_key ON outbox (round, recipient, kind, content_hash);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, next_attempt);
"""
# Columns beyond the shared schema (CONTRACT: what `status` reads). Added to a table another module
# created first with only the shared columns.
EXTRA_COLUMNS = {"reader": "TEXT NOT NULL DEFAULT ''", "size": "INTEGER NOT NULL DEFAULT 0", "eml": "BLOB",
                 "sent_order": "INTEGER", "facts": "TEXT"}

_COLUMNS = ("id, round, recipient, kind, department, content_hash, message_id, subject, state, attempts, "
            "last_error, created, updated, next_attempt, sent_at, reader, size")


@dataclass(frozen=True)
class Entry:
    """A message to queue."""

    round: str
    recipient: str
    kind: str
    department: str
    reader: str
    content_hash: str
    message_id: str
    subject: str
    eml: bytes
    facts: str = ""                 # what concerns the reader (mailupdate), to say what a later message changed
    size: int | None = None         # the message's size when eml is not kept (too large to send)
    too_large: str = ""             # which attachment makes it too large, for the warning

    @property
    def bytes(self) -> int:
        return len(self.eml) if self.size is None else self.size


@dataclass(frozen=True)
class Row:
    id: int
    round: str
    recipient: str
    kind: str
    department: str
    content_hash: str
    message_id: str
    subject: str
    state: str
    attempts: int
    last_error: str | None
    created: str
    updated: str
    next_attempt: str | None
    sent_at: str | None
    reader: str
    size: int


@dataclass
class Queued:
    new: int = 0
    unchanged: int = 0
    superseded: int = 0
    too_large: list[Entry] | None = None


def stamp(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def backoff(attempts: int) -> dt.timedelta:
    """5 min, 10, 20, … doubling per failed attempt, at most 6 h."""
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


class Outbox:
    def __init__(self, output_dir: Path):
        self.path = Path(output_dir) / FILE_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=wait_seconds())
        have = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
        with conn:
            for name, decl in EXTRA_COLUMNS.items():
                if have and name not in have:
                    conn.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl}")
        conn.executescript(SCHEMA)
        return conn

    def queue(self, round_name: str, entries: list[Entry], now: dt.datetime, *, max_bytes: int,
              kinds: tuple[str, ...] | None = None) -> Queued:
        """Make the round's waiting messages exactly `entries` (the round's whole plan): what is new is
        added; whatever else of this round still waits (pending or failed) is superseded: an older
        content, another kind of message (a returned department whose new file was accepted), an
        address no longer in rules.yaml.

        Content that comes back after a different one was sent (a report changed, then changed back)
        is queued again: what the reader last received is not what the report says now.

        kinds: the kinds `entries` plan (None: every kind); only messages of those kinds are
        superseded, so the round's reports and the §14 follow-up each keep the other's waiting."""
        result, at, current = Queued(too_large=[]), stamp(now), []
        with closing(self._connect()) as conn, conn:
            for e in entries:
                fits = e.bytes <= max_bytes
                error = None if fits else too_large_message(e.bytes, max_bytes, e.too_large)
                row = conn.execute("SELECT id, state, last_error FROM outbox WHERE round = ? AND recipient = ? "
                                   "AND kind = ? AND content_hash = ?",
                                   (e.round, e.recipient, e.kind, e.content_hash)).fetchone()
                if row is None:
                    cur = conn.execute(
                        "INSERT INTO outbox (round, recipient, kind, department, content_hash, message_id, subject, "
                        "state, attempts, last_error, created, updated, reader, size, eml, facts) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                        (e.round, e.recipient, e.kind, e.department, e.content_hash, e.message_id, e.subject,
                         PENDING if fits else FAILED, error, at, at, e.reader, e.bytes,
                         e.eml if fits else b"", e.facts))     # a message that can never go is not stored
                    current.append(cur.lastrowid)
                    result.new += 1
                    if not fits:
                        result.too_large.append(e)
                    continue
                row_id, state, last_error = row
                current.append(row_id)
                if self._revive(conn, e, row_id, state, last_error, fits):
                    # its body again: a superseded or too large row kept none
                    conn.execute("UPDATE outbox SET state = ?, last_error = ?, updated = ?, next_attempt = NULL, "
                                 "subject = ?, size = ?, eml = ? WHERE id = ?",
                                 (PENDING, None, at, e.subject, e.bytes, e.eml, row_id))
                    result.new += 1
                else:
                    # The same content, not sent yet: it goes as rendered now. One now too large (mail.max_mb
                    # lowered) keeps what is stored: sending holds it as too large, a raised limit sends it.
                    if state == PENDING and fits and e.eml:
                        conn.execute("UPDATE outbox SET subject = ?, size = ?, eml = ? WHERE id = ?",
                                     (e.subject, len(e.eml), e.eml, row_id))
                    result.unchanged += 1
            marks = ", ".join("?" * len(current))
            family = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
            # A superseded message is never sent: its body goes (the ledger grew by every changed run).
            cur = conn.execute(f"UPDATE outbox SET state = ?, updated = ?, eml = X'' WHERE round = ? "
                               f"AND state IN (?, ?) AND id NOT IN ({marks}){family}",
                               (SUPERSEDED, at, round_name, PENDING, FAILED, *current, *(kinds or ())))
            result.superseded = cur.rowcount
        return result

    @staticmethod
    def _revive(conn, e: Entry, row_id, state, last_error, fits) -> bool:
        if state == SUPERSEDED:
            return True
        if state == FAILED:
            return fits and (last_error or "").startswith(TOO_LARGE)
        if state == SENT:
            later = conn.execute("SELECT 1 FROM outbox WHERE round = ? AND recipient = ? AND kind = ? AND department = ? "
                                 "AND reader = ? AND id != ? AND state = ? AND sent_order > "
                                 "(SELECT COALESCE(sent_order, 0) FROM outbox WHERE id = ?)",
                                 (e.round, e.recipient, e.kind, e.department, e.reader, row_id, SENT,
                                  row_id)).fetchone()
            return later is not None
        return False

    def last_sent(self, round_name: str, recipient: str, kind: str, department: str,
                  reader: str) -> tuple[str, str] | None:
        """(content_hash, facts) of what this address received last of this round, kind and reader."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT content_hash, COALESCE(facts, '') FROM outbox WHERE round = ? AND recipient = ? "
                               "AND kind = ? AND department = ? AND reader = ? AND state = ? "
                               "ORDER BY sent_order DESC LIMIT 1",
                               (round_name, recipient, kind, department, reader, SENT)).fetchone()
        return (row[0], row[1]) if row else None

    def due(self, now: dt.datetime, *, honour_backoff: bool) -> list[Row]:
        sql = f"SELECT {_COLUMNS} FROM outbox WHERE state = ?"
        args: tuple = (PENDING,)
        if honour_backoff:
            sql += " AND (next_attempt IS NULL OR next_attempt <= ?)"
            args += (stamp(now),)
        with closing(self._connect()) as conn:
            return [Row(*r) for r in conn.execute(sql + " ORDER BY id", args)]

    def pending_count(self) -> int:
        with closing(self._connect()) as conn:
            return conn.execute("SELECT COUNT(*) FROM outbox WHERE state = ?", (PENDING,)).fetchone()[0]

    def eml(self, row_id: int) -> bytes:
        with closing(self._connect()) as conn:
            return conn.execute("SELECT eml FROM outbox WHERE id = ?", (row_id,)).fetchone()[0]

    def rows(self) -> list[Row]:
        with closing(self._connect()) as conn:
            return [Row(*r) for r in conn.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY id")]

    def mark_sent(self, row_id: int, now: dt.datetime) -> None:
        # sent_order, not the clock, says which of two contents a reader received last.
        self._update(row_id, "state = ?, attempts = attempts + 1, last_error = NULL, next_attempt = NULL, "
                             "sent_at = ?, sent_order = (SELECT COALESCE(MAX(sent_order), 0) + 1 FROM outbox)",
                     (SENT, stamp(now)), now)

    def mark_failed(self, row_id: int, error: str, now: dt.datetime) -> None:
        self._update(row_id, "state = ?, attempts = attempts + 1, last_error = ?, next_attempt = NULL",
                     (FAILED, error), now)

    def mark_retry(self, row_id: int, error: str, now: dt.datetime) -> str:
        """Still pending; the next automatic attempt waits a little longer each time. Returns that time."""
        with closing(self._connect()) as conn, conn:
            attempts = conn.execute("SELECT attempts FROM outbox WHERE id = ?", (row_id,)).fetchone()[0] + 1
            when = stamp(now + backoff(attempts))
            conn.execute("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt = ?, updated = ? WHERE id = ?",
                         (attempts, error, when, stamp(now), row_id))
        return when

    def retry_failed(self, now: dt.datetime) -> int:
        """Failed messages back to pending (after the operator fixed an address or a server limit)."""
        with closing(self._connect()) as conn, conn:
            return conn.execute("UPDATE outbox SET state = ?, next_attempt = NULL, updated = ? WHERE state = ?",
                                (PENDING, stamp(now), FAILED)).rowcount

    def _update(self, row_id: int, assignments: str, args: tuple, now: dt.datetime) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(f"UPDATE outbox SET {assignments}, updated = ? WHERE id = ?", args + (stamp(now), row_id))


def too_large_message(size: int, limit: int, attachment: str = "") -> str:
    return (f"{TOO_LARGE}（{size / 1048576:.2f} MB，超过上限 {fmt_number(limit / 1048576)} MB"
            + (f"；{attachment}" if attachment else "") + "），未发送。"
            "请将附件压缩或通过其他方式送达，或在 rules.yaml 的 mail.max_mb 中调高上限"
            "（不要超过邮件服务器允许的大小），再运行 `python process.py send`")
