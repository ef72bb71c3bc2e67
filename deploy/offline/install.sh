#!/bin/sh
# Offline install from the bundle (安装说明.txt): creates .venv and installs requirements.txt from
# wheels/ alone (--no-index: nothing reaches the network), puts rules.yaml, templates/ and the
# samples in place where the office has none (scorecard/installer.py), checks with check-rules.
# PYTHON=/path/to/python3.12 sh install.sh  chooses the interpreter.
set -u
cd "$(dirname "$0")"
fail() { echo "错误：$*" >&2; exit 1; }
PY=
for py in "${PYTHON:-}" python3.12 python3.11 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 \
        && "$py" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null; then
        PY=$py
        break
    fi
done
[ -n "$PY" ] || fail "未找到 Python 3.11 或 3.12（安装包只含这两个版本的组件）。请先安装，例如 apt install python3.11 python3.11-venv，再运行 sh install.sh。"
echo "正在创建运行环境 .venv（$("$PY" --version)）……"
"$PY" -m venv --clear .venv || fail "无法创建 .venv：请先安装 python3-venv（例如 apt install python3.11-venv）。"
echo "正在从 wheels/ 安装依赖（不联网）……"
.venv/bin/python -m pip install --no-index --find-links wheels --only-binary=:all: \
    --disable-pip-version-check --no-input -q -r requirements.txt \
    || fail "依赖安装失败（见上方信息）：请确认 Python 是 64 位的 3.11 或 3.12。"
.venv/bin/python -m scorecard.installer || fail "无法放置规则文件、模板或示例（见上方信息）。"
echo "正在检查规则文件（process.py check-rules）……"
.venv/bin/python process.py check-rules || fail "安装已完成，但 rules.yaml 有问题（见上方信息），修改后运行 .venv/bin/python process.py check-rules 再检查。"
echo "安装完成。处理一轮：在本文件夹中运行  .venv/bin/python process.py run"
