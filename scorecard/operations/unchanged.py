"""An unchanged rerun does nothing (issue 10): one key over everything a round's outputs depend on.

The key covers the rules as loaded (all of rules.yaml), the code of this package, the Word and
mail templates, the round and its report date, and every file in the input folder by path and
content (the office's pasted 核定表 included). After a successful run it is kept in the ledger
(table `last_run`), with the round folder as that run left it: every file's size and modification
time, and the content hash of the two workbooks the office edits in place (核定表, 问题清单).

A run is unchanged when its key is the kept one and the round folder is exactly as listed: so an
edit in 核定表.xlsx, a deleted report or another round run in between (it replaces the kept key)
makes a full run. A run that fails, and a forced run, forget the key before they start.

Only the standard library and the light modules are imported here: a rerun that finds nothing
changed must not pay for loading pandas, openpyxl, python-docx and matplotlib.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from .. import PACKAGE_TEMPLATES
from .dashboard import DASHBOARD as OVERVIEW
from ..base.codekey import code_version
from ..base.fsutil import file_sha256
from .ledger import Ledger
from ..rules import Rules

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS last_run (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    round     TEXT NOT NULL,
    key       TEXT NOT NULL,
    outputs   TEXT NOT NULL,
    recorded  TEXT NOT NULL
)
"""
EDITED_IN_PLACE = ("核定表.xlsx", "问题清单.xlsx")     # the office's workbooks (CONTRACT.md §11)
SUMMARY = "summary.json"
NOT_OURS = ("Thumbs.db", "desktop.ini", ".DS_Store")


_CODE = code_version()      # another version of the program processes everything again


def _tree(digest, root: Path | None) -> None:
    if root is None or not root.is_dir():
        digest.update(b"-")
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + file_sha256(path).encode())


def input_key(rules: Rules, input_dir: Path, hashes: dict[Path, str], *, round_name: str, as_of: dt.date,
              templates_dir: Path | None) -> str:
    """The key of everything a run of this round reads (its ledger aside, which only runs change).
    hashes: every input file's SHA-256 ("" when it cannot be read: then the key is one no run has
    kept, and the full run reports the file)."""
    digest = hashlib.sha256()
    digest.update(f"{_CODE}\0{rules!r}\0{round_name}\0{as_of.isoformat()}\0".encode())
    _tree(digest, PACKAGE_TEMPLATES)
    _tree(digest, Path(templates_dir) if templates_dir is not None else None)
    for path, content in hashes.items():
        content = content or f"unreadable:{dt.datetime.now().isoformat()}"
        # the name's own bytes: a file name that is not UTF-8 (GBK from a Windows zip) is fine here
        digest.update(b"\n" + os.fsencode(path.relative_to(input_dir)) + f"\0{content}".encode())
    return digest.hexdigest()


def _not_ours(path: Path, stat) -> bool:
    """Word's and Excel's owner file (~$名.docx, beside a report that is open), and hidden files (the
    explorer's desktop.ini, Thumbs.db, a Mac's ._ files): no run wrote them, none changes a result.
    (Our own .render-keys.json is neither.)"""
    hidden = getattr(stat, "st_file_attributes", 0) & 0x2      # FILE_ATTRIBUTE_HIDDEN (Windows only)
    return path.name.startswith(("~$", "._")) or path.name in NOT_OURS or bool(hidden)


def _outputs(round_dir: Path) -> dict[str, list]:
    """The round folder as it is: relative path -> [size, mtime_ns] (+ content hash when edited in
    place), and the page across rounds beside it (看板.html, which every run writes: CONTRACT §15)."""
    listing = {}
    overview = round_dir.parent / OVERVIEW
    if overview.is_file():
        listing[f"../{OVERVIEW}"] = [overview.stat().st_size, overview.stat().st_mtime_ns]
    for path in sorted(round_dir.rglob("*")):
        if path.is_file() and not _not_ours(path, stat := path.stat()):
            name = path.relative_to(round_dir).as_posix()
            listing[name] = [stat.st_size, stat.st_mtime_ns]
            if name in EDITED_IN_PLACE:
                listing[name].append(file_sha256(path))
    return listing


def _connect(output_dir: Path) -> sqlite3.Connection:
    conn = Ledger(output_dir).connect()
    conn.execute(SCHEMA)
    return conn


def last_summary(output_dir: Path, round_dir: Path, key: str) -> dict | None:
    """The last run's summary if that run had this key and left the round folder as it is now, else None."""
    if not (Path(output_dir) / "ledger.sqlite3").is_file() or not round_dir.is_dir():
        return None
    with closing(_connect(output_dir)) as conn:
        row = conn.execute("SELECT key, outputs FROM last_run WHERE id = 1").fetchone()
    if row is None or row[0] != key:
        return None
    try:
        if json.loads(row[1]) != _outputs(round_dir):
            return None
        with (round_dir / SUMMARY).open(encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        logger.info("上次的输出无法沿用（%s），重新处理", exc)
        return None


def forget(output_dir: Path) -> None:
    """No kept key: the next run is a full one whatever happens to this one."""
    if not (Path(output_dir) / "ledger.sqlite3").is_file():
        return
    with closing(_connect(output_dir)) as conn, conn:
        conn.execute("DELETE FROM last_run")


def remember(output_dir: Path, round_dir: Path, key: str, now: dt.datetime) -> None:
    """Keep the key of the run that just succeeded, with its round folder as it left it."""
    outputs = json.dumps(_outputs(round_dir), ensure_ascii=False)
    with closing(_connect(output_dir)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO last_run (id, round, key, outputs, recorded) VALUES (1, ?, ?, ?, ?)",
                     (round_dir.name, key, outputs, now.isoformat(timespec="microseconds")))


def record_run(output_dir: Path, summary: dict, now: dt.datetime) -> None:
    """An unchanged run is a line in the run history too (outcome 'unchanged'), with the figures it showed."""
    Ledger(output_dir).record_run(summary, now.isoformat(timespec="microseconds"), outcome="unchanged")
