"""The watcher as a service: survives failed cycles, stops on SIGTERM with whole outputs, --once, run --wait."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from conftest import ROOT, SMALL_RULES, filled, lock_held_elsewhere
from scorecard import cli
from scorecard.operations import ledger
from scorecard.operations.watch import Stopper, watch


@pytest.fixture
def setup(site):
    return site["rules"], site["inp"], site["out"]


def broken_templates(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    doc = Document(ROOT / "templates" / "汇总报告.docx")
    doc.add_paragraph("{{ no_such_value }}")
    doc.save(folder / "汇总报告.docx")
    return folder


def runs_in_ledger(out: Path) -> list[tuple]:
    conn = ledger.open_readonly(out)
    try:
        return [tuple(r) for r in conn.execute("SELECT round, outcome FROM runs ORDER BY id")]
    finally:
        conn.close()


def test_a_failed_cycle_is_logged_and_the_next_change_runs_again(small_rules, setup, tmp_path, caplog):
    """Broken Word template: the cycle fails (logged with traceback, recorded in the ledger), the watcher
    carries on, does not retry the same state, and runs fine after the template is fixed and input changes."""
    rules_file, inp, out = setup
    templates = broken_templates(tmp_path / "tpl")
    looks = []

    def script(_seconds):                   # what happens between two looks at the folder
        looks.append(len(looks))
        if len(looks) == 4:                 # failed at look 2; looks 3-4 see the same state: no retry
            (templates / "汇总报告.docx").unlink()          # fix the template (fall back to the bundled one)
            filled(small_rules, "机关党委").save(inp / "b.xlsx")
        if len(looks) > 12:
            raise AssertionError("the watcher never ran the good cycle")

    failures, results = [], []
    runs = watch(small_rules, inp, out, interval=0, max_runs=1, sleep=script, templates_dir=templates,
                 on_failure=lambda exc, s: failures.append(exc), on_result=lambda r, s: results.append(r))
    assert runs == 1 and len(failures) == 1 and len(results) == 1
    assert "no_such_value" in str(failures[0])
    failed = [r for r in caplog.records if r.name == "scorecard.operations.watch" and r.levelname == "ERROR"]
    assert failed and failed[0].exc_info is not None           # logged with its traceback
    summary = json.loads((out / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    assert {s["department"] for s in summary["submissions"]} == {"办公室", "机关党委"}
    assert len(looks) == 5                   # look 5 (after the change) is stable, then the good run


def test_cli_watch_records_a_failed_cycle_and_then_a_good_one(small_rules, setup, tmp_path):
    rules_file, inp, out = setup
    templates = broken_templates(tmp_path / "tpl")
    base = ["watch", "--rules", str(rules_file), "--input", str(inp), "--output", str(out), "--settle", "0",
            "--interval", "0.05", "--once"]
    assert cli.main([*base, "--templates", str(templates)]) == 1          # --once reports the failure
    assert runs_in_ledger(out) == [("第一轮", "failed")]
    assert not (out / "第一轮").exists()
    # Same input, good templates: --once sees no successful run of this state yet, so it runs.
    assert cli.main(base) == 0
    assert runs_in_ledger(out) == [("第一轮", "failed"), ("第一轮", "ok")]
    # Nothing changed since: --once does not run again.
    assert cli.main(base) == 0
    assert len(runs_in_ledger(out)) == 2
    filled(small_rules, "机关党委").save(inp / "b.xlsx")
    assert cli.main(base) == 0
    assert len(runs_in_ledger(out)) == 3
    log = (out / "scorecard.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "no_such_value" in log and "运行完成" in log


def test_a_broken_rules_edit_keeps_the_watcher_going(small_rules, setup):
    rules_file, inp, out = setup
    looks, failures = [], []

    def script(_seconds):
        looks.append(1)
        if len(looks) == 3:
            rules_file.write_text(SMALL_RULES + "\nbogus_key: 1\n", encoding="utf-8")
        if len(looks) == 6:
            rules_file.write_text(SMALL_RULES.replace("round: 第一轮", "round: 第二轮"), encoding="utf-8")
        if len(looks) > 12:
            raise AssertionError("no second run")

    from scorecard.rules import load_rules

    runs = watch(small_rules, inp, out, interval=0, max_runs=2, sleep=script, rules_path=rules_file,
                 load_rules=load_rules, on_failure=lambda exc, s: failures.append(exc))
    assert runs == 2 and len(failures) == 1
    assert (out / "第一轮" / "summary.json").exists() and (out / "第二轮" / "summary.json").exists()


def test_settle_time_waits_for_the_folder_to_stay_unchanged(small_rules, setup):
    rules_file, inp, out = setup
    now = [0.0]
    looks = []

    def script(seconds):
        looks.append(now[0])
        now[0] += 1.0

    runs = watch(small_rules, inp, out, interval=1, settle=3, max_runs=1, sleep=script, clock=lambda: now[0])
    assert runs == 1
    # First look at t=0 (a change), then unchanged at 1, 2, 3: runs at the look where 3 s have passed.
    assert looks == [0.0, 1.0, 2.0]


def test_stop_flag_ends_the_watch_while_it_sleeps(small_rules, setup):
    rules_file, inp, out = setup
    stopper = Stopper()
    threading.Timer(0.5, stopper.stop).start()
    started = time.monotonic()
    watch(small_rules, inp, out, interval=30, settle=0, stopper=stopper)
    assert time.monotonic() - started < 10       # woke from a 30 s sleep


def test_watch_once_with_the_lock_held_exits_75(setup):
    rules_file, inp, out = setup
    args = ["watch", "--once", "--settle", "0", "--interval", "0.05", "--rules", str(rules_file), "--input",
            str(inp), "--output", str(out)]
    with lock_held_elsewhere(out):
        assert cli.main(args) == cli.EXIT_LOCKED
    assert cli.main(args) == cli.EXIT_OK and (out / "第一轮" / "summary.json").exists()


def test_run_wait_waits_for_a_held_lock(setup):
    rules_file, inp, out = setup
    args = ["run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out)]
    with lock_held_elsewhere(out) as release:
        assert cli.main(args) == cli.EXIT_LOCKED
        assert cli.main([*args, "--wait", "0.5"]) == cli.EXIT_LOCKED           # gave up after 0.5 s
        threading.Timer(1.0, release.set).start()
        assert cli.main([*args, "--wait"]) == cli.EXIT_OK                      # waited, then ran
    assert (out / "第一轮" / "summary.json").exists()


def _outputs_open(out: Path) -> int:
    """Every output that exists opens; returns how many files were checked."""
    checked = 0
    for path in out.rglob("*"):
        if not path.is_file() or path.name == ".lock":
            continue
        assert ".staging-" not in str(path) and ".old-" not in str(path), path
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".docx":
            Document(path)
        elif path.suffix == ".xlsx":
            openpyxl.load_workbook(path).close()
        checked += 1
    return checked


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM is a POSIX signal")
def test_sigterm_mid_run_stops_within_seconds_and_outputs_are_whole(tmp_path):
    work = tmp_path / "site"
    work.mkdir()
    shutil.copy(ROOT / "rules.yaml", work / "rules.yaml")
    inp = work / "input"
    shutil.copytree(ROOT / "examples" / "input", inp)
    out = work / "output"
    proc = subprocess.Popen([sys.executable, str(ROOT / "process.py"), "watch", "--input", str(inp), "--output",
                             str(out), "--interval", "0.1", "--settle", "0"], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        round_dir = out / "2026年第四季度"
        deadline = time.monotonic() + 120
        while not (round_dir / "summary.json").exists():          # first run done
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        first = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))
        # A change: the watcher starts a second run; SIGTERM as soon as the pipeline logs its start
        # (it holds the lock and is reading the files).
        log = out / "scorecard.log"
        started = log.read_text(encoding="utf-8").count("开始处理")
        shutil.copy(inp / "办公室.xlsx", inp / "办公室（再报）.xlsx")
        while log.read_text(encoding="utf-8").count("开始处理") == started:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        stdout, stderr = proc.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert stopped_after < 15, stopped_after
    assert "监视已停止" in stdout
    assert not [p for p in out.iterdir() if ".staging-" in p.name or ".old-" in p.name]
    summary = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["submissions"]) in (len(first["submissions"]), len(first["submissions"]) + 1)
    assert _outputs_open(out) >= 10
    assert "收到停止信号" in (out / "scorecard.log").read_text(encoding="utf-8")
