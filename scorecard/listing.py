"""What the input folder holds, looked at before anything is opened (CONTRACT.md §3).

The folder is walked iteratively (a folder nested thousands deep is no recursion), and every entry
is judged by lstat before a byte of it is read: a FIFO, a device or a socket would block or never
end (`file.not_regular`), a symbolic link is followed only where it resolves inside the input
folder (`file.outside_input` otherwise; a dangling link or a loop is `file.not_regular`). A size
over the limit is seen here too, so an 8 GB sparse file is never hashed. File names are the bytes
the file system holds: `shown` makes a printable label of a name that is not UTF-8 (a zip from
Chinese Windows unpacked on Linux gives GBK names); the path itself is kept for opening the file.
"""
from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

NOT_REGULAR, OUTSIDE = "file.not_regular", "file.outside_input"
PLACEHOLDERS = {".gitkeep", ".keep", ".gitignore"}   # a folder's own bookkeeping, not anyone's submission


@dataclass(frozen=True)
class Refused:
    """An entry that is never opened: its rule id and the reason, in Chinese."""

    rule: str
    reason: str


def shown(path: Path | str) -> str:
    """The path as text fit to print, store and show: each name that is not UTF-8 decoded as GBK
    (GB18030) when it is that, else with U+FFFD for the bytes that cannot be decoded."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return Path(text).as_posix() if isinstance(path, Path) else text
    except UnicodeEncodeError:
        pass
    parts = []
    for part in os.fsencode(text).split(b"/"):
        for codec in ("utf-8", "gb18030"):
            try:
                parts.append(part.decode(codec))
                break
            except UnicodeDecodeError:
                continue
        else:
            parts.append(part.decode("utf-8", "replace"))
    return "/".join(parts)


def _identity(folder, st: os.stat_result):
    """What tells two folders apart: device and inode, or (where a file system gives no inode
    numbers, as some network shares on Windows) the resolved path."""
    return (st.st_dev, st.st_ino) if st.st_ino else os.path.realpath(folder)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def walk(input_dir: Path, exclude: Path | None = None) -> tuple[list[Path], dict[Path, Refused]]:
    """Every file below input_dir in a stable order (hidden folders and `exclude` skipped), and
    the entries among them that must not be opened, with why. A folder reached twice (through a
    link inside the input folder) is walked once."""
    root = os.path.realpath(input_dir)
    found: list[Path] = []
    refused: dict[Path, Refused] = {}
    seen: set = set()                       # folders walked (or not to walk: the output folder)
    if exclude is not None:
        try:
            seen.add(_identity(exclude, os.stat(exclude)))
        except OSError:
            pass
    stack = [Path(input_dir)]
    while stack:
        folder = stack.pop()
        try:
            identity = _identity(folder, os.stat(folder))
            if identity in seen:
                continue
            seen.add(identity)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            logger.warning("无法读取文件夹 %s（%s），其中的文件本次未读取", shown(folder), exc.strerror or exc)
            continue
        subfolders = []
        for entry in entries:
            if entry.name in PLACEHOLDERS:
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    verdict = _link(path, root)
                    if isinstance(verdict, Refused):
                        found.append(path)
                        refused[path] = verdict
                    elif verdict == "dir":
                        if not entry.name.startswith("."):
                            subfolders.append(path)
                    else:
                        found.append(path)
                elif entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        subfolders.append(path)
                else:
                    found.append(path)
                    mode = entry.stat(follow_symlinks=False).st_mode
                    if not stat.S_ISREG(mode):
                        refused[path] = Refused(NOT_REGULAR, f"这是一个{_kind(mode)}，不是普通文件")
            except OSError as exc:          # gone since it was listed: reading it reports file.vanished
                logger.info("%s: %s", shown(path), exc)
                found.append(path)
        stack.extend(reversed(subfolders))  # depth first, in name order, like os.walk
    return found, refused


def _link(path: Path, root: str) -> Refused | str:
    """"dir", "file" or why the link is not followed."""
    try:
        real = Path(path).resolve(strict=True)
    except RuntimeError:                    # Python 3.11 says a loop so
        return Refused(NOT_REGULAR, "这是一个循环的符号链接，不指向任何文件")
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            return Refused(NOT_REGULAR, "这是一个循环的符号链接，不指向任何文件")
        return Refused(NOT_REGULAR, "这是一个符号链接，但它指向的文件不存在")
    if not _inside(str(real), root):
        return Refused(OUTSIDE, "这是一个指向报送文件夹以外的符号链接（出于安全考虑不跟随）")
    mode = os.stat(real).st_mode
    if stat.S_ISDIR(mode):
        return "dir"
    if not stat.S_ISREG(mode):
        return Refused(NOT_REGULAR, f"这是一个指向{_kind(mode)}的符号链接，不是普通文件")
    return "file"
