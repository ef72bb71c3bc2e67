"""The office's records in the ledger (CONTRACT.md §11): tables of their own in the same
`<output>/ledger.sqlite3` as scorecard.operations.ledger, created here (scorecard.operations.ledger is not changed).

office_reviews   the 核定 row as recorded now, per (round, department, indicator)
office_tracking  a gap's tracking as recorded now, per (round, key); pinned for every gap of a run
office_edits     every accepted edit: field, old and new value, file, sheet, cell, file time, run time

`stamp` is the modification time of the file the row's last edit came from: the newest edit wins.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..base.ledgerfile import wait_seconds
from ..scoring.result import key_of as gap_key, split_key
from .read import NOT_STARTED, REVIEW, Edit, fmt_canonical, review_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS office_reviews (
    round       TEXT NOT NULL,
    department  TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    score       REAL,
    reason      TEXT NOT NULL DEFAULT '',
    reviewer    TEXT NOT NULL DEFAULT '',
    date        TEXT NOT NULL DEFAULT '',
    stamp       REAL NOT NULL,
    file        TEXT NOT NULL,
    recorded    TEXT NOT NULL,
    PRIMARY KEY (round, department, indicator)
);
CREATE TABLE IF NOT EXISTS office_tracking (
    round       TEXT NOT NULL,
    key         TEXT NOT NULL,
    status      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    closed_on   TEXT NOT NULL DEFAULT '',
    verifier    TEXT NOT NULL DEFAULT '',
    stamp       REAL NOT NULL,
    file        TEXT NOT NULL,
    recorded    TEXT NOT NULL,
    extended_to TEXT NOT NULL DEFAULT '',
    extension_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round, key)
);
CREATE TABLE IF NOT EXISTS office_edits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    round       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    row         TEXT NOT NULL,
    field       TEXT NOT NULL,
    old         TEXT,
    new         TEXT,
    file        TEXT NOT NULL,
    sheet       TEXT NOT NULL,
    cell        TEXT NOT NULL,
    mtime       TEXT NOT NULL,
    recorded    TEXT NOT NULL
);
"""
# Columns added to office_tracking after ledgers were in use (§14 延期): added to an older ledger.
LATER_COLUMNS = {"office_tracking": ("extended_to", "extension_reason")}
# --- the ledger ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Review:
    score: float | None
    reason: str = ""
    reviewer: str = ""
    date: str = ""
    file: str = ""                # where its last edit came from
    recorded: str = ""            # when that edit was recorded (the run's clock)
    stamp: float = 0.0            # that file's modification time

    def display(self) -> dict[str, str]:
        return {"score": "" if self.score is None else fmt_canonical(self.score), "reason": self.reason,
                "reviewer": self.reviewer, "date": self.date}


@dataclass(frozen=True)
class Tracking:
    status: str = NOT_STARTED
    note: str = ""
    closed_on: str = ""
    verifier: str = ""
    file: str = ""
    recorded: str = ""
    stamp: float = 0.0
    extended_to: str = ""          # §14 延期至 (ISO date), accepted only with a reason, after the 完成时限
    extension_reason: str = ""     # 延期理由

    def as_dict(self) -> dict:
        return {"status": self.status, "note": self.note, "closed_on": self.closed_on, "verifier": self.verifier,
                "extended_to": self.extended_to, "extension_reason": self.extension_reason}

    def display(self) -> dict[str, str]:
        return self.as_dict()


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=wait_seconds())
    conn.executescript(SCHEMA)
    for table, columns in LATER_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    conn.commit()
    return conn


def load_reviews(conn, round_name: str) -> dict[tuple[str, str], Review]:
    rows = conn.execute("SELECT department, indicator, score, reason, reviewer, date, file, recorded, stamp "
                        "FROM office_reviews WHERE round = ?", (round_name,)).fetchall()
    return {(d, i): Review(s, r, v, dd, f, rec, st) for d, i, s, r, v, dd, f, rec, st in rows}


def load_tracking(conn, round_name: str) -> dict[str, Tracking]:
    rows = conn.execute("SELECT key, status, note, closed_on, verifier, file, recorded, stamp, extended_to, "
                        "extension_reason FROM office_tracking WHERE round = ?", (round_name,)).fetchall()
    return {k: Tracking(s, n, c, v, f, rec, st, ext, why) for k, s, n, c, v, f, rec, st, ext, why in rows}


