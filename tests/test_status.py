"""status, export, the log file, the ledger's schema version, --quiet/--verbose and the progress display."""
from __future__ import annotations

import csv
import io
import logging
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT, SMALL_RULES, lock_held_elsewhere
from scorecard import cli
from scorecard.base import console
from scorecard.operations import ledger
from scorecard.base import logsetup
from scorecard.operations.status import collect, lines, lock_held

# The mail helper's outbox (CONTRACT §9), as its module creates it.
OUTBOX = """CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, round TEXT, recipient TEXT,
kind TEXT, department TEXT, content_hash TEXT, message_id TEXT, subject TEXT, state TEXT, attempts INTEGER,
last_error TEXT, created TEXT, updated TEXT, next_attempt TEXT, sent_at TEXT)"""


def test_status_after_runs_shows_runs_mail_and_lock(site, capsys):
    out = site["out"]
    assert cli.main(["status", "--output", str(out)]) == 0
    assert "尚无" in capsys.readouterr().out                      # no ledger yet: says so, creates nothing
    assert not out.exists()
    assert cli.main(["run", *site["args"]]) == 0
    assert cli.main(["run", *site["args"], "--round", "第二轮"]) == 0
    ledger.record_failure(out, "第二轮", "2026-12-01T18:00:00", 1.5, "ReportError: 模板有误")
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        conn.execute(OUTBOX)
        conn.executemany("INSERT INTO outbox (round, recipient, kind, department, subject, state, attempts, last_error,"
                         " updated) VALUES (?,?,?,?,?,?,?,?,?)",
                         [("第二轮", "bgs@example.gov.cn", "department", "办公室", "部门报告", "pending", 0, "", "t"),
                          ("第二轮", "jz@example.gov.cn", "leaders", "", "汇总报告", "failed", 3,
                           "535 authentication failed", "t"),
                          ("第一轮", "bgs@example.gov.cn", "department", "办公室", "部门报告", "sent", 1, "", "t")])
    capsys.readouterr()
    assert cli.main(["status", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "运行锁：空闲" in text
    assert "最近 3 次运行" in text
    first, second, failed = text.index("第一轮"), text.index("第二轮"), text.index("失败：ReportError")
    assert failed < second < first or failed < first        # newest first: the failure is listed first
    assert "待发送 1 封，发送失败 1 封，已发送 1 封" in text
    assert "jz@example.gov.cn" in text and "535 authentication failed" in text
    assert "第一轮（" in text and "不会自动删除" in text
    status = collect(out)
    assert [r.outcome for r in status.runs] == ["failed", "ok", "ok"]
    assert status.runs[1].accepted == 1 and status.runs[1].seconds is not None
    assert {m.state for m in status.mail} == {"pending", "failed"}
    # The lock, held by a running process (here a thread holding it), is reported as held.
    with lock_held_elsewhere(out):
        assert lock_held(out)
        assert "运行锁：被占用" in "\n".join(lines(collect(out)))
    assert not lock_held(out)


def test_status_without_outbox_table(site, capsys):
    assert cli.main(["run", *site["args"]]) == 0
    capsys.readouterr()
    assert cli.main(["status", "--output", str(site["out"])]) == 0
    assert "邮件：未启用" in capsys.readouterr().out


V1_LEDGER = """
CREATE TABLE rounds (name TEXT PRIMARY KEY, first_run TEXT NOT NULL, last_run TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE accepted (round TEXT NOT NULL, department TEXT NOT NULL, fingerprint TEXT NOT NULL,
    recorded TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (round, department));
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, round TEXT NOT NULL, started TEXT NOT NULL, total REAL,
    passed INTEGER, accepted INTEGER, rejected INTEGER, gaps INTEGER);
INSERT INTO rounds VALUES ('一季度', '2026-03-31T18:00:00', '2026-03-31T18:00:00', '{"round": "一季度"}');
INSERT INTO runs (round, started, total, passed, accepted, rejected, gaps) VALUES ('一季度', '2026-03-31T18:00:00', 88, 0, 10, 2, 7);
"""


def test_an_old_ledger_is_backed_up_before_its_schema_changes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        conn.executescript(V1_LEDGER)
    status = collect(out)                                # read-only: works on the old file, changes nothing
    assert status.runs[0].total == 88 and status.runs[0].outcome == "ok"
    assert sorted(p.name for p in out.iterdir()) == ["ledger.sqlite3"]
    assert ledger.Ledger(out).rounds()[0][0] == "一季度"   # first use by this version: migrates
    backups = sorted(out.glob("ledger.sqlite3.v1-*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 0
        assert [r[1] for r in old.execute("PRAGMA table_info(runs)")][-1] == "gaps"   # the old schema, as it was
        assert old.execute("SELECT total FROM runs").fetchone()[0] == 88
    with sqlite3.connect(out / "ledger.sqlite3") as new:
        assert new.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION
        assert new.execute("SELECT total, outcome FROM runs").fetchone() == (88, "ok")
    ledger.Ledger(out).rounds()                          # already current: no second backup
    assert len(list(out.glob("*.bak"))) == 1
    with sqlite3.connect(out / "ledger.sqlite3") as new:
        new.execute(f"PRAGMA user_version = {ledger.SCHEMA_VERSION + 1}")
    with pytest.raises(ledger.LedgerTooNew):
        ledger.Ledger(out).rounds()


def test_a_new_ledger_needs_no_backup(tmp_path):
    ledger.Ledger(tmp_path).rounds()
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.sqlite3"]


def test_export_csv(site, tmp_path, capsys):
    assert cli.main(["export", "--output", str(site["out"]), "--csv"]) == 1          # no ledger yet
    assert "台账不存在" in capsys.readouterr().err
    assert cli.main(["run", *site["args"]]) == 0
    target = tmp_path / "archive"
    assert cli.main(["export", "--output", str(site["out"]), "--to", str(target), "--csv"]) == 0
    names = sorted(p.name for p in target.iterdir())
    with sqlite3.connect(site["out"] / "ledger.sqlite3") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%'")]
    assert {"rounds", "runs", "accepted"} <= set(tables)
    assert names == sorted(["ledger.sqlite3", *(f"{t}.csv" for t in tables)])
    raw = (target / "runs.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))                   # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["round"] == "第一轮" and rows[0]["accepted"] == "1" and rows[0]["outcome"] == "ok"
    with sqlite3.connect(target / "ledger.sqlite3") as copy:
        assert copy.execute("SELECT name FROM rounds").fetchall() == [("第一轮",)]
    # Without --to: a dated folder under <output>/导出/, never overwriting an earlier export.
    assert cli.main(["export", "--output", str(site["out"])]) == 0
    exported = list((site["out"] / "导出").iterdir())
    assert len(exported) == 1 and [p.name for p in exported[0].iterdir()] == ["ledger.sqlite3"]


def test_every_run_is_in_the_log_file(site):
    out = site["out"]
    assert cli.main(["run", *site["args"]]) == 0
    log = (out / "scorecard.log").read_text(encoding="utf-8")
    for words in ("开始运行", "找到文件 1 份", "采用 1", "退回 0", "输出：", "用时", "本轮：第一轮"):
        assert words in log, words
    assert cli.main(["run", *site["args"]]) == 0
    assert (out / "scorecard.log").read_text(encoding="utf-8").count("开始运行") == 2


def test_invalid_rules_write_no_log_file(site):
    bad = site["rules"].with_name("bad.yaml")
    bad.write_text(SMALL_RULES.replace("max: 6", "max: 0"), encoding="utf-8")
    assert cli.main(["run", "--rules", str(bad), "--input", str(site["inp"]), "--output", str(site["out"])]) == 1
    assert not site["out"].exists()


def test_log_file_rotates(tmp_path):
    logger = logging.getLogger("scorecard.test")
    with logsetup.configured(logsetup.NORMAL, tmp_path, max_bytes=2000, backups=3) as path:
        for n in range(200):
            logger.info("第 %d 行：一些足够长的日志文字，用来让日志文件超过上限而轮转。", n)
    assert path == tmp_path / "scorecard.log"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["scorecard.log", "scorecard.log.1", "scorecard.log.2", "scorecard.log.3"]
    assert all(p.stat().st_size <= 2200 for p in tmp_path.iterdir())
    assert "第 199 行" in path.read_text(encoding="utf-8")
    assert not [h for h in logging.getLogger("scorecard").handlers if getattr(h, "scorecard_handler", False)]


def test_quiet_shows_only_errors_and_verbose_more(site, capsys):
    assert cli.main(["--quiet", "run", *site["args"]]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert "本轮：第一轮" in (site["out"] / "scorecard.log").read_text(encoding="utf-8")   # still logged
    assert cli.main(["run", *site["args"], "-q"]) == 0                   # after the command too
    assert capsys.readouterr().out == ""
    assert cli.main(["run", *site["args"]]) == 0
    assert "本轮：第一轮" in capsys.readouterr().out
    logging.getLogger("scorecard.test").info("a detail")
    with logsetup.configured(logsetup.VERBOSE):
        logging.getLogger("scorecard.test").debug("调试细节")
    assert "调试细节" in capsys.readouterr().err
    with logsetup.configured(logsetup.NORMAL):
        logging.getLogger("scorecard.test").warning("注意")
        logging.getLogger("scorecard.test").info("不显示")
    err = capsys.readouterr().err
    assert "警告：注意" in err and "不显示" not in err


def test_console_shortens_a_traceback_that_is_in_the_log_file(tmp_path, capsys):
    log = logging.getLogger("scorecard.test")
    for mode, folder, shown in ((logsetup.NORMAL, tmp_path, False), (logsetup.VERBOSE, tmp_path, True),
                                (logsetup.NORMAL, None, True)):
        with logsetup.configured(mode, folder):
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception("处理失败")
        err = capsys.readouterr().err
        assert "错误：处理失败" in err and "boom" in err and ("Traceback" in err) == shown
        if not shown:
            assert "scorecard.log" in err
    assert "Traceback" in (tmp_path / "scorecard.log").read_text(encoding="utf-8")


def test_a_traceback_before_the_output_folder_exists_still_reaches_a_log_file(tmp_path):
    out = tmp_path / "out"
    with logsetup.configured(logsetup.QUIET, out):
        logging.getLogger("scorecard.test").info("开始")
        try:
            raise KeyError("x")
        except KeyError:
            logging.getLogger("scorecard.test").exception("内部错误")
    text = (out / "scorecard.log").read_text(encoding="utf-8")
    assert "开始" in text and "KeyError" in text


def test_progress_bar_on_a_terminal_and_plain_lines_under_a_scheduler():
    tty = io.StringIO()
    bar = console.Progress(stream=tty, interactive=True)
    for done in range(5):
        bar("check", done, 4)
    assert "\r检查文件" in tty.getvalue() and "[" + "#" * console.BAR + "] 4/4\n" in tty.getvalue()
    plain = io.StringIO()
    lines_ = console.Progress(stream=plain, interactive=False)
    for done in range(101):
        lines_("check", done, 100)
    lines_("reports", 3, 3)
    assert plain.getvalue().splitlines() == ["检查文件：25/100", "检查文件：50/100", "检查文件：75/100",
                                             "检查文件：100/100", "生成报告：3/3"]
    assert "\r" not in plain.getvalue()


def test_progress_shows_nothing_when_quiet():
    out = io.StringIO()
    console.set_quiet(True)
    try:
        console.Progress(stream=out, interactive=True)("check", 1, 1)
    finally:
        console.set_quiet(False)
    assert out.getvalue() == ""


def test_ops_modules_import_no_heavy_library():
    code = ("import sys; import scorecard.base.console, scorecard.base.logsetup, scorecard.operations.status; "
            "heavy = [m for m in ('pandas', 'docx', 'docxtpl', 'matplotlib') if m in sys.modules]; "
            "print(heavy)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
