"""Writing files so they appear whole or not at all: written aside, then renamed into place.

What is written follows the process umask, as any program's files do (CONTRACT.md §6): the
office opens the reports and edits its workbooks under another account than the service's. So
the staging folder is a plain os.mkdir of a random name (mkdtemp makes it 0700) and a file
written aside is given the mode open() would have given it (mkstemp makes it 0600).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import stopping

logger = logging.getLogger(__name__)


def umask() -> int:
    """The process umask, read without changing it where the system tells it (Linux), else by
    setting and restoring it."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_open_would(fd: int) -> None:
    """The mode open() gives a new file (0666 less the umask), for a file mkstemp made 0600."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o666 & ~umask())


def fresh_dir(parent: Path, prefix: str) -> Path:
    """A new folder parent/<prefix><random>, made with the umask's mode (not mkdtemp's 0700)."""
    while True:
        candidate = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            continue


# Windows refuses a rename while another process holds a file open: for a moment when it is the
# antivirus or the search indexer, for good when it is a report open in Word. Retried with backoff
# (about 3 s in all), then the PermissionError stands.
REPLACE_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


def replace(src, dst) -> None:
    """os.replace, retried briefly on PermissionError."""
    for delay in REPLACE_DELAYS:
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            time.sleep(delay)
    os.replace(src, dst)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        _as_open_would(fd)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save_workbook(wb, path: Path) -> Path:
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


class OutputBusy(Exception):
    """The output folder cannot be replaced, typically because a file in it is open."""


@contextmanager
def staged_directory(target: Path):
    """Yield an empty folder beside `target`; on success it replaces `target` whole.

    If the body raises, the staging folder is removed and `target` is left exactly as it was.
    The swap is two renames (old aside, new in place); the old copy is deleted afterwards.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = fresh_dir(target.parent, f".{target.name}.staging-")
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
        try:
            replace(target, old)
        except PermissionError as exc:
            # Windows refuses while a file inside is open (a report in Word): keep the old outputs.
            shutil.rmtree(stage, ignore_errors=True)
            raise OutputBusy(str(target)) from exc
    try:
        replace(stage, target)
    except BaseException:
        if old is not None:
            replace(old, target)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class LockHeld(Exception):
    """Another run holds the output folder's lock."""


def try_lock(handle) -> None:
    """An exclusive, non-blocking OS lock on an open file (its first byte on Windows); OSError when
    another process holds it. Released by unlock() or when the file or the process is closed."""
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def unlock(handle) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def run_lock(output_dir: Path):
    """An exclusive OS lock on <output>/.lock, released when the process ends, even by a crash."""
    output_dir.mkdir(parents=True, exist_ok=True)
    handle = open(output_dir / ".lock", "a+b")
    try:
        try:
            try_lock(handle)
        except OSError as exc:
            raise LockHeld(str(output_dir / ".lock")) from exc
        yield
    finally:
        handle.close()


def file_sha256(path: Path) -> str:
    """The file's SHA-256, or "" when it cannot be read. Only for regular files (a FIFO would
    block here forever): the caller has looked at what the path is (listing.py)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for n, chunk in enumerate(iter(lambda: f.read(1 << 16), b"")):
                digest.update(chunk)
                if n % 64 == 63:
                    stopping.check()
    except OSError:
        return ""
    return digest.hexdigest()


_LEFT_BEHIND = re.compile(r"\.(?P<name>.+)\.(?P<kind>staging|old)-[0-9a-z_]+")
_PART = re.compile(r"\..+\.part")


def clean_left_behind(output_dir: Path) -> list[str]:
    """Remove what a killed run left in output_dir: staging folders, and the partial files of an
    interrupted atomic write there and one level down. An `.old-` copy whose round folder is gone
    (killed between the two renames of the swap) is put back; otherwise it is removed.
    The caller holds the run lock, so none of these belongs to a live run. Returns what was done."""
    done = []
    try:
        entries = list(os.scandir(output_dir))
    except FileNotFoundError:
        return done
    for entry in entries:
        m = _LEFT_BEHIND.fullmatch(entry.name)
        if m and entry.is_dir(follow_symlinks=False):
            target = Path(output_dir) / m["name"]
            if m["kind"] == "old" and not os.path.lexists(target):
                os.replace(entry.path, target)
                done.append(f"恢复 {target}")
            else:
                shutil.rmtree(entry.path, ignore_errors=True)
                done.append(f"删除 {entry.path}")
        elif entry.is_file(follow_symlinks=False) and _PART.fullmatch(entry.name):
            os.unlink(entry.path)
            done.append(f"删除 {entry.path}")
        elif entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            try:
                inner = [e for e in os.scandir(entry.path)
                         if _PART.fullmatch(e.name) and e.is_file(follow_symlinks=False)]
            except OSError:
                continue
            for e in inner:
                os.unlink(e.path)
                done.append(f"删除 {e.path}")
    for line in done:
        logger.info("清理上次中断的运行留下的文件：%s", line)
    return done
