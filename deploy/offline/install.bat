@echo off
rem Offline install from the bundle (see 安装说明.txt): creates .venv from wheels\ alone (no network),
rem puts rules.yaml, templates\ and the samples in place where the office has none, checks rules.yaml.
rem The bundle writes this file in code page 936 (GBK) with CRLF, as cmd on Chinese Windows reads it.
rem install.bat /q: no pause at the end (for scripts).
setlocal
cd /d "%~dp0"
set "PY="
py -3.12 -c "import sys" >nul 2>&1 && set "PY=py -3.12"
if not defined PY (py -3.11 -c "import sys" >nul 2>&1 && set "PY=py -3.11")
if not defined PY (python -c "import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))" >nul 2>&1 && set "PY=python")
if not defined PY (
    echo 未找到 Python 3.11 或 3.12。请先从 python.org 安装 Python 3.12（64 位，安装时勾选“Add python.exe to PATH”），再双击 install.bat。
    if /i not "%~1"=="/q" pause
    exit /b 1
)
%PY% -m scorecard.installer
set "RC=%ERRORLEVEL%"
if /i not "%~1"=="/q" pause
exit /b %RC%
