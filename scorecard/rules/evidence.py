"""The `evidence:` keys of rules.yaml (CONTRACT.md §13).

An indicator's `evidence:` is either the short form (`required` | `optional`) or the long form
(`required`, `kinds`, `min_files`, `note`); the top-level `evidence:` block gives the defaults and
limits (`files`, `period_start`, `max_file_mb`, `max_total_mb`). Both are checked like every other
key: the line, the key path, a did-you-mean hint.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EVIDENCE_KINDS = ("image", "document", "video", "any")
EVIDENCE_FILES = ("required", "optional")
EVIDENCE_INDICATOR_KEYS = {"required", "kinds", "min_files", "note"}
EVIDENCE_TOP_KEYS = {"files", "period_start", "max_file_mb", "max_total_mb"}


@dataclass(frozen=True)
class EvidenceRule:
    """One indicator's evidence rule (the short form gives required and the defaults)."""

    required: bool = True
    kinds: tuple[str, ...] = ("any",)
    min_files: int = 1
    note: str = ""

    @property
    def text(self) -> str:
        """How check-rules and the template show the rule: 必需，照片/文件≥2：note."""
        return evidence_text(self)


@dataclass(frozen=True)
class EvidenceSettings:
    """The top-level `evidence:` block."""

    files: str = "optional"                 # required: every required indicator must have files
    period_start: dt.date | None = None     # photos taken before this day are flagged
    max_file_mb: float = 50
    max_total_mb: float = 500               # per department and round


def evidence_rule(value, kp, c) -> EvidenceRule:
    """An indicator's `evidence:` in either form; problems go to the checker `c`."""
    if value is None:
        return EvidenceRule()
    if not isinstance(value, dict):
        return EvidenceRule(required=c.choice(value, kp, EVIDENCE_FILES, "required") == "required")
    given = c.mapping(value, kp, EVIDENCE_INDICATOR_KEYS)
    required = given.get("required", True)
    if not isinstance(required, bool):
        c.problem(kp + ("required",), f"应为 true 或 false（现为“{required}”）")
        required = True
    kinds = c.strings(given.get("kinds"), kp + ("kinds",)) or ("any",)
    for n, kind in enumerate(kinds):
        if kind not in EVIDENCE_KINDS:
            c.choice(kind, kp + ("kinds", n), EVIDENCE_KINDS, "any")
    kinds = tuple(k for k in kinds if k in EVIDENCE_KINDS) or ("any",)
    min_files = c.number(given.get("min_files"), kp + ("min_files",), minimum=1, default=1)
    if isinstance(min_files, float) and not min_files.is_integer():
        c.problem(kp + ("min_files",), f"应为整数（文件数），现为 {min_files}")
    return EvidenceRule(required=required, kinds=kinds, min_files=max(1, int(min_files or 1)),
                        note=c.text(given.get("note"), kp + ("note",), required=False))


def evidence_settings(value, c) -> EvidenceSettings:
    """The top-level `evidence:` block (absent: files optional, no date check, 50 MB / 500 MB)."""
    if value is None:
        return EvidenceSettings()
    given = c.mapping(value, ("evidence",), EVIDENCE_TOP_KEYS)
    start = given.get("period_start")
    if isinstance(start, dt.datetime):
        start = start.date()
    elif isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start.strip())
        except ValueError:
            c.problem(("evidence", "period_start"), f"日期“{start}”无效，应写成 2026-10-01")
            start = None
    elif start is not None and not isinstance(start, dt.date):
        c.problem(("evidence", "period_start"), f"日期“{start}”无效，应写成 2026-10-01")
        start = None
    file_mb = c.number(given.get("max_file_mb"), ("evidence", "max_file_mb"), positive=True, default=50)
    total_mb = c.number(given.get("max_total_mb"), ("evidence", "max_total_mb"), positive=True, default=500)
    if isinstance(file_mb, (int, float)) and isinstance(total_mb, (int, float)) and 0 < total_mb < file_mb:
        c.problem(("evidence", "max_file_mb"), f"单个文件上限 {file_mb} MB 不能大于部门合计上限 {total_mb} MB")
    return EvidenceSettings(files=c.choice(given.get("files"), ("evidence", "files"), EVIDENCE_FILES, "optional"),
                            period_start=start, max_file_mb=file_mb or 50, max_total_mb=total_mb or 500)


def evidence_text(rule: EvidenceRule) -> str:
    """How check-rules and the template show an indicator's rule: 必需，照片/文件≥2：note."""
    if not rule.required:
        return "可选"
    names = {"image": "照片", "document": "文件", "video": "视频", "any": "任意"}
    text = f"必需，{'/'.join(names[k] for k in rule.kinds)}≥{rule.min_files}"
    return f"{text}：{rule.note}" if rule.note else text
