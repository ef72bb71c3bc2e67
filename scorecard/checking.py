"""Checking one file: safe reading, parsing and validation.

Only what a file can cause becomes a finding: the safety gate's refusals and whatever the parser
raises on the file's content arrive here as `FileProblem` (workbook.read_workbook wraps exactly the
parser calls). Anything else raised while checking is a defect of ours and propagates: the run
fails loudly instead of telling a department that its file is broken.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from .findings import FileProblem, finding
from .fsutil import file_sha256
from .rules import Rules
from .validation import Checked, validate
from .workbook import read_workbook

JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}


def _checking_version() -> str:
    """A hash of the code that turns a file into findings and values: a file checked by other code
    is checked again (pipeline reuses earlier results only under the same version)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("checking.py", "safety.py", "workbook.py", "validation.py", "findings.py", "layout.py", "text.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


CHECKING_VERSION = _checking_version()


def check_file(path: Path, rules: Rules, *, label: str | None = None) -> Checked:
    """Never raises for a bad file: the problems come back as findings."""
    label = label or str(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0     # gone already: open_safely below says so in the file's own finding
    try:
        parsed = read_workbook(path, rules.limits, label=label)
    except FileProblem as problem:
        # Over the size limit: never read, not even to hash it (an 8 GB sparse file took 30 s).
        sha = "" if _over_size(path, rules) else file_sha256(path)
        return Checked(file=label, path=path, sha256=sha, mtime=mtime,
                       findings=tuple(replace(f, file=label) if f.file and f.file != label else f
                                      for f in (problem.finding, *problem.extra)))
    return validate(parsed, rules, file=label, mtime=mtime)


def _over_size(path: Path, rules: Rules) -> bool:
    try:
        return path.stat().st_size > rules.limits.max_file_bytes
    except OSError:
        return True


def ignored(path: Path, label: str, reason: str) -> Checked:
    return Checked(file=label, path=path, findings=(finding("file.ignored", file=label, reason=reason),))


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
