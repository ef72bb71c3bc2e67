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
UNITS = ["scorecard-run.service", "scorecard-run.timer", "scorecard-watch.service", "scorecard-remind.service",
         "scorecard-remind.timer"]
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
    for name in ("scorecard-run.service", "scorecard-watch.service", "scorecard-remind.service"):
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
    remind = unit("scorecard-remind.timer")        # §14: the daily follow-up, every day
    assert remind["Timer"]["Unit"] == "scorecard-remind.service" and remind["Timer"]["OnCalendar"] == "*-*-* 09:00:00"
    assert process_args(unit("scorecard-remind.service")["Service"]["ExecStart"])[:2] == ["remind", "--send"]
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
    assert len(lines) == 3 and " remind --send" in lines[2]
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


@pytest.mark.parametrize("name", ["scorecard-run.xml", "scorecard-watch.xml", "scorecard-remind.xml"])
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


# ---------------------------------------------------------------- issue 17: the recipes tried as written

ENV_EXAMPLE = DEPLOY / "systemd" / "scorecard.env.example"
RUNUSER = shutil.which("runuser") or "runuser"
ENV_GENERATOR = Path("/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator")


def sh_env(path: Path) -> dict[str, str]:
    """The variables `set -a && . FILE && set +a` gives /bin/sh, as the cron line loads them."""
    out = subprocess.run(["/bin/sh", "-c", f'set -a && . "{path}" && set +a && env -0'], capture_output=True,
                         env={"PATH": "/usr/bin:/bin"}, check=True).stdout.decode("utf-8")
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def systemd_env(path: Path, home: Path) -> dict[str, str]:
    """The variables systemd reads from FILE: its environment.d generator uses the parser of
    EnvironmentFile= (load_env_file) and prints the result, shell-quoted."""
    conf = home / ".config" / "environment.d"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, conf / "50-scorecard.conf")
    out = subprocess.run([str(ENV_GENERATOR)], capture_output=True, text=True, encoding="utf-8", check=True,
                         env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": "/usr/bin:/bin"})
    values = {}
    for line in out.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 1 and "=" in words[0]:
            key, value = words[0].split("=", 1)
            values[key] = value
    return values


@pytest.mark.skipif(not ENV_GENERATOR.exists(), reason="systemd's environment generator is not installed here")
def test_the_env_file_reads_the_same_in_systemd_and_sh(tmp_path):
    """deploy/systemd/scorecard.env.example and the guide's example lines: quoted values, a sender
    with a Chinese display name and angle brackets, read identically by systemd and by sh (the
    guide once said "no quotes", and `. file` then failed on `创建办 <cjb@…>`)."""
    guide_lines = [line for line in GUIDE.splitlines() if line.startswith("SMTP_") and '="' in line]
    assert any("<cjb@example.gov.cn>" in line for line in guide_lines)
    files = {"example": ENV_EXAMPLE, "guide": tmp_path / "guide.env"}
    files["guide"].write_text("\n".join(guide_lines) + "\n", encoding="utf-8")
    for name, path in files.items():
        in_sh = {k: v for k, v in sh_env(path).items() if k.startswith("SMTP_")}
        in_systemd = {k: v for k, v in systemd_env(path, tmp_path / name).items() if k.startswith("SMTP_")}
        assert in_sh == in_systemd, name
        assert in_sh["SMTP_SENDER"] == "创建办 <cjb@example.gov.cn>", name
    # A value with $ ` \ or " goes in single quotes (the guide says so): literal for sh (and for
    # EnvironmentFile=; the environment.d generator used above expands $, so it cannot show that).
    special = tmp_path / "special.env"
    special.write_text("SMTP_PASSWORD='a$b`c\\d\"e'\n", encoding="utf-8")
    assert sh_env(special)["SMTP_PASSWORD"] == 'a$b`c\\d"e'
    assert sh_env(ENV_EXAMPLE)["SMTP_HOST"] == "smtp.example.gov.cn"


def _interpreter_for(user: str) -> tuple[str, str]:
    """(python, PYTHONPATH) the unprivileged account can run with this venv's packages. This test
    machine's interpreter lives under /root (mode 700); a system python of the same version reads
    the same site-packages. A real install has its own .venv in the program folder."""
    import sysconfig

    purelib = sysconfig.get_paths()["purelib"]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, shutil.which(version), f"/usr/bin/{version}"):
        if candidate and subprocess.run([RUNUSER, "-u", user, "--", candidate, "-c", "import openpyxl"],
                                        capture_output=True, env={"PYTHONPATH": purelib}).returncode == 0:
            return candidate, purelib
    pytest.skip(f"no interpreter that user {user} may run")


