"""Installing from the offline bundle (CONTRACT §16): the step of install.bat and install.sh that
puts the office's files in place, after they have created `.venv` from `wheels/` alone and before
they check the result with `process.py check-rules`.

    .venv/bin/python -m scorecard.installer          # in the unpacked bundle's folder

Standard library only.

The bundle never ships the office's own files, so unpacking a newer bundle over an older one
cannot overwrite them: rules.yaml and templates/ come as `defaults/`, the samples as
`examples/input/`, and this module copies them into place only where the office has nothing:
- rules.yaml: only when there is none;
- templates/: a file the office has not edited (its content is what an earlier install put there,
  recorded in templates/.shipped.json) is updated; an edited one is kept;
- input/: the samples, only when input/ holds no file yet (the first install);
- output/ (rounds, ledger, log) is never touched.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .base.fsutil import file_sha256 as _sha

DEFAULTS = "defaults"
SAMPLES = Path("examples") / "input"
SHIPPED = ".shipped.json"               # templates/: what the last install put there, by content


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def place_defaults(root: Path) -> list[str]:
    """Copy rules.yaml, the templates and the samples into place where the office has none of its
    own; returns what was done, one Chinese sentence each."""
    root = Path(root)
    said: list[str] = []
    defaults = root / DEFAULTS
    rules, default_rules = root / "rules.yaml", defaults / "rules.yaml"
    if default_rules.is_file():
        if not rules.exists():
            shutil.copy2(default_rules, rules)
            said.append("已放置示例规则文件 rules.yaml（请按本单位的指标体系修改）。")
        elif _sha(rules) != _sha(default_rules):
            said.append(f"保留了现有的 rules.yaml；新版自带的示例规则在 {DEFAULTS}/rules.yaml，可对照参考。")
    said += _place_templates(defaults / "templates", root / "templates")
    samples, inbox = root / SAMPLES, root / "input"
    if samples.is_dir() and not (inbox.is_dir() and _files(inbox)):
        shutil.copytree(samples, inbox, dirs_exist_ok=True)
        said.append("已把示例工作簿复制到 input/（正式使用前请删除这些示例文件）。")
    (root / "output").mkdir(exist_ok=True)
    return said


def _place_templates(source: Path, target: Path) -> list[str]:
    if not source.is_dir():
        return []
    manifest_path = target / SHIPPED
    try:
        shipped = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        shipped = {}
    said, updated, record = [], 0, {}
    for rel in _files(source):
        key, new, old = rel.as_posix(), source / rel, target / rel
        new_sha = _sha(new)
        if old.is_file():
            old_sha = _sha(old)
            if old_sha != new_sha and old_sha != shipped.get(key):
                said.append(f"保留了本单位修改过的模板 templates/{key}；新版模板在 {DEFAULTS}/templates/{key}。")
                record[key] = shipped.get(key, "")
                continue
            if old_sha != new_sha:
                updated += 1
        old.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(new, old)
        record[key] = new_sha
    target.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    if updated:
        said.append(f"已更新 {updated} 个未修改过的模板。")
    return said


def main() -> int:
    from .base.console import setup_streams      # standard library only, like this module

    setup_streams()
    for line in place_defaults(Path(__file__).resolve().parent.parent):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
