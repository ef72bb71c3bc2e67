"""The ledger's way back (issue 18): a damaged ledger stops a run, a verified copy brings it back.

A run starts by checking the ledger is a sound SQLite file (cheaply: the header, the size it
declares, the schema readable), so a damaged one stops the run with exit 3 instead of failing every
run with an internal error; after every successful full run a verified copy is kept (BACKUP_NAME)
and `process.py ledger restore` puts it back, keeping the damaged file aside.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from .errors import LedgerDamaged
from .ledger import BACKUP_NAME, FILE_NAME, wait_seconds

logger = logging.getLogger(__name__)

HEADER = b"SQLite format 3\x00"


def backup_path(output_dir: Path) -> Path:
    return Path(output_dir) / BACKUP_NAME


def _damaged(path: Path, reason: str) -> LedgerDamaged:
    backup = backup_path(path.parent)
    return LedgerDamaged(path, reason, backup if backup.is_file() else None)


def _header_problem(path: Path) -> str | None:
    """Why the file at path cannot be a sound SQLite database, from its header alone, or None."""
    size = path.stat().st_size
    if size == 0:
        return "文件为空（0 字节）"
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100 or not head.startswith(HEADER):
        return "不是 SQLite 数据库文件"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    valid = head[24:28] == head[92:96]          # the page count is trustworthy (SQLite ≥ 3.7.0)
    if page < 512 or page & (page - 1):
        return "文件头已损坏"
    if valid and pages and size < page * pages:
        return f"文件不完整（应有 {page * pages:,} 字节，实有 {size:,} 字节），可能被截断"
    return None


def verify(output_dir: Path) -> None:
    """Raise errors.LedgerDamaged unless the ledger is absent (a first run) or looks sound.
    A ledger that is missing while its backup exists is damaged too: it is never rebuilt silently
    over an output folder that has a history (the outbox would be lost and mail sent again)."""
    path = Path(output_dir) / FILE_NAME
    if not path.exists():
        if backup_path(output_dir).is_file():
            raise _damaged(path, "文件不见了")
        return
    # A hot journal left by a killed run is rolled back by SQLite on the first read: let it, first.
    journal = path.with_name(path.name + "-journal")
    if journal.is_file() and journal.stat().st_size:
        with closing(sqlite3.connect(path, timeout=wait_seconds())) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    problem = _header_problem(path)
    if problem is None:
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                         timeout=wait_seconds())) as conn:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in (11, 26):      # CORRUPT, NOTADB
                raise
            problem = str(exc)
    if problem is not None:
        raise _damaged(path, problem)


def _sound(path: Path) -> bool:
    try:
        if _header_problem(path) is not None:
            return False
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except (OSError, sqlite3.DatabaseError):
        return False


def keep_backup(output_dir: Path) -> Path | None:
    """Copy the ledger (SQLite's online backup: consistent) beside itself, check the copy, then put
    it in place of the last one. A copy that does not check out is dropped (the older one stays)."""
    path = Path(output_dir) / FILE_NAME
    if not path.is_file():
        return None
    target = backup_path(output_dir)
    part = target.with_name(f".{target.name}.part")
    part.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(path, timeout=wait_seconds())) as conn, \
                closing(sqlite3.connect(part)) as copy:
            conn.backup(copy)
        if not _sound(part):
            logger.warning("台账备份校验未通过，保留上一份备份 %s", target)
            return None
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def restore(output_dir: Path) -> tuple[Path, Path | None]:
    """Put the last good copy back in place of the ledger; the damaged file is kept aside, renamed
    ledger.sqlite3.damaged-<date-time>. Returns (the backup used, where the damaged file went).
    Raises FileNotFoundError when there is no backup, LedgerDamaged when the backup is not sound."""
    path = Path(output_dir) / FILE_NAME
    source = backup_path(output_dir)
    if not source.is_file():
        raise FileNotFoundError(str(source))
    if not _sound(source):
        raise LedgerDamaged(source, "备份文件本身也无法通过校验", None)
    aside = None
    if path.exists():
        aside = path.with_name(f"{path.name}.damaged-{dt.datetime.now():%Y%m%d-%H%M%S}")
        os.replace(path, aside)
    for suffix in ("-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    part = path.with_name(f".{path.name}.restore.part")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(part)) as copy:
        src.backup(copy)
    os.replace(part, path)
    return source, aside
