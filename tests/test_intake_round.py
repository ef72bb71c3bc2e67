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
