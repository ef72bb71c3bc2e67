@echo off
rem Runs process.py of the program folder this file belongs to (two folders up), with the mail settings
rem from scorecard.env beside process.py (KEY="value" lines, # for comments). Used by the scheduled
rem tasks (scorecard-run.xml, scorecard-watch.xml); arguments are passed on to process.py.
rem Python reads scorecard.env (as UTF-8, a byte-order mark allowed): cmd would read it in code page 936.
setlocal
cd /d "%~dp0..\.."
".venv\Scripts\python.exe" -m scorecard.windows env scorecard.env process.py %*
exit /b %ERRORLEVEL%
