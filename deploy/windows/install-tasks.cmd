@echo off
rem Registers ONE scheduled task for the program folder this file belongs to (two folders up).
rem In a Command Prompt or PowerShell opened as administrator, in the program folder:
rem   deploy\windows\install-tasks.cmd run [ACCOUNT]     process.py run, every working day at 18:00
rem   deploy\windows\install-tasks.cmd watch [ACCOUNT]   process.py watch, from boot, kept running
rem   deploy\windows\install-tasks.cmd remind [ACCOUNT]  process.py remind --send, every day at 09:00
rem                                                     (beside either of the two above; it deletes neither)
rem ACCOUNT (default: scorecard) is the Windows account the task runs as; schtasks asks its password.
rem Steps: scorecard.env is created if missing (before icacls protects it), the account may read it
rem and write output\, the XML gets this folder in place of C:\scorecard, the task is imported, and
rem the other of the two tasks is deleted if it was there: one task, never both.
setlocal
cd /d "%~dp0..\.."
set "PY=.venv\Scripts\python.exe"
set "KIND=%~1"
set "ACCOUNT=%~2"
if "%ACCOUNT%"=="" set "ACCOUNT=scorecard"
if /i "%KIND%"=="run" (set "OTHER=watch") else if /i "%KIND%"=="watch" (set "OTHER=run") else if /i "%KIND%"=="remind" (set "OTHER=") else (
    "%PY%" -m scorecard.windows usage
    exit /b 2
)
"%PY%" -m scorecard.windows prepare || exit /b 1
icacls scorecard.env /inheritance:r /grant:r "%ACCOUNT%:R" "Administrators:F" "SYSTEM:F" >nul || exit /b 1
icacls output /grant "%ACCOUNT%:(OI)(CI)M" >nul || exit /b 1
"%PY%" -m scorecard.windows task-xml %KIND% "%CD%" "%TEMP%\scorecard-%KIND%.xml" || exit /b 1
schtasks /Create /F /TN "scorecard\%KIND%" /XML "%TEMP%\scorecard-%KIND%.xml" /RU "%ACCOUNT%" /RP *
set "RC=%ERRORLEVEL%"
del "%TEMP%\scorecard-%KIND%.xml"
if not "%RC%"=="0" exit /b %RC%
if not "%OTHER%"=="" schtasks /Delete /F /TN "scorecard\%OTHER%" >nul 2>&1
"%PY%" -m scorecard.windows done %KIND%