def _service_app(app: Path, small_rules, user: str) -> Path:
    """A program folder as the guide's /opt/scorecard: the program, rules, one workbook in input/,
    an empty output/, and a .venv/bin/python the service account can run; readable by all."""
    app.mkdir()
    shutil.copy(ROOT / "process.py", app)
    shutil.copytree(ROOT / "scorecard", app / "scorecard", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", app / "templates")
    (app / "rules.yaml").write_text(SMALL_RULES, encoding="utf-8")
    for folder in ("input", "output"):
        (app / folder).mkdir()
    filled(small_rules, "办公室").save(app / "input" / "办公室.xlsx")
    python, purelib = _interpreter_for(user)
    (app / ".venv" / "bin").mkdir(parents=True)
    wrapper = app / ".venv" / "bin" / "python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={shlex.quote(purelib)} exec {shlex.quote(python)} "$@"\n',
                       encoding="utf-8")
    wrapper.chmod(0o755)
    subprocess.run(["chmod", "-R", "a+rX", str(app)], check=True)
    return app


def _guide_command(prefix: str) -> str:
    line = next(line for line in GUIDE.splitlines() if line.strip().startswith(prefix))
    return line.partition("  #")[0].strip()


needs_root = pytest.mark.skipif(os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() != 0
                                or shutil.which("runuser") is None or shutil.which("useradd") is None,
                                reason="needs root, runuser and useradd (to run as the service account)")


