#!/bin/sh
# Offline install from the bundle (安装说明.txt): creates .venv from wheels/ alone (no network), puts
# rules.yaml, templates/ and the samples in place where the office has none, checks rules.yaml.
# PYTHON=/path/to/python3.12 sh install.sh  chooses the interpreter.
set -e
cd "$(dirname "$0")"
for py in "${PYTHON:-}" python3.12 python3.11 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 \
        && "$py" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null; then
        exec "$py" -m scorecard.installer
    fi
done
echo "未找到 Python 3.11 或 3.12：请先安装（例如 apt install python3.11 python3.11-venv），再运行 sh install.sh。" >&2
exit 1
