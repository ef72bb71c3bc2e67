"""The run history between rounds (CONTRACT.md §8): a SQLite file kept in the output folder.

A round's first run fixes its place in the order; every later run of the same round replaces its
stored summary. The previous round of R is the round first run most recently before R was.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import sqlite3
from contextlib import closing
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.findings import Finding
from ..base.ledgerfile import (BACKUP_NAME, FILE_NAME, LEDGER_WAIT, wait_seconds)  # noqa: F401 (the ledger's names)

if TYPE_CHECKING:       # imported where records are rebuilt: the run history needs no spreadsheet code
    from ..intake.validation import Checked

logger = logging.getLogger(__name__)


SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (
    name       TEXT PRIMARY KEY,
    first_run  TEXT NOT NULL,
    last_run   TEXT NOT NULL,
    summary    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accepted (
    round        TEXT NOT NULL,
    department   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    recorded     TEXT NOT NULL,
    record       TEXT NOT NULL,
    PRIMARY KEY (round, department)
);
CREATE TABLE IF NOT EXISTS checked (
    sha256       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    file         TEXT NOT NULL,
    record       TEXT NOT NULL,
    PRIMARY KEY (sha256, fingerprint, file)
);
CREATE TABLE IF NOT EXISTS runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    round      TEXT NOT NULL,
    started    TEXT NOT NULL,
    total      REAL,
    passed     INTEGER,
    accepted   INTEGER,
    rejected   INTEGER,
    gaps       INTEGER
);
"""


