"""Named exceptions the command line maps to exit codes, in a module light enough for `--help`.

Every stop that is not a defect of ours is one of these, raised `from` the library error it wraps,
carrying the one Chinese sentence the operator reads (what happened, what to do). cli.main maps
them to exit codes in one place (CONTRACT.md §6); `translate` turns the operating system's and
SQLite's errors about the output folder and the ledger into them.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

EXIT_USAGE, EXIT_LEDGER, EXIT_OUTPUT, EXIT_INTERNAL, EXIT_BUSY = 2, 3, 4, 70, 75


class ReportError(Exception):
    """A template could not be opened or rendered; names the template file."""

    def __init__(self, template: str, message: str):
        super().__init__(f"{template}：{message}")
        self.template = template
        self.message = message


class Stop(Exception):
    """A run cannot go on for a reason outside the program; `message` says what to do."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FoldersOverlap(Stop):
    """The output folder is, is inside, or contains the input folder (a usage error)."""

    exit_code = EXIT_USAGE

    def __init__(self, input_dir: Path, output_dir: Path):
        super().__init__(f"输出文件夹 {output_dir} 与输入文件夹 {input_dir} 相同、在其中或包含它，"
                         "程序会把自己的输出当作报送文件读回。请为 --output 另选一个不在输入文件夹内的文件夹。")


class LedgerDamaged(Stop):
    """The ledger file is not a sound SQLite database (garbage, truncated, emptied)."""

    exit_code = EXIT_LEDGER

    def __init__(self, path: Path, reason: str, backup: Path | None = None):
        way_back = (f"请运行 `python process.py ledger restore --output {path.parent}` 从上次成功运行后保存的备份"
                    f"（{backup}）恢复，然后重新运行。" if backup is not None else
                    "没有可用的备份：请从存档中找回该文件；若确需从头开始，把它移走后重新运行会新建台账"
                    "（历史轮次和发件记录都会丢失，邮件可能重发）。")
        super().__init__(f"台账文件 {path} 已损坏（{reason}），本次处理已停止，输出未作改动。{way_back}")
        self.path, self.reason, self.backup = path, reason, backup


class LedgerBusy(Stop):
    """Another program kept the ledger locked longer than the documented wait."""

    exit_code = EXIT_BUSY

    def __init__(self, path: Path, seconds: float):
        super().__init__(f"台账文件 {path} 正被其他程序占用（等待 {seconds:g} 秒后仍未释放），本次处理未进行，"
                         "输出未作改动。请关闭正在打开该文件的程序（如数据库查看工具）后重新运行。")


class OutputNotWritable(Stop):
    """The output folder cannot be written: disk full, read-only, no permission."""

    exit_code = EXIT_OUTPUT

    def __init__(self, where: str, full: bool):
        what = ("磁盘空间不足" if full else "输出目录不可写（只读或没有写入权限）")
        todo = ("请清理磁盘空间后重新运行" if full else "请检查该文件夹的权限或磁盘是否以只读方式挂载，改正后重新运行")
        super().__init__(f"无法写入 {where}：{what}。本次处理已停止，上一次的输出保持不变；{todo}。")
        self.full = full


FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite's primary result codes (https://sqlite.org/rescode.html)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL = 5, 6, 8, 10, 11, 13
SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_PERM = 14, 26, 3


def _inside(name, folder: Path) -> bool:
    if name is None:
        return False
    try:
        return os.path.commonpath([os.path.abspath(os.fsdecode(name)), os.path.abspath(folder)]) == os.path.abspath(folder)
    except ValueError:
        return False


def translate(exc: BaseException, output_dir: Path | None, ledger_wait: float = 0.0) -> Stop | None:
    """The named stop for an OS or SQLite error about the output folder or the ledger, else None
    (then it is a defect of ours and must stay one)."""
    if isinstance(exc, Stop):
        return exc
    if output_dir is None:
        return None
    output_dir = Path(output_dir)
    ledger = output_dir / "ledger.sqlite3"
    if isinstance(exc, sqlite3.Error) and not isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
            from .ledger import BACKUP_NAME         # deferred: ledger imports findings

            backup = output_dir / BACKUP_NAME
            return LedgerDamaged(ledger, str(exc), backup if backup.is_file() else None)
        if code in (SQLITE_BUSY, SQLITE_LOCKED):
            return LedgerBusy(ledger, ledger_wait)
        if code == SQLITE_FULL:
            return OutputNotWritable(str(ledger), full=True)
        if code in (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_IOERR):
            return OutputNotWritable(str(ledger), full=False)
        return None
    if isinstance(exc, OSError) and not isinstance(exc, (BlockingIOError, InterruptedError)):
        if exc.errno in FULL:
            return OutputNotWritable(os.fsdecode(exc.filename) if exc.filename else str(output_dir), full=True)
        if exc.errno in NOT_WRITABLE and (_inside(exc.filename, output_dir) or _inside(exc.filename2, output_dir)):
            return OutputNotWritable(os.fsdecode(exc.filename), full=False)
    return None
