@echo off
rem Offline install from the bundle (see 安装说明.txt): creates .venv and installs requirements.txt
rem from wheels\ alone (--no-index: nothing reaches the network), puts rules.yaml, templates\ and the
rem samples in place where the office has none (scorecard\installer.py), checks with check-rules.
rem The bundle writes this file in code page 936 (GBK) with CRLF, as cmd on Chinese Windows reads it.
rem install.bat /q: no pause at the end (for scripts).
setlocal
cd /d "%~dp0"
set "PY="
py -3.12 -c "import sys" >nul 2>&1 && set "PY=py -3.12"
if not defined PY (py -3.11 -c "import sys" >nul 2>&1 && set "PY=py -3.11")
if not defined PY (python -c "import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))" >nul 2>&1 && set "PY=python")
if not defined PY (
    echo 错误：未找到 Python 3.11 或 3.12。请先从 python.org 安装 Python 3.12（64 位，安装时勾选“Add python.exe to PATH”），再双击 install.bat。
    goto :end
)
echo 正在创建运行环境 .venv ……
%PY% -m venv --clear .venv
if errorlevel 1 (
    echo 错误：无法创建 .venv。请关闭正在运行的 scorecard 任务和窗口后重试。
    goto :end
)
echo 正在从 wheels 安装依赖（不联网）……
".venv\Scripts\python.exe" -m pip install --no-index --find-links wheels --only-binary=:all: --disable-pip-version-check --no-input -q -r requirements.txt
if errorlevel 1 (
    echo 错误：依赖安装失败（见上方信息）。请确认 Python 是 64 位的 3.11 或 3.12。
    goto :end
)
".venv\Scripts\python.exe" -m scorecard.installer
if errorlevel 1 goto :end
echo 正在检查规则文件（process.py check-rules）……
".venv\Scripts\python.exe" process.py check-rules
if errorlevel 1 (
    echo 安装已完成，但 rules.yaml 有问题（见上方信息），修改后运行 .venv\Scripts\python process.py check-rules 再检查。
    goto :end
)
echo 安装完成。处理一轮：在本文件夹中打开命令提示符，运行  .venv\Scripts\python process.py run
set "OK=1"
:end
if /i not "%~1"=="/q" pause
if defined OK exit /b 0
exit /b 1
