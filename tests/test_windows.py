"""Windows as it runs there (issue 25, points 7-13), emulated on Linux where it can be.

Word's owner files in the round folder; a rename refused for a moment; the ledger on a mapped
network drive; pools under spawn (same result as fork, worker logs reach the parent, Ctrl+C to the
process group); `check --json` redirected from a GBK console; a log rollover refused because the
other process holds the file; deploy/windows (the env file, the Task Scheduler XML).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, filled
from scorecard.base import fsutil
from scorecard.operations import ledger
from scorecard.base import logsetup
from scorecard.base import pools
from scorecard.operations import unchanged
from scorecard import windows
from scorecard.operations.pipeline import run

SAMPLES = ROOT / "examples" / "input"
DRIVE = Path(__file__).resolve().parent / "pooldrive.py"
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def clock():
    return dt.datetime(2026, 12, 31, 18, 0)


# --- 7. an open report: owner files, and a rename refused for a moment -------------------------

def test_an_open_report_and_explorer_files_leave_a_rerun_unchanged(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    for dept in ("办公室", "机关党委"):
        filled(small_rules, dept).save(inp / f"{dept}.xlsx")
    first = run(small_rules, inp, out, clock=clock, workers=1)
    round_dir = first.round_dir
    (round_dir / "~$汇总报告.docx").write_bytes(b"\x0bowner")          # Word: 汇总报告.docx is open
    (round_dir / "部门报告" / "~$办公室.docx").write_bytes(b"\x0bowner")
    (round_dir / "~$问题清单.xlsx").write_bytes(b"owner")                # Excel
    (round_dir / "Thumbs.db").write_bytes(b"thumbs")
    (round_dir / "desktop.ini").write_text("[.ShellClassInfo]")
    assert run(small_rules, inp, out, clock=clock, workers=1).unchanged
    (round_dir / "部门报告" / "办公室.docx").unlink()                      # one of ours gone: a full run
    assert not run(small_rules, inp, out, clock=clock, workers=1).unchanged


def test_a_file_with_the_hidden_attribute_is_not_ours():
    class Stat:                     # what os.stat gives on Windows for a hidden file
        st_file_attributes = 0x2
    assert unchanged._not_ours(Path("x/summary.json"), Stat())
    assert not unchanged._not_ours(Path("x/.render-keys.json"), object())     # our own dot file counts


@pytest.fixture
def refusing_replace(monkeypatch):
    """os.replace refusing the first `n[0]` calls with PermissionError, as Windows does while the
    antivirus or the indexer holds a file (WinError 5/32); no real sleeping."""
    real, refusals, calls = os.replace, [0], []

    def replace(src, dst):
        calls.append((src, dst))
        if refusals[0] > 0:
            refusals[0] -= 1
            raise PermissionError(13, "The process cannot access the file", str(src))
        real(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", replace)
    monkeypatch.setattr(fsutil.time, "sleep", lambda s: None)
    return refusals, calls


def test_a_rename_refused_for_a_moment_is_retried(tmp_path, refusing_replace):
    refusals, calls = refusing_replace
    target = tmp_path / "第一轮"
    target.mkdir()
    (target / "old.txt").write_text("old")
    refusals[0] = 3
    with fsutil.staged_directory(target) as stage:
        (stage / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert len(calls) == 5                          # three refusals, then old aside and new in place
    refusals[0] = 2
    fsutil.atomic_write_text(tmp_path / "a.json", "{}")
    assert (tmp_path / "a.json").read_text() == "{}"


def test_a_report_held_open_still_keeps_the_old_outputs(tmp_path, refusing_replace):
    refusals, _ = refusing_replace
    target = tmp_path / "第一轮"
    target.mkdir()
    (target / "old.txt").write_text("old")
    refusals[0] = len(fsutil.REPLACE_DELAYS) + 1       # refused for good: Word has it open
    with pytest.raises(fsutil.OutputBusy):
        with fsutil.staged_directory(target) as stage:
            (stage / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["第一轮"]      # no staging folder left


# --- 8. the ledger on a network drive ----------------------------------------------------------

def test_the_read_only_ledger_is_opened_by_path_and_refuses_writes(tmp_path, monkeypatch):
    out = tmp_path / "输出 文件夹"
    ledger.Ledger(out).connect().close()
    seen = []
    real = sqlite3.connect

    def connect(database, *args, **kwargs):
        seen.append((database, kwargs))
        return real(database, *args, **kwargs)

    monkeypatch.setattr(ledger.sqlite3, "connect", connect)
    conn = ledger.open_readonly(out)
    database, kwargs = seen[0]
    assert not kwargs.get("uri") and not str(database).startswith("file:")    # \\server\share has no URI
    assert Path(database) == out / ledger.FILE_NAME
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("CREATE TABLE t (x)")
    conn.close()


# --- 9, 10. pools under spawn --------------------------------------------------------------------

def _drive(method: str, tmp: Path, inp: Path, *extra: str, **popen) -> subprocess.Popen:
    args = [sys.executable, str(DRIVE), method, "run", "--rules", str(ROOT / "rules.yaml"), "--templates",
            str(ROOT / "templates"), "--input", str(inp), "--output", str(tmp / f"out-{method}"),
            "--as-of", "2026-12-31", "--workers", "2", *extra]
    return subprocess.Popen(args, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _comparable(summary: dict) -> dict:
    summary = dict(summary)
    summary.pop("generated_at")
    return json.loads(json.dumps(summary).replace("out-spawn", "out").replace("out-fork", "out"))


def test_the_samples_give_the_same_result_under_spawn_as_under_fork(tmp_path):
    inp = tmp_path / "input"
    shutil.copytree(SAMPLES, inp)
    procs = {m: _drive(m, tmp_path, inp) for m in ("fork", "spawn")}
    results = {m: p.communicate(timeout=600) for m, p in procs.items()}
    for m, p in procs.items():
        assert p.returncode == 0, results[m][1]
    rounds = {m: tmp_path / f"out-{m}" / "2026年第四季度" for m in procs}
    summaries = {m: json.loads((rounds[m] / "summary.json").read_text(encoding="utf-8")) for m in procs}
    assert _comparable(summaries["spawn"]) == _comparable(summaries["fork"])
    for m in procs:
        reports = sorted(p.name for p in (rounds[m] / "部门报告").glob("*.docx"))
        assert len(reports) == len(summaries[m]["departments"]) == 14


def _log_from_worker(text: str) -> None:
    logging.getLogger("scorecard.test_windows").warning("来自工作进程 %s：%s", os.getpid(), text)


def _job(x: int) -> int:
    logging.getLogger("scorecard.test_windows").info("任务 %d", x)
    return x * x


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_worker_log_records_reach_the_parents_log(tmp_path, method):
    with logsetup.configured(logsetup.NORMAL, tmp_path):
        with pools.Pool(2, _log_from_worker, ("初始化",), method=method) as pool:
            assert list(pool.map(_job, range(4))) == [0, 1, 4, 9]
    text = (tmp_path / logsetup.LOG_NAME).read_text(encoding="utf-8")
    assert "来自工作进程" in text and "初始化" in text and "任务 3" in text
    assert f" {os.getpid()} " not in text.split("来自工作进程")[0].splitlines()[-1]    # the worker's pid


def test_workers_are_capped_at_61():
    pool = pools.Pool(200)
    try:
        assert pool.workers == pools.MAX_WORKERS == 61
    finally:
        pool.close()


def _children(pid: int) -> list[str]:
    return subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout.split()


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_ctrl_c_to_a_pooled_run_stops_it_with_130(tmp_path, method):
    inp = tmp_path / "input"
    shutil.copytree(SAMPLES, inp)
    for k in range(60):                 # older copies, superseded: they keep the read pool busy longer
        shutil.copy(SAMPLES / "办公室.xlsx", inp / "第二批" / f"办公室副本{k}.xlsx")
    p = _drive(method, tmp_path, inp, start_new_session=True)      # its own process group, as a console's
    deadline = time.monotonic() + 120
    needed = 2 if method == "fork" else 3
    while len(_children(p.pid)) < needed and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)                # two workers (and, under spawn, the resource tracker)
    time.sleep(0.5)
    assert p.poll() is None, "the run ended before the pool started"
    os.killpg(p.pid, signal.SIGINT)     # Ctrl+C: every process of the group gets it
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "已中止" in err
    assert "内部错误" not in err and "Traceback" not in err and "BrokenProcessPool" not in err
    assert not (tmp_path / f"out-{method}" / "2026年第四季度").exists()      # nothing half-written


# --- 11. check --json from a GBK console --------------------------------------------------------

def test_check_json_redirected_from_a_gbk_console_is_utf8(tmp_path):
    odd = tmp_path / "办公室😀𠀀.xlsx"            # characters GBK does not have
    shutil.copy(SAMPLES / "办公室.xlsx", odd)
    target = tmp_path / "f.json"
    with target.open("wb") as fh:
        p = subprocess.run([sys.executable, str(ROOT / "process.py"), "check", "--rules", str(ROOT / "rules.yaml"),
                            "--json", str(odd), str(SAMPLES / "登记注册科.xlsx")], cwd=tmp_path, stdout=fh,
                           stderr=subprocess.PIPE, env={**os.environ, "PYTHONIOENCODING": "gbk"})
    assert p.returncode == 1                        # 登记注册科 has errors
    data = json.loads(target.read_bytes().decode("utf-8"))
    assert data[0]["file"].endswith("办公室😀𠀀.xlsx") and data[0]["department"] == "办公室"
    assert "有效日期" in data[1]["findings"][0]["message"]


# --- 12. a log rollover refused by the other process ---------------------------------------------

def test_a_refused_rollover_keeps_logging_without_errors(tmp_path, capsys):
    def refuse(source, dest):
        raise PermissionError(13, "The process cannot access the file because it is being used by "
                                  "another process", source)

    with logsetup.configured(logsetup.NORMAL, tmp_path, max_bytes=300, backups=3):
        handler = next(h for h in logging.getLogger("scorecard").handlers if isinstance(h, logsetup.FileHandler))
        handler.rotator = refuse            # what os.rename does on Windows while the watcher has it open
        log = logging.getLogger("scorecard.test_windows")
        for k in range(50):
            log.info("记录 %02d：%s", k, "内容" * 10)
        assert "Logging error" not in capsys.readouterr().err
        handler._rollover_after = 0.0       # as ROLLOVER_RETRY seconds later
        handler.rotator = None              # the other process let go: the next rollover happens
        log.info("之后的记录")
    text = (tmp_path / logsetup.LOG_NAME).read_text(encoding="utf-8")
    old = (tmp_path / (logsetup.LOG_NAME + ".1")).read_text(encoding="utf-8")
    assert all(f"记录 {k:02d}" in old for k in range(50))       # nothing lost while refused
    assert "之后的记录" in text and "记录 49" not in text


# --- 13. deploy/windows ----------------------------------------------------------------------------

def test_the_env_file_is_read_as_utf8_with_a_bom(tmp_path):
    env = tmp_path / "scorecard.env"
    env.write_bytes("SMTP_HOST=smtp.example.gov.cn\r\n# 注释\r\nSMTP_SENDER=创建办 <cjb@example.gov.cn>\r\n"
                    .encode("utf-8-sig"))
    assert windows.read_env(env) == {"SMTP_HOST": "smtp.example.gov.cn", "SMTP_SENDER": "创建办 <cjb@example.gov.cn>"}
    env.write_bytes("SMTP_SENDER=创建办\r\n".encode("gbk"))          # saved as ANSI by an older Notepad
    assert windows.read_env(env) == {"SMTP_SENDER": "创建办"}


def test_the_wrapper_runs_process_py_with_the_settings_and_its_exit_status(tmp_path):
    (tmp_path / "scorecard.env").write_bytes("SMTP_SENDER=创建办\n".encode("utf-8-sig"))
    (tmp_path / "process.py").write_text("import os, sys\nprint(os.environ['SMTP_SENDER'], sys.argv[1:])\n"
                                         "sys.exit(3)\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "scorecard.windows", "env", "scorecard.env", "process.py", "run", "-q"],
                       cwd=tmp_path, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 3
    assert p.stdout.decode("utf-8").strip() == "创建办 ['run', '-q']"


@pytest.mark.parametrize("name", ["scorecard-run.xml", "scorecard-watch.xml", "scorecard-remind.xml"])
def test_task_xml_is_utf16_with_values_in_the_schemas_range(name):
    raw = (ROOT / "deploy" / "windows" / name).read_bytes()
    assert raw.startswith(b"\xff\xfe")                      # UTF-16 LE with a byte-order mark
    text = raw.decode("utf-16")
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>') and "\r\n" in text
    root = ET.fromstring(raw)
    restart = root.find("t:Settings/t:RestartOnFailure", TASK_NS)
    if restart is not None:
        assert 1 <= int(restart.find("t:Count", TASK_NS).text) <= 255
        assert restart.find("t:Interval", TASK_NS).text in ("PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT1H")
    assert 0 <= int(root.find("t:Settings/t:Priority", TASK_NS).text) <= 10
    for interval in root.iterfind(".//t:Repetition/t:Interval", TASK_NS):
        assert interval.text in ("PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT1H")


def test_the_watch_task_is_started_again_when_the_watcher_stops():
    root = ET.parse(ROOT / "deploy" / "windows" / "scorecard-watch.xml").getroot()
    assert root.find("t:Triggers/t:CalendarTrigger/t:Repetition/t:Interval", TASK_NS).text == "PT10M"
    assert root.find("t:Settings/t:MultipleInstancesPolicy", TASK_NS).text == "IgnoreNew"


def test_task_xml_for_another_folder(tmp_path):
    folder = r"D:\创建办 工具\R&D"
    root = ET.fromstring(windows.task_xml("run", folder))
    assert root.find("t:Actions/t:Exec/t:Command", TASK_NS).text == folder + r"\deploy\windows\scorecard.cmd"
    assert root.find("t:Actions/t:Exec/t:WorkingDirectory", TASK_NS).text == folder


def test_install_tasks_cmd_creates_the_env_file_before_icacls_and_keeps_one_task():
    raw = (ROOT / "deploy" / "windows" / "install-tasks.cmd").read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"") and raw.isascii()
    text = raw.decode("ascii")
    assert text.index("scorecard.windows prepare") < text.index("icacls scorecard.env")
    assert "schtasks /Delete /F /TN \"scorecard\\%OTHER%\"" in text
    for kind in ("run", "watch"):
        assert f"deploy\\windows\\install-tasks.cmd {kind}" in (ROOT / "docs" / "操作手册.md").read_text(encoding="utf-8")


def test_prepare_creates_the_env_file_from_the_example(tmp_path):
    said = windows.prepare(tmp_path)
    assert (tmp_path / "scorecard.env").read_bytes() == windows.ENV_EXAMPLE.read_bytes()
    assert (tmp_path / "output").is_dir() and said
    assert windows.prepare(tmp_path) == []                  # an existing file is the office's: kept
