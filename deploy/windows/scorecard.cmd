@echo off
rem Runs process.py of the checkout this file belongs to (two folders up), with the mail settings
rem from scorecard.env beside process.py (KEY=value lines, # for comments). Used by the scheduled
rem tasks (scorecard-run.xml, scorecard-watch.xml); arguments are passed on to process.py.
setlocal
cd /d "%~dp0..\.."
if exist scorecard.env (
    for /f "usebackq eol=# tokens=1,* delims==" %%A in ("scorecard.env") do set "%%A=%%B"
)
".venv\Scripts\python.exe" process.py %*
exit /b %ERRORLEVEL%
