"""Writing files so they appear whole or not at all: written aside, then renamed into place."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

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
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
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


@contextmanager
def run_lock(output_dir: Path):
    """An exclusive OS lock on <output>/.lock, released when the process ends, even by a crash."""
    output_dir.mkdir(parents=True, exist_ok=True)
    handle = open(output_dir / ".lock", "a+b")
    try:
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise LockHeld(str(output_dir / ".lock")) from exc
        yield
    finally:
        handle.close()


def file_sha256(path: Path) -> str:
    """The file's SHA-256, or "" when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()