class Ledger:
    def __init__(self, output_dir: Path):
        self.path = output_dir / FILE_NAME
        self._json: dict[int, tuple[Checked, str]] = {}     # id -> (record, its JSON), see _record_json

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            _create(self.path)
        conn = sqlite3.connect(self.path, timeout=wait_seconds())
        migrate(conn, self.path)
        return conn

    connect = _connect      # for modules that keep their own table in the ledger file (outbox, unchanged)

    def previous(self, round_name: str) -> dict | None:
        """Summary of the round before `round_name` (by first run), or None."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT first_run FROM rounds WHERE name = ?", (round_name,)).fetchone()
            if row is None:
                prev = conn.execute("SELECT summary FROM rounds ORDER BY first_run DESC, rowid DESC LIMIT 1")
            else:
                prev = conn.execute(
                    "SELECT summary FROM rounds WHERE name != ? AND (first_run < ? OR (first_run = ? AND "
                    "rowid < (SELECT rowid FROM rounds WHERE name = ?))) ORDER BY first_run DESC, rowid DESC LIMIT 1",
                    (round_name, row[0], row[0], round_name))
            found = prev.fetchone()
        return json.loads(found[0]) if found else None

    def record(self, summary: dict, started: str) -> None:
        """Store a round's summary.json (a dict, as written) and one line in the run history."""
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO rounds (name, first_run, last_run, summary) VALUES (?, ?, ?, CAST(? AS TEXT)) "
                "ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run, summary = excluded.summary",
                (summary["round"], started, started, json_utf8(summary)))
            _insert_run(conn, summary, started, "ok")

    def record_run(self, summary: dict, started: str, outcome: str) -> None:
        """One line in the run history only (a run that found nothing changed: outcome 'unchanged')."""
        with closing(self._connect()) as conn, conn:
            _insert_run(conn, summary, started, outcome)

    def keep_accepted(self, round_name: str, fingerprint: str, submissions: list[Checked], recorded: str) -> None:
        """Remember each department's accepted submission of this round (replacing an older one)."""
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT INTO accepted (round, department, fingerprint, recorded, record) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(round, department) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "recorded = excluded.recorded, record = excluded.record",
                [(round_name, s.department, fingerprint, recorded, self._record_json(s)) for s in submissions])
        self._json.clear()

    def accepted_before(self, round_name: str, fingerprint: str, department: str) -> Checked | None:
        """The department's last accepted submission of this round under the same rules, if any."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT record FROM accepted WHERE round = ? AND department = ? AND fingerprint = ?",
                               (round_name, department, fingerprint)).fetchone()
        return checked_from_record(json.loads(row[0])) if row else None

    def reminders(self, round_name: str) -> list[dict]:
        """§14 summary.json followup.reminders: each follow-up step the outbox holds for the round
        (written there by followup.remind, its facts naming the step), oldest first; its state is
        failed or pending while any of its addresses is, else sent."""
        with closing(self._connect()) as conn:
            have = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
            if not {"facts", "kind", "state", "created"} <= have:
                return []
            rows = conn.execute("SELECT kind, facts, state, created FROM outbox WHERE round = ? AND state != 'superseded' "
                                "AND kind IN ('remind', 'chase', 'escalate') ORDER BY id", (round_name,)).fetchall()
        labels = {"remind": "提醒", "chase": "催办", "escalate": "督办"}
        steps: dict[tuple, dict] = {}
        for kind, facts, state, created in rows:
            try:
                f = json.loads(facts or "{}")
            except ValueError:
                continue
            key = (kind, f.get("department", ""), f.get("step", ""), f.get("due_on", ""))
            entry = steps.setdefault(key, {"kind": labels[kind], "department": key[1], "to": f.get("to") or [],
                                           "cc": f.get("cc") or [], "step": key[2], "due_on": key[3],
                                           "queued_on": (created or "")[:10], "states": set()})
            entry["states"].add(state)
        out = []
        for entry in steps.values():
            states = entry.pop("states")
            entry["state"] = next((s for s in ("failed", "pending") if s in states), "sent")
            out.append(entry)
        return out

    @staticmethod
    def escalated(reminders: list[dict]) -> list[str]:
        """§14 followup.escalated: the departments whose 督办 went to their head or 分管领导 too
        (copied, and sent), in the order they were first escalated."""
        return list(dict.fromkeys(r["department"] for r in reminders
                                  if r["kind"] == "督办" and r["cc"] and r["state"] == "sent"))

    def counted_elsewhere(self, round_name: str) -> dict[str, str]:
        """sha256 -> the latest other round in which a file of that content was counted (accepted)."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT json_extract(a.record, '$.sha256'), a.round FROM accepted a LEFT JOIN rounds r ON r.name = a.round "
                "WHERE a.round != ? ORDER BY COALESCE(r.first_run, ''), r.rowid", (round_name,)).fetchall()
        return {sha: name for sha, name in rows if sha}

    def checked_before(self, fingerprint: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Checked]:
        """Files already checked under the same rules and checking code: (sha256, file) -> Checked."""
        if not keys:
            return {}
        with closing(self._connect()) as conn:
            conn.execute("CREATE TEMP TABLE wanted (sha256 TEXT, file TEXT)")
            conn.executemany("INSERT INTO wanted VALUES (?, ?)", keys)
            rows = conn.execute("SELECT c.sha256, c.file, c.record FROM checked c JOIN wanted w "
                                "ON c.sha256 = w.sha256 AND c.file = w.file WHERE c.fingerprint = ?",
                                (fingerprint,)).fetchall()
        return {(sha, file): checked_from_record(json.loads(record)) for sha, file, record in rows}

    def keep_checked(self, fingerprint: str, checked: list[Checked]) -> None:
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO checked (sha256, fingerprint, file, record) VALUES (?, ?, ?, ?)",
                [(c.sha256, fingerprint, c.file, self._record_json(c)) for c in checked if c.sha256])

    def _record_json(self, c: Checked) -> str:
        """checked_record(c) as JSON, made once for a file that is both kept as checked and as
        accepted in the same run (10,000 of each at 10,000 departments)."""
        found = self._json.get(id(c))
        if found is None or found[0] is not c:
            found = self._json[id(c)] = (c, json.dumps(checked_record(c), ensure_ascii=False))
        return found[1]

    def first_run(self, round_name: str) -> dt.date | None:
        """The day the round was first run, or None for a new round."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT first_run FROM rounds WHERE name = ?", (round_name,)).fetchone()
        return dt.datetime.fromisoformat(row[0]).date() if row else None

    def rounds(self) -> list[tuple[str, str, str]]:
        with closing(self._connect()) as conn:
            return conn.execute("SELECT name, first_run, last_run FROM rounds ORDER BY first_run, rowid").fetchall()


def _insert_run(conn: sqlite3.Connection, summary: dict, started: str, outcome: str) -> None:
    subs = summary.get("submissions", [])
    unit = summary.get("unit")      # absent in units mode (§17): no combined total, a verdict per unit
    conn.execute(
        "INSERT INTO runs (round, started, total, passed, accepted, rejected, gaps, outcome) VALUES (?,?,?,?,?,?,?,?)",
        (summary["round"], started, unit["total"] if unit else None, int(unit["passed"]) if unit else None,
         sum(s["status"] == "accepted" for s in subs), sum(s["status"] == "rejected" for s in subs),
         len(summary.get("gaps", [])), outcome))


def json_utf8(data: dict) -> bytes:
    """json.dumps(data, ensure_ascii=False) encoded as UTF-8, made piece by piece: the text of a
    round of 10,000 departments (65 MB) as one str takes twice that (Chinese needs 2 bytes a
    character in a str) before SQLite gets its UTF-8 copy; stored as TEXT all the same."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    out = io.BytesIO()
    out.write(b"{")
    for n, (key, value) in enumerate(data.items()):
        out.write(((", " if n else "") + encode(key) + ": ").encode())
        if isinstance(value, list) and len(value) > 1000:
            for k in range(0, len(value), 1000):
                out.write((("[" if k == 0 else ", ") + encode(value[k:k + 1000])[1:-1]).encode())
            out.write(b"]")
        else:
            out.write(encode(value).encode())
    out.write(b"}")
    return out.getvalue()


