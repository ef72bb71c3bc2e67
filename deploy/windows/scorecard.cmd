@echo off
rem Runs process.py of the checkout this file belongs to (two folders up), with the mail settings
rem from scorecard.env beside process.py (KEY="value" lines, # for comments). Used by the scheduled
rem tasks (scorecard-run.xml, scorecard-watch.xml); arguments are passed on to process.py.
setlocal
cd /d "%~dp0..\.."
rem %%~B drops the double quotes around a value, as sh and systemd do; code page 65001 reads the
rem file as UTF-8 (a sender's Chinese name).
if exist scorecard.env (
    chcp 65001 >nul
    for /f "usebackq eol=# tokens=1,* delims==" %%A in ("scorecard.env") do set "%%A=%%~B"
)
".venv\Scripts\python.exe" process.py %*
exit /b %ERRORLEVEL%
