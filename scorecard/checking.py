"""Checking one file: safe reading, parsing and validation, with every failure turned into findings."""
from __future__ import annotations

import hashlib
import sys
import traceback
from pathlib import Path

from .findings import FileProblem, finding
from .rules import Rules
from .validation import IGNORED, Submission, validate
from .workbook import read_workbook

JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}



def check_file(path: Path, rules: Rules, *, label: str | None = None) -> Submission:
    """Never raises for a bad file: the problems come back as findings on the submission."""
    label = label or str(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    try:
        parsed = read_workbook(path, rules.limits, label=label)
        sub = validate(parsed, rules, file=label)
    except FileProblem as problem:
        sub = Submission(file=label, path=path, sha256=_sha256(path))
        sub.findings.append(problem.finding)
    except Exception as exc:  # a bug or an input nobody foresaw: report it on this file, go on with the rest
        print(f"内部错误：读取 {label} 时出现异常，已按无法读取处理。", file=sys.stderr)
        traceback.print_exc()
        sub = Submission(file=label, path=path, sha256=_sha256(path))
        sub.findings.append(finding("file.unreadable", file=label, reason=f"读取时出现内部错误（{type(exc).__name__}）"))
    sub.mtime = mtime
    return sub


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def ignore_reason(path: Path) -> str | None:
    name = path.name
    if name.startswith("~$"):
        return "Excel 打开文件时生成的临时文件（~$ 开头）"
    if name.startswith(".") or name.lower() in JUNK or _hidden_on_windows(path):
        return "隐藏文件或系统文件"
    return None


def _hidden_on_windows(path: Path) -> bool:
    try:
        attrs = getattr(path.stat(), "st_file_attributes", 0)
    except OSError:         # gone since it was listed: reading it reports file.vanished
        return False
    return bool(attrs & 0x2)  # FILE_ATTRIBUTE_HIDDEN


def check_files(paths: list[Path], rules: Rules, *, labels: dict[Path, str] | None = None) -> list[Submission]:
    """Read and validate each file; one broken file never stops the others."""
    subs = []
    for path in paths:
        label = (labels or {}).get(path, str(path))
        reason = ignore_reason(path)
        if reason:
            sub = Submission(file=label, path=path, status=IGNORED)
            sub.findings.append(finding("file.ignored", file=label, reason=reason))
        else:
            sub = check_file(path, rules, label=label)
        subs.append(sub)
    return subs
