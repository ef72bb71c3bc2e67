"""docs/操作手册.md keeps working: its `sh` command examples are run, in order, on a fresh copy of the
bundled examples; every process.py line in any block parses; every rule id and command is explained.

Conventions of the guide: ```sh blocks are run by this test, in order (process.py lines, and the
systemd trial, from the program folder); ```shell and ```bat blocks are set-up commands (root,
Windows) that are only parsed; ```text right after an ```sh block quotes what its last command
prints and is checked line by line against a real run; ```crontab and ```yaml are file contents.
A comment `退出码 N` gives the expected exit status (default 0); `需要邮件服务器` lines run against a
local aiosmtpd server when it is installed (skipped otherwise); `持续运行` lines are started, stopped
with Ctrl+C (SIGINT) after their first look, and must exit 0 within seconds.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from scorecard import cli
from scorecard.cli import COMMANDS, build_parser
from scorecard.findings import CATALOGUE

GUIDE_PATH = ROOT / "docs" / "操作手册.md"
GUIDE = GUIDE_PATH.read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(kind: str | None = None) -> list[tuple[str, str]]:
    return [(k, body) for k, body in BLOCK.findall(GUIDE) if kind is None or k == kind]


def commands(kind: str | None = None) -> list[tuple[list[str], str]]:
    """(arguments after process.py, the line's comment) for each process.py line."""
    found = []
    for _, body in blocks(kind):
        for line in body.splitlines():
            if "process.py" not in line:
                continue
            code, _, comment = line.partition("#")
            words = shlex.split(code.replace("\\", "/"))
            found.append((words[words.index("process.py") + 1:], comment))
    return found


def subcommand(args: list[str]) -> str:
    return next(a for a in args if not a.startswith("-"))


def test_the_guide_has_runnable_examples():
    runnable = commands("sh")
    assert len(runnable) >= 15
    assert {subcommand(a) for a, _ in runnable} >= {"check-rules", "template", "check", "run", "watch", "status",
                                                   "export", "check-templates"}


def test_every_process_py_line_in_the_guide_parses():
    for args, comment in commands():
        if subcommand(args) not in COMMANDS:
            assert subcommand(args) == "send", args     # the mail module's command, not merged here yet
            continue
        if "--send" in args and "send" not in COMMANDS:
            continue
        build_parser().parse_args(args)


def test_every_command_is_in_the_guide():
    for command in COMMANDS:
        assert f"process.py {command}" in GUIDE or f"process.py -q {command}" in GUIDE, command


@pytest.mark.parametrize("rule", sorted({k.split("/")[0] for k in CATALOGUE}))
def test_every_rule_id_is_explained(rule):
    assert f"| `{rule}` |" in GUIDE


def _smtp_server():
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink
    except ImportError:
        return None
    import socket

    with socket.socket() as probe:          # aiosmtpd 1.4 cannot listen on port 0: take a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _run_continuous(args: list[str], cwd) -> None:
    proc = subprocess.Popen([sys.executable, str(cwd / "process.py"), *args, "--interval", "0.2", "--settle", "0"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        deadline = time.monotonic() + 120
        log = cwd / "output" / "scorecard.log"
        while not (log.exists() and "正在监视" in log.read_text(encoding="utf-8")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)                 # Ctrl+C
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "监视已停止" in out


def _fresh_site(tmp_path):
    site = tmp_path / "scorecard"
    site.mkdir()
    for name in ("rules.yaml", "process.py"):
        shutil.copy(ROOT / name, site / name)
    for name in ("templates", "examples", "scorecard", "deploy"):
        shutil.copytree(ROOT / name, site / name, ignore=shutil.ignore_patterns("__pycache__", "output"))
    (site / "input").mkdir()
    # A fake .venv: deploy/systemd/install.sh wants one, and the units' ExecStart names it.
    (site / ".venv" / "bin").mkdir(parents=True)
    python = site / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    return site


def _run_shell_line(line: str, site, scratch) -> subprocess.CompletedProcess | None:
    """A line of an ```sh block that is not process.py (the systemd trial): run by /bin/sh in the
    program folder, its scratch folder under tmp (not the machine's /tmp/scorecard-units)."""
    code = line.partition("  #")[0].strip()
    if not code:
        return None
    if code.split()[0] == "systemd-analyze" and shutil.which("systemd-analyze") is None:
        return None
    code = code.replace("/tmp/scorecard-units", str(scratch))
    return subprocess.run(["/bin/sh", "-c", code], cwd=site, capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})


def test_the_guide_commands_work_on_a_fresh_copy(tmp_path, monkeypatch, capsys):
    """Every ```sh block, in the guide's order, on a fresh copy; each ```text block right after a
    run block is checked line by line against what its last command really printed."""
    site = _fresh_site(tmp_path)
    shutil.copy(site / "examples" / "input" / "办公室.xlsx", site / "input" / "办公室.xlsx")   # the office's own
    monkeypatch.chdir(site)
    smtp = None
    ran, skipped, checked_outputs = [], [], 0
    last_output, last_kind = None, None
    try:
        for kind, body in BLOCK.findall(GUIDE):
            if kind == "text" and last_kind == "sh" and last_output is not None:
                for line in body.strip().splitlines():
                    assert line.strip() in last_output, f"the guide quotes {line!r}; the run printed:\n{last_output}"
                checked_outputs += 1
            last_kind = kind
            if kind != "sh":
                continue
            for line in body.splitlines():
                if "process.py" not in line:
                    done = _run_shell_line(line, site, tmp_path / "units")
                    if done is not None:
                        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
                        ran.append(line)
                    continue
                code, _, comment = line.partition("#")
                words = shlex.split(code.replace("\\", "/"))
                args = words[words.index("process.py") + 1:]
                if "需要邮件服务器" in comment:
                    if smtp is None:
                        smtp = _smtp_server()
                    if smtp is None:
                        skipped.append(args)
                        continue
                    for key, value in (("SMTP_HOST", smtp.hostname), ("SMTP_PORT", str(smtp.port)),
                                       ("SMTP_SECURITY", "none"), ("SMTP_SENDER", "cjb@example.gov.cn")):
                        monkeypatch.setenv(key, value)
                if "持续运行" in comment:
                    if os.name == "nt":
                        skipped.append(args)
                        continue
                    _run_continuous(args, site)
                    ran.append(args)
                    continue
                expected = int(m.group(1)) if (m := re.search(r"退出码\s*(\d+)", comment)) else 0
                code = cli.main(args)
                out = capsys.readouterr()
                last_output = out.out + out.err
                assert code == expected, f"{' '.join(args)}: exit {code}\n{out.out}\n{out.err}"
                ran.append(args)
    finally:
        if smtp is not None:
            smtp.stop()
    assert len(ran) >= 18 and checked_outputs >= 1, (ran, skipped)
    # What the guide promises the operator finds afterwards.
    assert (site / "模板").is_dir() and any((site / "模板").glob("*.xlsx"))
    assert (site / "归档" / "2026年第四季度" / "办公室.xlsx").is_file()        # new-round --archive
    assert not (site / "input" / "办公室.xlsx").exists()
    assert (site / "output" / "2027年第一季度" / "汇总报告.docx").is_file()
    assert (site / "output" / "scorecard.log").is_file()
    assert (site / "台账归档" / "runs.csv").is_file()
    assert list((site / "output" / "导出").glob("*/runs.csv"))
    # The samples never entered the office's output folder or ledger (CONTRACT §7).
    assert (site / "examples" / "output" / "2026年第四季度" / "summary.json").is_file()
    assert not (site / "output" / "2026年第四季度").exists()
    runs = (site / "台账归档" / "runs.csv").read_text(encoding="utf-8-sig")
    assert "2026年第四季度" not in runs and "2027年第一季度" in runs
    if shutil.which("systemd-analyze"):
        assert (tmp_path / "units" / "scorecard-run.service").is_file()


def test_no_guide_command_writes_the_samples_into_the_office_output(tmp_path):
    """CONTRACT §7: every process.py line of the guide that reads examples/ writes elsewhere."""
    from scorecard.cli import _samples_apart

    lines = [(a, c) for a, c in commands() if any("examples" in w for w in a)]
    assert len(lines) >= 6
    for args, _ in lines:
        parsed = build_parser().parse_args(args)
        if not hasattr(parsed, "input"):
            continue                                 # check FILE: reads, writes nothing
        _samples_apart(parsed)
        assert parsed.output.resolve() != (Path.cwd() / "output").resolve(), args


def _section_titles() -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^## ([一二三四五六七八九十]+)、(.+)$", GUIDE, re.M)}


def test_cross_references_name_sections_that_exist():
    """The guide once sent readers to "README“电子邮件”一节" and "定时运行与监视", which do not exist.
    Every 第N节 (with its quoted title, where given) in the guide, the program's messages and
    deploy/ must be a section of the guide; every README section named must be a README heading."""
    sections = _section_titles()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", readme, re.M)}
    texts = {"guide": GUIDE}
    for path in [*(ROOT / "scorecard").glob("*.py"), *(ROOT / "deploy").rglob("*")]:
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    found = 0
    for where, text in texts.items():
        for m in re.finditer(r"第([一二三四五六七八九十]+)节(?:\s*[“\"]([^”\"]+)[”\"])?", text):
            number, title = m.group(1), (m.group(2) or "").strip()
            assert number in sections, f"{where}: 第{number}节"
            assert title in sections[number], f"{where}: 第{number}节“{title}” is “{sections[number]}”"
            found += 1
        for m in re.finditer(r"README\s*(?:的)?\s*[“\"]([^”\"]+)[”\"]\s*一节", text):
            assert m.group(1).strip() in headings, f"{where}: README “{m.group(1)}”"
            found += 1
        assert "定时运行与监视" not in text, where
    assert found >= 5
