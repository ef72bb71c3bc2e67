"""Reusing documents whose content did not change since the last run of the round.

Each run writes a new round folder (fsutil.staged_directory). A document is rendered from a
template and a context; when both are the same as when the previous run wrote it, the previous file
is linked (or copied) into the new folder instead of being rendered again. The keys of what was
written are kept in the round folder itself (`.render-keys.json`), so a deleted or edited round
folder simply means rendering again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

KEYS_FILE = ".render-keys.json"
logger = logging.getLogger(__name__)


def content_key(template: bytes, context) -> str:
    """A key for (template, context); the context is plain data (JSON-able)."""
    digest = hashlib.sha256(template)
    digest.update(json.dumps(context, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


class RenderCache:
    def __init__(self, previous_dir: Path | None, stage: Path):
        self.previous_dir = previous_dir
        self.stage = stage
        self.old: dict[str, str] = {}
        self.new: dict[str, str] = {}
        self.reused = 0
        if previous_dir is not None:
            try:
                self.old = json.loads((previous_dir / KEYS_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.old = {}

    def reuse(self, relative: str, key: str) -> bool:
        """Put the previous run's file at relative into the stage if it was made from the same key."""
        if self.old.get(relative) != key or self.previous_dir is None:
            return False
        source, target = self.previous_dir / relative, self.stage / relative
        if not source.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            try:
                shutil.copy2(source, target)
            except OSError:
                return False
        self.new[relative] = key
        self.reused += 1
        return True

    def record(self, relative: str, key: str) -> None:
        self.new[relative] = key

    def save(self) -> None:
        (self.stage / KEYS_FILE).write_text(json.dumps(self.new, ensure_ascii=False), encoding="utf-8")
        if self.reused:
            logger.info("%d 份文档内容未变，沿用上次生成的文件", self.reused)
