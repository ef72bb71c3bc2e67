"""Installing from the offline bundle (CONTRACT §16): what install.bat and install.sh run.

    python -m scorecard.installer          # in the unpacked bundle's folder, with the system Python

Standard library only: it runs before any dependency is installed. Steps: check the Python
version (the bundle has wheels for 3.11 and 3.12), create `.venv` afresh, install requirements.txt
from `wheels/` alone (`--no-index`: nothing reaches the network), put the office's files in place,
then check the result by running `process.py check-rules`.

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

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PYTHONS = ((3, 11), (3, 12))            # the versions the bundle's wheels are for
DEFAULTS = "defaults"
SAMPLES = Path("examples") / "input"
SHIPPED = ".shipped.json"               # templates/: what the last install put there, by content


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def venv_python(root: Path) -> Path:
    venv = Path(root) / ".venv"
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def _base_python() -> str:
    """The system Python, also when this runs from inside the .venv it is about to recreate."""
    return getattr(sys, "_base_executable", None) or sys.executable


def install(root: Path) -> int:
    root = Path(root).resolve()
    if sys.version_info[:2] not in PYTHONS:
        print(f"错误：当前 Python 为 {sys.version.split()[0]}，安装包只含 Python 3.11 和 3.12 的组件。"
              "请先安装 Python 3.11 或 3.12（64 位），再运行安装脚本。", file=sys.stderr)
        return 1
    wheels = root / "wheels"
    if not wheels.is_dir():
        print(f"错误：找不到 {wheels}，安装包不完整，请重新解压。", file=sys.stderr)
        return 1
    print(f"正在创建运行环境 {root / '.venv'} ……", flush=True)
    step = subprocess.run([_base_python(), "-m", "venv", "--clear", str(root / ".venv")], cwd=root)
    if step.returncode:
        print("错误：无法创建 .venv。Linux 上请先安装 python3-venv；Windows 上请关闭正在运行的 scorecard "
              "任务和窗口后重试。", file=sys.stderr)
        return 1
    python = venv_python(root)
    print("正在从 wheels/ 安装依赖（不联网）……", flush=True)
    step = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--find-links", str(wheels),
                           "--only-binary=:all:", "--disable-pip-version-check", "--no-input", "-q",
                           "-r", str(root / "requirements.txt")], cwd=root)
    if step.returncode:
        print("错误：依赖安装失败（见上方信息）。请确认 Python 是 64 位的 3.11 或 3.12。", file=sys.stderr)
        return 1
    for line in place_defaults(root):
        print(line)
    print("正在检查规则文件（process.py check-rules）……", flush=True)
    step = subprocess.run([str(python), "process.py", "check-rules"], cwd=root)
    if step.returncode:
        print("安装已完成，但 rules.yaml 有问题（见上方信息），修改后运行 check-rules 再检查。", file=sys.stderr)
        return 1
    runner = r".venv\Scripts\python process.py" if os.name == "nt" else ".venv/bin/python process.py"
    print(f"安装完成。处理一轮：在本文件夹中运行  {runner} run")
    return 0


def main() -> int:
    from .console import setup_streams      # standard library only, like this module

    setup_streams()
    return install(Path(__file__).resolve().parent.parent)


if __name__ == "__main__":
    sys.exit(main())
