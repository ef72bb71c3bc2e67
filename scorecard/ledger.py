"""The run history between rounds (CONTRACT.md §8): a SQLite file kept in the output folder.

A round's first run fixes its place in the order; every later run of the same round replaces its
stored summary. The previous round of R is the round first run most recently before R was.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

from .findings import Finding
from .validation import BonusClaim, Checked, Entry, VetoAnswer

FILE_NAME = "ledger.sqlite3"

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

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.executescript(SCHEMA)
        return conn

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
        subs = summary.get("submissions", [])
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO rounds (name, first_run, last_run, summary) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run, summary = excluded.summary",
                (summary["round"], started, started, json.dumps(summary, ensure_ascii=False)))
            conn.execute(
                "INSERT INTO runs (round, started, total, passed, accepted, rejected, gaps) VALUES (?,?,?,?,?,?,?)",
                (summary["round"], started, summary["unit"]["total"], int(summary["unit"]["passed"]),
                 sum(s["status"] == "accepted" for s in subs), sum(s["status"] == "rejected" for s in subs),
                 len(summary.get("gaps", []))))

    def keep_accepted(self, round_name: str, fingerprint: str, submissions: list[Checked], recorded: str) -> None:
        """Remember each department's accepted submission of this round (replacing an older one)."""
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT INTO accepted (round, department, fingerprint, recorded, record) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(round, department) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "recorded = excluded.recorded, record = excluded.record",
                [(round_name, s.department, fingerprint, recorded, json.dumps(checked_record(s), ensure_ascii=False))
                 for s in submissions])

    def accepted_before(self, round_name: str, fingerprint: str, department: str) -> Checked | None:
        """The department's last accepted submission of this round under the same rules, if any."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT record FROM accepted WHERE round = ? AND department = ? AND fingerprint = ?",
                               (round_name, department, fingerprint)).fetchone()
        return checked_from_record(json.loads(row[0])) if row else None

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
                [(c.sha256, fingerprint, c.file, json.dumps(checked_record(c), ensure_ascii=False))
                 for c in checked if c.sha256])

    def rounds(self) -> list[tuple[str, str, str]]:
        with closing(self._connect()) as conn:
            return conn.execute("SELECT name, first_run, last_run FROM rounds ORDER BY first_run, rowid").fetchall()


def checked_record(c: Checked) -> dict:
    """What the ledger keeps of a checked file, so it can stand in a later run without its bytes."""
    return {
        "file": c.file, "sha256": c.sha256, "mtime": c.mtime, "department": c.department,
        "fill_date": c.fill_date.isoformat() if c.fill_date else None, "filler": c.filler,
        "phone": c.phone, "findings": [f.as_dict() for f in c.findings],
        "entries": [{**asdict(e), "deadline": e.deadline.isoformat() if e.deadline else None} for e in c.entries],
        "vetoes": [asdict(v) for v in c.vetoes], "bonuses": [asdict(b) for b in c.bonuses]}


def checked_from_record(record: dict) -> Checked:
    def day(text):
        return dt.date.fromisoformat(text) if text else None

    return Checked(
        file=record["file"], path=None, sha256=record["sha256"], mtime=record["mtime"],
        department=record["department"], fill_date=day(record["fill_date"]), filler=record["filler"],
        phone=record["phone"], findings=tuple(Finding(**f) for f in record["findings"]),
        entries=tuple(Entry(**{**e, "deadline": day(e["deadline"])}) for e in record["entries"]),
        vetoes=tuple(VetoAnswer(**v) for v in record["vetoes"]),
        bonuses=tuple(BonusClaim(**b) for b in record["bonuses"]))