def earlier_keys(conn) -> set[str]:
    keys = {k for (k,) in conn.execute("SELECT DISTINCT key FROM office_tracking")}
    has_rounds = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='rounds'").fetchone()
    if has_rounds:
        for (text,) in conn.execute("SELECT summary FROM rounds"):
            try:
                summary = json.loads(text)
            except ValueError:
                continue
            keys.update(gap_key(g) for g in summary.get("gaps", []) + summary.get("closed_gaps", []))
    return keys


def save_review(conn, round_name: str, key: tuple[str, str], review: Review) -> None:
    # A row cleared by the office is kept (all blank): its stamp still turns away an older copy.
    conn.execute(
        "INSERT INTO office_reviews (round, department, indicator, score, reason, reviewer, date, stamp, file, recorded)"
        " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(round, department, indicator) DO UPDATE SET score = excluded.score,"
        " reason = excluded.reason, reviewer = excluded.reviewer, date = excluded.date, stamp = excluded.stamp,"
        " file = excluded.file, recorded = excluded.recorded",
        (round_name, *key, review.score, review.reason, review.reviewer, review.date, review.stamp, review.file,
         review.recorded))


def save_tracking(conn, round_name: str, key: str, t: Tracking) -> None:
    conn.execute(
        "INSERT INTO office_tracking (round, key, status, note, closed_on, verifier, stamp, file, recorded,"
        " extended_to, extension_reason)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(round, key) DO UPDATE SET status = excluded.status,"
        " note = excluded.note, closed_on = excluded.closed_on, verifier = excluded.verifier,"
        " stamp = excluded.stamp, file = excluded.file, recorded = excluded.recorded,"
        " extended_to = excluded.extended_to, extension_reason = excluded.extension_reason",
        (round_name, key, t.status, t.note, t.closed_on, t.verifier, t.stamp, t.file, t.recorded, t.extended_to,
         t.extension_reason))


def log_edits(conn, round_name: str, edit: Edit, old: dict[str, str], applied: dict[str, str],
               recorded: str) -> None:
    row = review_key(*edit.key) if edit.kind == REVIEW else edit.key
    mtime = dt.datetime.fromtimestamp(edit.copy.mtime).isoformat(timespec="seconds") if edit.copy.mtime else ""
    conn.executemany(
        "INSERT INTO office_edits (round, kind, row, field, old, new, file, sheet, cell, mtime, recorded)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(round_name, edit.kind, row, name, old.get(name, ""), value, edit.copy.file, edit.copy.sheet,
          edit.row.cells.get(name, ""), mtime, recorded) for name, value in applied.items()])


def extension_history(conn, round_name: str, keys) -> dict[str, list[dict]]:
    """gap key -> every accepted change of its row's 延期至 this round, oldest first:
    {to, reason, file, recorded} (§14). The row is 部门 and 指标: an extension typed on the 逾期 gap
    is the 低分 gap's history too. A cleared extension is a change to ""; the reason is the one
    standing after that edit."""
    rows = conn.execute(
        "SELECT row, field, new, file, recorded FROM office_edits WHERE round = ? AND kind = 'tracking'"
        " AND field IN ('extended_to', 'extension_reason') ORDER BY id", (round_name,)).fetchall()
    by_row: dict[tuple, list[dict]] = {}
    reason: dict[tuple, str] = {}
    for row, field, new, file, recorded in rows:
        where = split_key(row)[1:]
        if field == "extension_reason":
            reason[where] = new
            history = by_row.get(where)
            if history and (history[-1]["file"], history[-1]["recorded"]) == (file, recorded):
                history[-1]["reason"] = new
        else:
            by_row.setdefault(where, []).append({"to": new, "reason": reason.get(where, ""), "file": file,
                                                 "recorded": recorded})
    return {key: by_row[split_key(key)[1:]] for key in keys if split_key(key)[1:] in by_row}


def edit_history(ledger_path: Path, round_name: str | None = None) -> list[dict]:
    """Every accepted office edit, oldest first (for audits and tests)."""
    with closing(connect(Path(ledger_path))) as conn:
        conn.row_factory = sqlite3.Row
        query = "SELECT * FROM office_edits" + (" WHERE round = ?" if round_name else "") + " ORDER BY id"
        return [dict(r) for r in conn.execute(query, (round_name,) if round_name else ())]
