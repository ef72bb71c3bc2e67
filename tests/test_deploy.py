"""deploy/: systemd units (verified with systemd-analyze where it exists), the crontab line (run for
real), and the Windows Task Scheduler definitions (parsed and checked)."""
from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, SMALL_RULES, filled
from scorecard.cli import COMMANDS, build_parser

DEPLOY = ROOT / "deploy"
UNITS = ["scorecard-run.service", "scorecard-run.timer", "scorecard-watch.service"]
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
GUIDE = (ROOT / "docs" / "操作手册.md").read_text(encoding="utf-8")


def process_args(command_line: str) -> list[str]:
    """The arguments after `process.py` in a command line; --send only once the mail module provides it."""
    words = shlex.split(command_line, posix=True)
    args = words[words.index("process.py") + 1:]
    if "send" not in COMMANDS:
        args = [a for a in args if a != "--send"]
    return args


def assert_parses(args: list[str]) -> None:
    build_parser().parse_args(args)             # exits 2 (SystemExit) on an unknown option


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def fake_venv(app: Path) -> None:
    """app/.venv/bin/python: this test run's interpreter (a wrapper, so its own venv's packages load)."""
    (app / ".venv" / "bin").mkdir(parents=True)
    python = app / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
    python.chmod(0o755)


def install(tmp_path: Path, user: str = "scorecard") -> Path:
    """deploy/systemd/install.sh into a scratch folder, as the guide documents, for a checkout in tmp."""
    app = tmp_path / "app"
    fake_venv(app)
    units = tmp_path / "units"
    p = subprocess.run(["sh", str(DEPLOY / "systemd" / "install.sh"), str(app), str(units), user,
                        str(tmp_path / "scorecard.env")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return units


def test_units_have_what_a_service_needs():
    for name in ("scorecard-run.service", "scorecard-watch.service"):
        service = unit(name)["Service"]
        assert service["User"] == "scorecard" and service["Group"] == "scorecard"
        assert service["WorkingDirectory"] == "/opt/scorecard"
        assert service["EnvironmentFile"] == "/etc/scorecard/scorecard.env"
        assert service["ExecStart"].startswith("/opt/scorecard/.venv/bin/python process.py ")
        assert service["KillMode"] == "mixed"
        assert_parses(process_args(service["ExecStart"]))
    run, watch = unit("scorecard-run.service")["Service"], unit("scorecard-watch.service")["Service"]
    assert run["Type"] == "oneshot" and " run " in run["ExecStart"] and "--wait" in run["ExecStart"]
    assert watch["Restart"] == "on-failure" and " watch " in watch["ExecStart"]
    assert unit("scorecard-watch.service")["Install"]["WantedBy"] == "multi-user.target"
    timer = unit("scorecard-run.timer")
    assert timer["Timer"]["Unit"] == "scorecard-run.service" and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"
    env = (DEPLOY / "systemd" / "scorecard.env.example").read_text(encoding="utf-8")
    for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "SMTP_SENDER"):
        assert f"\n{key}=" in env


def test_install_substitutes_every_path(tmp_path):
    units = install(tmp_path, user="kaohe")
    assert sorted(p.name for p in units.iterdir()) == sorted(UNITS)
    for name in UNITS:
        text = (units / name).read_text(encoding="utf-8")
        assert "/opt/scorecard" not in text and "/etc/scorecard" not in text, name
    service = (units / "scorecard-watch.service").read_text(encoding="utf-8")
    assert f"WorkingDirectory={tmp_path / 'app'}\n" in service and "User=kaohe\n" in service
    assert f"EnvironmentFile={tmp_path / 'scorecard.env'}\n" in service


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_units_pass_systemd_analyze_verify(tmp_path):
    units = install(tmp_path)
    p = subprocess.run(["systemd-analyze", "verify", *(str(units / n) for n in UNITS)], capture_output=True,
                       text=True, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert p.returncode == 0, p.stdout + p.stderr
    ours = [line for line in (p.stdout + p.stderr).splitlines() if "scorecard" in line]
    assert ours == [], ours                      # no warning (unknown key, bad value) about our units
    # And verify does catch a broken unit here, so the pass above means something.
    broken = units / "scorecard-watch.service"
    broken.write_text(broken.read_text(encoding="utf-8").replace(str(tmp_path / "app" / ".venv"), "/nonexistent"),
                      encoding="utf-8")
    assert subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True).returncode != 0


def crontab_lines() -> list[str]:
    lines = (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines()
    return [line.lstrip("# ") for line in lines
            if "process.py" in line and line.lstrip("# ")[:1] in "0123456789*"]


def test_crontab_lines_are_valid():
    lines = crontab_lines()
    assert len(lines) == 2
    for line in lines:
        fields = line.split(None, 5)
        assert len(fields) == 6
        for field in fields[:5]:
            assert all(c in "0123456789*/,-" for c in field), field
        assert_parses(process_args(fields[5]))


@pytest.mark.skipif(os.name == "nt", reason="cron is POSIX")
def test_the_crontab_run_line_works(small_rules, tmp_path):
    """The scheduled line, paths substituted, run by /bin/sh as cron would: a real run, logged."""
    app = tmp_path / "app"
    fake_venv(app)
    shutil.copy(ROOT / "process.py", app)
    shutil.copytree(ROOT / "scorecard", app / "scorecard", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", app / "templates")
    (app / "rules.yaml").write_text(SMALL_RULES, encoding="utf-8")
    (app / "input").mkdir()
    filled(small_rules, "办公室").save(app / "input" / "a.xlsx")
    env = tmp_path / "scorecard.env"
    env.write_text("SMTP_HOST=127.0.0.1\nSMTP_PORT=2525\n", encoding="utf-8")
    command = crontab_lines()[0].split(None, 5)[5]
    command = command.replace("/opt/scorecard", str(app)).replace("/etc/scorecard/scorecard.env", str(env))
    command = command.replace(" --send", "")              # no mail server here
    p = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, encoding="utf-8",
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""                                  # --quiet: cron mails nothing on success
    summary = json.loads((app / "output" / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    assert summary["submissions"][0]["status"] == "accepted"
    assert "运行完成" in (app / "output" / "scorecard.log").read_text(encoding="utf-8")


def task(name: str) -> ET.Element:
    return ET.parse(DEPLOY / "windows" / name).getroot()


@pytest.mark.parametrize("name", ["scorecard-run.xml", "scorecard-watch.xml"])
def test_windows_tasks_are_complete(name):
    root = task(name)
    assert root.tag == f"{{{TASK_NS['t']}}}Task" and root.get("version") == "1.2"
    for path in ("t:RegistrationInfo/t:Description", "t:Triggers", "t:Principals/t:Principal/t:LogonType",
                 "t:Settings/t:MultipleInstancesPolicy", "t:Settings/t:ExecutionTimeLimit",
                 "t:Settings/t:Enabled", "t:Actions/t:Exec/t:Command", "t:Actions/t:Exec/t:Arguments",
                 "t:Actions/t:Exec/t:WorkingDirectory"):
        assert root.find(path, TASK_NS) is not None, path
    assert root.find("t:Principals/t:Principal/t:LogonType", TASK_NS).text == "Password"   # runs logged off
    assert root.find("t:Settings/t:MultipleInstancesPolicy", TASK_NS).text == "IgnoreNew"
    command = root.find("t:Actions/t:Exec/t:Command", TASK_NS).text
    workdir = root.find("t:Actions/t:Exec/t:WorkingDirectory", TASK_NS).text
    assert command == workdir + r"\deploy\windows\scorecard.cmd"
    assert (DEPLOY / "windows" / "scorecard.cmd").is_file()
    arguments = root.find("t:Actions/t:Exec/t:Arguments", TASK_NS).text
    assert_parses(process_args("process.py " + arguments))
    # The guide gives the schtasks command that imports this file.
    assert f"/XML C:\\scorecard\\deploy\\windows\\{name} /RU" in GUIDE
    raw = (DEPLOY / "windows" / name).read_bytes()      # no encoding trouble on import: UTF-16 with a BOM,
    assert raw.startswith(b"\xff\xfe") and raw.decode("utf-16").isascii()   # as schtasks /XML expects


def test_windows_run_task_is_scheduled_and_watch_task_restarts():
    run = task("scorecard-run.xml")
    days = run.find("t:Triggers/t:CalendarTrigger/t:ScheduleByWeek/t:DaysOfWeek", TASK_NS)
    assert [d.tag.split("}")[1] for d in days] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert " run " in " " + run.find("t:Actions/t:Exec/t:Arguments", TASK_NS).text + " "
    watch = task("scorecard-watch.xml")
    assert watch.find("t:Triggers/t:BootTrigger", TASK_NS) is not None
    assert watch.find("t:Settings/t:ExecutionTimeLimit", TASK_NS).text == "PT0S"      # runs until stopped
    assert watch.find("t:Settings/t:RestartOnFailure/t:Count", TASK_NS) is not None
    assert "watch" in watch.find("t:Actions/t:Exec/t:Arguments", TASK_NS).text.split()


def test_windows_wrapper_loads_the_env_file_and_has_crlf():
    raw = (DEPLOY / "windows" / "scorecard.cmd").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("ascii")
    assert "scorecard.env" in text and r".venv\Scripts\python.exe" in text and "process.py %*" in text