def _plain(record) -> dict:
    """A flat dataclass record as a dict (what asdict gives for these records, without its deep
    copy, which was most of the ledger's time at thousands of files). refs is copied."""
    names = _FIELDS.get(type(record))
    if names is None:
        names = _FIELDS[type(record)] = tuple(f.name for f in fields(record))
    out = {name: getattr(record, name) for name in names}
    if isinstance(out.get("refs"), dict):
        out["refs"] = dict(out["refs"])
    return out


_FIELDS: dict[type, tuple[str, ...]] = {}


def checked_record(c: Checked) -> dict:
    """What the ledger keeps of a checked file, so it can stand in a later run without its bytes."""
    return {
        "file": c.file, "sha256": c.sha256, "mtime": c.mtime, "department": c.department,
        "fill_date": c.fill_date.isoformat() if c.fill_date else None, "filler": c.filler,
        "phone": c.phone, "findings": [_plain(f) for f in c.findings],
        "entries": [{**_plain(e), "deadline": e.deadline.isoformat() if e.deadline else None} for e in c.entries],
        "vetoes": [_plain(v) for v in c.vetoes], "bonuses": [_plain(b) for b in c.bonuses]}


def checked_from_record(record: dict) -> Checked:
    from ..intake.validation import BonusClaim, Checked, Entry, VetoAnswer

    def day(text):
        return dt.date.fromisoformat(text) if text else None

    return Checked(
        file=record["file"], path=None, sha256=record["sha256"], mtime=record["mtime"],
        department=record["department"], fill_date=day(record["fill_date"]), filler=record["filler"],
        phone=record["phone"], findings=tuple(Finding(**f) for f in record["findings"]),
        entries=tuple(Entry(**{**e, "deadline": day(e["deadline"])}) for e in record["entries"]),
        vetoes=tuple(VetoAnswer(**v) for v in record["vetoes"]),
        bonuses=tuple(BonusClaim(**b) for b in record["bonuses"]))


# ---------------------------------------------------------------------------------------------
# Schema versions, backups and export (issue 11). The schema's version is SQLite's user_version;
# before a file written by an older version is changed, it is copied beside itself, dated, so the
# office can always go back. Tables other modules add with CREATE TABLE IF NOT EXISTS (outbox,
# reviews, ...) need no version: adding a table changes nothing that exists.

SCHEMA_VERSION = 2
# version -> the statements that bring version-1 files up to it. Version 1 is SCHEMA above.
MIGRATIONS: dict[int, str] = {
    2: """
    ALTER TABLE runs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
    ALTER TABLE runs ADD COLUMN seconds REAL;
    ALTER TABLE runs ADD COLUMN error TEXT;
    """,
}


