"""Starting the next round (`process.py new-round`): name it in rules.yaml, optionally archive last
round's input files, check the rules.

Nothing moves unless the operator asks: with `archive`, every file of the input folder (subfolders
kept, the folder's own placeholders left) goes to <archive>/<last round>/. Without it the files
stay, and the next run warns file.previous_round on each one already counted in an earlier round.
rules.yaml is edited as text, line by line, so its comments and layout stay as the office wrote
them; the file is checked before (a broken file is not touched) and after the edit (a broken
result is put back).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .fsutil import atomic_write_text
from .pipeline import PLACEHOLDERS
from .rules import Rules, RulesError, load_rules
from .text import safe_filename

logger = logging.getLogger(__name__)

_KEY_LINE = r"^(?P<key>{key}):[ \t]*(?P<value>[^#\n]*?)(?P<comment>[ \t]+#[^\n]*)?$"


@dataclass
class NewRound:
    previous: str | None                       # the round rules.yaml named before
    round: str
    as_of: dt.date | None
    rules: Rules
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    left: list[Path] = field(default_factory=list)      # input files left where they are (no archive)
    archive: Path | None = None


class NewRoundError(Exception):
    """The next round cannot be started as asked (the message says why, in Chinese)."""


def start_round(rules_path: Path, name: str, *, as_of: dt.date | None = None, input_dir: Path = Path("input"),
                archive: Path | None = None) -> NewRound:
    name = name.strip()
    if not name:
        raise NewRoundError("新轮次的名称不能为空。")
    old = load_rules(rules_path)                # a broken rules file is reported as is, and not edited
    if old.round == name:
        raise NewRoundError(f"rules.yaml 中的轮次已经是“{name}”。")
    text = Path(rules_path).read_text(encoding="utf-8-sig")
    edited = set_key(text, "round", name, after=("organization", "title", "version"))
    if as_of is not None:
        edited = set_key(edited, "as_of", as_of.isoformat(), after=("round",))
    files = _input_files(input_dir)
    target = None
    if archive is not None:
        target = Path(archive) / safe_filename(old.round or "上一轮")
        if target.resolve() == Path(input_dir).resolve() or Path(input_dir).resolve() in target.resolve().parents:
            raise NewRoundError(f"归档文件夹 {archive} 不能在输入文件夹 {input_dir} 之内。")
        clash = [p for p in files if (target / p.relative_to(input_dir)).exists()]
        if clash:
            raise NewRoundError(f"归档文件夹中已有同名文件（如 {target / clash[0].relative_to(input_dir)}），"
                                "未移动任何文件。请换一个归档文件夹。")
    atomic_write_text(Path(rules_path), edited)
    try:
        rules = load_rules(rules_path)
    except RulesError:
        atomic_write_text(Path(rules_path), text)       # never leave the office a broken rules file
        raise
    result = NewRound(old.round, name, rules.as_of, rules, archive=target)
    if target is None:
        result.left = files
        return result
    for path in files:
        dest = target / path.relative_to(input_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(dest))
        result.moved.append((path, dest))
    for folder in sorted({p.parent for p, _ in result.moved}, key=lambda p: len(p.parts), reverse=True):
        if folder != Path(input_dir):
            try:
                folder.rmdir()                          # only empty subfolders; input/ itself stays
            except OSError:
                pass
    logger.info("新轮次“%s”：%d 个输入文件已归档到 %s", name, len(result.moved), target)
    return result


def set_key(text: str, key: str, value: str, after: tuple[str, ...] = ()) -> str:
    """rules.yaml with top-level `key: value` replaced (its comment kept), or added after the
    first of `after` that is there (else at the top)."""
    quoted = _yaml_scalar(value)
    pattern = re.compile(_KEY_LINE.format(key=re.escape(key)), re.M)
    if pattern.search(text):
        return pattern.sub(lambda m: f"{key}: {quoted}{m.group('comment') or ''}", text, count=1)
    for anchor in after:
        found = re.compile(_KEY_LINE.format(key=re.escape(anchor)), re.M).search(text)
        if found:
            return text[:found.end()] + f"\n{key}: {quoted}" + text[found.end():]
    return f"{key}: {quoted}\n" + text


def _yaml_scalar(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or re.fullmatch(r"[^\s:#'\"\[\]{},&*!|>%@`-][^:#]*", value):
        return value
    return "'" + value.replace("'", "''") + "'"


def _input_files(input_dir: Path) -> list[Path]:
    if not Path(input_dir).is_dir():
        return []
    return sorted(p for p in Path(input_dir).rglob("*") if p.is_file() and p.name not in PLACEHOLDERS)
