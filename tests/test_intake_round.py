"""Issue 17: files that are not (yet) a submission. A half-copied file is skipped, not returned
(file.incomplete, §3); a placeholder such as input/.gitkeep is not counted at all; the watcher's
console lines carry the time."""
from __future__ import annotations

import io
import json
import os
import re
import time

from conftest import filled
from scorecard.pipeline import run
from scorecard.watch import watch


def half_copied(rules, path, age: float) -> None:
    buffer = io.BytesIO()
    filled(rules, "机关党委").save(buffer)
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))


def statuses(result) -> dict:
    return {s["file"].rsplit("/", 1)[-1]: s for s in result.summary["submissions"]}


def test_a_file_still_being_copied_is_skipped_then_rejected_when_old(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    half_copied(small_rules, inp / "机关党委.xlsx", age=1)
    first = run(small_rules, inp, out)
    sub = statuses(first)["机关党委.xlsx"]
    assert sub["status"] == "ignored" and [f["rule"] for f in sub["findings"]] == ["file.incomplete"]
    assert sub["returned"] is None and not (out / first.summary["round"] / "退回").exists()
    assert not [g for g in first.summary["gaps"] if g["kind"] == "退回"]
    # Nothing changed, but the file must be looked at again: no unchanged rerun stands in.
    assert not run(small_rules, inp, out).unchanged
    # Ten minutes later it is as it was: damaged, so rejected and returned as usual.
    half_copied(small_rules, inp / "机关党委.xlsx", age=600)
    later = run(small_rules, inp, out)
    sub = statuses(later)["机关党委.xlsx"]
    assert sub["status"] == "rejected" and [f["rule"] for f in sub["findings"]] == ["file.unreadable"]
    assert (out / later.summary["round"] / sub["returned"]).is_file()


def test_the_settle_time_is_configurable(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    half_copied(small_rules, inp / "机关党委.xlsx", age=5)
    assert statuses(run(small_rules, inp, out, settle=3))["机关党委.xlsx"]["status"] == "rejected"
    assert statuses(run(small_rules, inp, out, settle=60, force=True))["机关党委.xlsx"]["status"] == "ignored"


def test_a_placeholder_is_not_counted(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    (inp / ".gitkeep").write_text("", encoding="utf-8")
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    result = run(small_rules, inp, out)
    assert [s["file"].rsplit("/", 1)[-1] for s in result.summary["submissions"]] == ["办公室.xlsx"]
    assert result.summary["counts"]["files"].get("ignored", 0) == 0


def test_watch_console_lines_carry_the_time(small_rules, tmp_path, capsys):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    watch(small_rules, inp, out, interval=0, max_runs=1, sleep=lambda s: None)
    lines = [line for line in capsys.readouterr().out.splitlines() if "监视" in line or "开始处理" in line]
    assert len(lines) >= 2
    assert all(re.match(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] ", line) for line in lines), lines
    assert json.loads((out / "第一轮" / "summary.json").read_text(encoding="utf-8"))


def test_a_file_left_from_last_round_is_named(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    first = run(small_rules, inp, out, round_name="2026年第四季度")
    assert not [f for s in first.summary["submissions"] for f in s["findings"] if f["rule"] == "file.previous_round"]
    filled(small_rules, "机关党委").save(inp / "机关党委.xlsx")            # new this round
    second = run(small_rules, inp, out, round_name="2027年第一季度")
    found = {s["file"].rsplit("/", 1)[-1]: [f for f in s["findings"] if f["rule"] == "file.previous_round"]
             for s in second.summary["submissions"]}
    assert found["机关党委.xlsx"] == []
    assert [f["severity"] for f in found["办公室.xlsx"]] == ["warning"]
    assert "2026年第四季度" in found["办公室.xlsx"][0]["message"]
    assert statuses(second)["办公室.xlsx"]["status"] == "accepted"          # a warning: the office decides


def test_new_round_names_it_archives_when_asked_and_checks(small_rules, tmp_path, capsys):
    from conftest import SMALL_RULES
    from scorecard.cli import main
    from scorecard.rules import load_rules

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES.replace("round: 第一轮", "round: 第一轮    # 轮次名称"), encoding="utf-8")
    inp = tmp_path / "input"
    (inp / "第一批").mkdir(parents=True)
    (inp / ".gitkeep").write_text("", encoding="utf-8")
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    filled(small_rules, "机关党委").save(inp / "第一批" / "机关党委.xlsx")
    args = ["new-round", "--rules", str(rules_file), "--input", str(inp)]
    # Without --archive nothing moves; the rules name the new round, comments kept.
    assert main([*args, "第二轮"]) == 0
    assert load_rules(rules_file).round == "第二轮" and "round: 第二轮    # 轮次名称" in rules_file.read_text(encoding="utf-8")
    assert (inp / "办公室.xlsx").is_file() and "2 个文件（未移动）" in capsys.readouterr().out
    # With --archive the files go to <archive>/<last round>/, subfolders kept; as_of is set.
    assert main([*args, "第三轮", "--archive", str(tmp_path / "归档"), "--as-of", "2027-03-31"]) == 0
    assert (tmp_path / "归档" / "第二轮" / "第一批" / "机关党委.xlsx").is_file()
    assert sorted(p.name for p in inp.rglob("*")) == [".gitkeep"]
    rules = load_rules(rules_file)
    assert rules.round == "第三轮" and str(rules.as_of) == "2027-03-31"
    # A broken rules file is reported and not touched.
    rules_file.write_text(rules_file.read_text(encoding="utf-8") + "\nunknown_key: 1\n", encoding="utf-8")
    before = rules_file.read_text(encoding="utf-8")
    assert main([*args, "第四轮"]) == 1
    assert rules_file.read_text(encoding="utf-8") == before


def test_the_console_names_skipped_and_left_over_files(small_rules, tmp_path, capsys):
    from scorecard.console import run_report

    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    run(small_rules, inp, out, round_name="第一轮")
    half_copied(small_rules, inp / "机关党委.xlsx", age=1)
    result = run(small_rules, inp, out, round_name="第二轮")
    capsys.readouterr()
    run_report(result.summary, result.round_dir)
    shown = capsys.readouterr().out
    assert "跳过" in shown and "机关党委.xlsx" in shown and "复制" in shown
    assert "file.previous_round" in shown and "办公室.xlsx" in shown and "第一轮" in shown


def test_a_preallocated_copy_is_still_copying(small_rules, tmp_path):
    """Windows copies over a share may set the file's full size first: zeros where bytes will come."""
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    (inp / "机关党委.xlsx").write_bytes(b"\0" * 20000)
    assert statuses(run(small_rules, inp, out))["机关党委.xlsx"]["status"] == "ignored"


def test_the_samples_never_write_the_office_output(tmp_path, monkeypatch, capsys):
    """CONTRACT §7 (issue 17.1–2): `run --input examples/input` writes examples/output with its own
    ledger; told to write into the office's output/, it refuses; `make run` asks for neither."""
    import shutil

    from conftest import ROOT
    from scorecard.cli import main

    site = tmp_path / "site"
    shutil.copytree(ROOT / "examples" / "input", site / "examples" / "input")
    shutil.copy(ROOT / "rules.yaml", site / "rules.yaml")
    monkeypatch.chdir(site)
    assert main(["-q", "run", "--input", "examples/input"]) == 0
    assert (site / "examples" / "output" / "2026年第四季度" / "summary.json").is_file()
    assert (site / "examples" / "output" / "ledger.sqlite3").is_file() and not (site / "output").exists()
    assert main(["run", "--input", "examples/input", "--output", "output"]) == 2
    assert "示例" in capsys.readouterr().err and not (site / "output").exists()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if "process.py run" in line)
    assert "--input examples/input" in line and "--output output" not in line