@needs_root
def test_the_cron_line_runs_as_the_account_it_names(small_rules, tmp_path):
    """docs/操作手册.md §八–九 as written: the account (useradd), the settings file (install -m 640
    -o root -g scorecard), input/ and output/ chowned, then the crontab line run by /bin/sh as
    `scorecard` with cron's bare environment: a real run, mail sent to a real SMTP server, nothing
    on stdout. The old recipe (install -m 600 -o root) fails: Permission denied."""
    import tempfile

    from mailserver import smtp_server

    user = "scorecard"
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        useradd = _guide_command("sudo useradd").removeprefix("sudo ")
        subprocess.run(shlex.split(useradd), check=True)
    base = Path(tempfile.mkdtemp(prefix="scorecard-cron-", dir="/tmp"))
    try:
        base.chmod(0o755)
        app = _service_app(base / "opt-scorecard", small_rules, user)
        chown = _guide_command("sudo chown -R scorecard").removeprefix("sudo ").replace("/opt/scorecard", str(app))
        subprocess.run(shlex.split(chown), check=True)
        with smtp_server() as (server, port):
            example = base / "example.env"
            example.write_text(ENV_EXAMPLE.read_text(encoding="utf-8").replace("smtp.example.gov.cn", "127.0.0.1")
                               .replace('SMTP_PORT="465"', f'SMTP_PORT="{port}"')
                               .replace('SMTP_SECURITY="ssl"', 'SMTP_SECURITY="none"')
                               .replace('SMTP_USER="cjb@example.gov.cn"', 'SMTP_USER=""'), encoding="utf-8")
            envfile = base / "etc-scorecard" / "scorecard.env"
            envfile.parent.mkdir()
            envfile.parent.chmod(0o755)
            install = _guide_command("sudo install -m 640").removeprefix("sudo ")
            install = install.replace("deploy/systemd/scorecard.env.example", str(example)).replace(
                "/etc/scorecard/scorecard.env", str(envfile))
            subprocess.run(shlex.split(install), check=True)
            line = next(line for line in (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines()
                        if line[:1].isdigit())
            assert line in GUIDE                                   # the guide shows the same line
            command = line.split(None, 5)[5].replace("/opt/scorecard", str(app)).replace(
                "/etc/scorecard/scorecard.env", str(envfile))
            cron_env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": str(app), "LOGNAME": user}
            p = subprocess.run([RUNUSER, "-u", user, "--", "/bin/sh", "-c", command], capture_output=True,
                               text=True, encoding="utf-8", env=cron_env)
            assert p.returncode == 0, p.stderr
            assert p.stdout == "" and p.stderr == ""               # --quiet: cron mails nothing on success
            assert {a for r in server.received for a in r.rcpt_tos} >= {"bgs@example.gov.cn", "jz@example.gov.cn"}
            summary = app / "output" / "第一轮" / "summary.json"
            assert json.loads(summary.read_text(encoding="utf-8"))["submissions"][0]["status"] == "accepted"
            assert summary.stat().st_uid == int(subprocess.run(["id", "-u", user], capture_output=True, text=True,
                                                               check=True).stdout)
            assert "运行完成" in (app / "output" / "scorecard.log").read_text(encoding="utf-8")
            # The recipe as it was (mode 600, owner root): the account cannot read its settings.
            envfile.chmod(0o600)
            old = subprocess.run([RUNUSER, "-u", user, "--", "/bin/sh", "-c", command], capture_output=True,
                                 text=True, encoding="utf-8", env=cron_env)
            assert old.returncode != 0 and "Permission denied" in old.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


@needs_root
@pytest.mark.skipif(not ENV_GENERATOR.exists() or shutil.which("systemd-analyze") is None,
                    reason="systemd's tools are not installed here")
def test_the_systemd_run_service_runs_as_written(small_rules, tmp_path):
    """The installed scorecard-run.service, tried without a running systemd: its ExecStart, in its
    WorkingDirectory, as its User, with the variables systemd's own parser reads from its
    EnvironmentFile (the guide's quoted format)."""
    import tempfile

    from mailserver import smtp_server

    user = "scorecard"
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(shlex.split(_guide_command("sudo useradd").removeprefix("sudo ")), check=True)
    base = Path(tempfile.mkdtemp(prefix="scorecard-unit-", dir="/tmp"))
    try:
        base.chmod(0o755)
        app = _service_app(base / "app", small_rules, user)
        subprocess.run(["chown", "-R", f"{user}:{user}", str(app / "input"), str(app / "output")], check=True)
        with smtp_server() as (server, port):
            envfile = base / "scorecard.env"
            envfile.write_text(f'SMTP_HOST="127.0.0.1"\nSMTP_PORT="{port}"\nSMTP_SECURITY="none"\n'
                               'SMTP_SENDER="创建办 <cjb@example.gov.cn>"\n', encoding="utf-8")
            units = base / "units"
            subprocess.run(["sh", str(DEPLOY / "systemd" / "install.sh"), str(app), str(units), user, str(envfile)],
                           check=True, capture_output=True)
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            parser.optionxform = str
            parser.read(units / "scorecard-run.service", encoding="utf-8")
            service = parser["Service"]
            env = {"PATH": "/usr/bin:/bin", **systemd_env(Path(service["EnvironmentFile"]), base / "home")}
            env.update(dict(v.split("=", 1) for v in shlex.split(service.get("Environment", ""))))
            p = subprocess.run([RUNUSER, "-u", service["User"], "--", *shlex.split(service["ExecStart"])],
                               cwd=service["WorkingDirectory"], capture_output=True, text=True, encoding="utf-8",
                               env=env)
            assert p.returncode == 0, p.stdout + p.stderr
            assert "邮件：本次发出" in p.stdout
            assert [m for r in server.received for m in [r.message] if m["From"] and "创建办" in m["From"]]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_windows_settings_file_exists_before_it_is_protected():
    """The guide once ran `icacls scorecard.env` before any step created the file."""
    bat = [line.strip() for block in GUIDE.split("```bat")[1:] for line in block.split("```")[0].splitlines()]
    protect = next(n for n, line in enumerate(bat) if line.startswith("icacls scorecard.env"))
    assert any(" copy " in f" {line} " and line.endswith(" scorecard.env") for line in bat[:protect])
    assert "aiosmtpd" in GUIDE                              # a test SMTP server for trying mail is named