class LedgerTooNew(Exception):
    """The ledger was written by a newer version of this tool; it is left untouched."""


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def backup(conn: sqlite3.Connection, path: Path, label: str) -> Path:
    """A consistent copy of the open ledger beside it: ledger.sqlite3.<label>-<YYYYmmdd-HHMMSS>.bak."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{label}-{stamp}-{n}.bak")
        n += 1
    with closing(sqlite3.connect(target)) as copy:
        conn.backup(copy)
    return target


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create the schema, or bring an older ledger up to SCHEMA_VERSION after backing it up."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise LedgerTooNew(f"{path}: schema version {version}, this program knows {SCHEMA_VERSION}")
    if _tables(conn):
        # A file from before versioning (user_version 0) has version 1's tables. The copy is made
        # outside the transaction below (SQLite cannot copy a database its copier is writing).
        saved = backup(conn, path, f"v{max(version, 1)}")
        logger.warning("台账 %s 将从第 %d 版升级到第 %d 版，升级前已备份为 %s", path, max(version, 1),
                       SCHEMA_VERSION, saved)
    conn.commit()
    conn.execute("BEGIN IMMEDIATE")         # one process migrates; another waits, then finds it done
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            statements = SCHEMA.split(";")
            for target in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                statements += MIGRATIONS[target].split(";")
            for statement in filter(str.strip, statements):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _create(path: Path) -> None:
    """A new ledger is made aside and renamed into place once its schema is written: a disk that
    fills up meanwhile leaves no half-made ledger that the next run would have to call damaged."""
    part = path.with_name(f".{path.name}.new.part")
    journal = part.with_name(part.name + "-journal")
    part.unlink(missing_ok=True)
    journal.unlink(missing_ok=True)         # a killed attempt's: never to be rolled back into this one
    try:
        with closing(sqlite3.connect(part)) as conn:
            migrate(conn, part)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)


def finish_run(output_dir: Path, round_name: str, seconds: float) -> None:
    """Add the duration to the run the pipeline just recorded: the round's newest `runs` row (runs
    hold the lock, so it is ours)."""
    with closing(Ledger(output_dir)._connect()) as conn, conn:
        conn.execute("UPDATE runs SET seconds = ? WHERE id = (SELECT max(id) FROM runs WHERE round = ? "
                     "AND outcome IN ('ok', 'unchanged'))", (seconds, round_name))


def record_failure(output_dir: Path, round_name: str, started: str, seconds: float, error: str) -> None:
    """A run that failed is a `runs` row too (outcome 'failed'), so `status` shows it."""
    with closing(Ledger(output_dir)._connect()) as conn, conn:
        conn.execute("INSERT INTO runs (round, started, outcome, seconds, error) VALUES (?, ?, 'failed', ?, ?)",
                     (round_name, started, seconds, error))


def open_readonly(output_dir: Path) -> sqlite3.Connection | None:
    """The ledger for reading only (status, export): never created, migrated or changed. None if absent."""
    path = Path(output_dir) / FILE_NAME
    if not path.is_file():
        return None
    # By path, not a file: URI: on Windows a mapped network drive resolves to \\server\share, whose
    # URI has an authority that SQLite rejects ("invalid uri authority"). query_only refuses writes.
    conn = sqlite3.connect(path, timeout=wait_seconds())
    conn.execute("PRAGMA query_only = ON")
    conn.row_factory = sqlite3.Row
    return conn


def export(output_dir: Path, target: Path, *, csv_files: bool = True) -> list[Path]:
    """Copy the ledger (a consistent SQLite copy) and, with csv_files, every table as CSV into target.

    CSV files are UTF-8 with a byte-order mark, so Excel and WPS open the Chinese text correctly.
    """
    conn = open_readonly(output_dir)
    if conn is None:
        raise FileNotFoundError(str(Path(output_dir) / FILE_NAME))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with closing(conn):
        copy_path = target / FILE_NAME
        with closing(sqlite3.connect(copy_path)) as copy:
            conn.backup(copy)
        written.append(copy_path)
        if csv_files:
            for table in _tables(conn):
                cursor = conn.execute(f'SELECT * FROM "{table}"')
                path = target / f"{table}.csv"
                with open(path, "w", newline="", encoding="utf-8-sig") as f:
                    writer = csv.writer(f)
                    writer.writerow([d[0] for d in cursor.description])
                    writer.writerows(tuple(row) for row in cursor)
                written.append(path)
    return written
