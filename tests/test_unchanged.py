"""An unchanged rerun does nothing (scorecard/operations/unchanged.py, wired in pipeline.run).

"Did nothing" is visible from outside: every file of the round folder keeps its inode and its
modification time (a full run swaps in a new folder of new files), and the run history has an
`unchanged` line. Anything the outputs depend on, changed, makes a full run again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SMALL_RULES, filled, full_marks
from scorecard.operations.pipeline import run
from scorecard.reports.write import DEPARTMENT_DIR, ReportError

DEPARTMENTS = ("办公室", "机关党委", "登记注册科")


def clock():
    return dt.datetime(2026, 12, 31, 18, 0)


def files(round_dir: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (inode, mtime_ns) of every file of a round folder."""
    return {p.relative_to(round_dir).as_posix(): (os.stat(p).st_ino, os.stat(p).st_mtime_ns)
            for p in sorted(round_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def world(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    for dept in DEPARTMENTS:
        filled(small_rules, dept).save(inp / f"{dept}.xlsx")
    first = run(small_rules, inp, out, clock=clock, workers=1)
    assert not first.unchanged
    return {"rules": small_rules, "input": inp, "output": out, "first": first, "round_dir": first.round_dir}


def again(world, **kwargs):
    options = {"rules": world["rules"], "clock": clock, "workers": 1, **kwargs}
    return run(options.pop("rules"), world["input"], world["output"], **options)


def outcomes(out: Path) -> list[str]:
    with sqlite3.connect(out / "ledger.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT outcome FROM runs ORDER BY id")]


def test_a_rerun_on_the_same_input_touches_nothing(world):
    before = files(world["round_dir"])
    second = again(world)
    assert second.unchanged
    assert files(world["round_dir"]) == before                  # not one file written again
    assert second.summary == json.loads((world["round_dir"] / "summary.json").read_text(encoding="utf-8"))
    assert second.summary["unit"] == world["first"].summary["unit"]
    assert outcomes(world["output"]) == ["ok", "unchanged"]
    third = again(world)                    # an unchanged run keeps the key: the next one is unchanged too
    assert third.unchanged and outcomes(world["output"]) == ["ok", "unchanged", "unchanged"]


def test_a_copied_file_with_the_same_content_is_no_change(world):
    path = world["input"] / "办公室.xlsx"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)                                      # new inode, new mtime, same bytes
    os.utime(path, (1_900_000_000, 1_900_000_000))
    assert again(world).unchanged


def test_a_changed_workbook_runs_again(world, small_rules):
    before = files(world["round_dir"])
    rows = full_marks(small_rules, "办公室", **{"1.1": {"自评得分": 1, "完成情况": "推进中", "存在问题": "台账不全",
                                                    "整改措施": "补齐台账", "责任人": "张三",
                                                    "完成时限": dt.date(2027, 3, 31)}})
    filled(small_rules, "办公室", rows=rows).save(world["input"] / "办公室.xlsx")
    second = again(world)
    assert not second.unchanged
    office = next(d for d in second.summary["departments"] if d["name"] == "办公室")
    assert office["score"] < next(d for d in world["first"].summary["departments"] if d["name"] == "办公室")["score"]
    assert files(world["round_dir"])["summary.json"] != before["summary.json"]


@pytest.mark.parametrize("change", ["new file", "removed file", "renamed file"])
def test_files_added_removed_or_renamed_run_again(world, small_rules, change):
    inp = world["input"]
    if change == "new file":
        (inp / "说明.txt").write_text("附件说明", encoding="utf-8")
    elif change == "removed file":
        (inp / "机关党委.xlsx").unlink()
    else:
        (inp / "机关党委.xlsx").rename(inp / "机关党委_更正.xlsx")
    second = again(world)
    assert not second.unchanged
    files_seen = {s["file"] for s in second.summary["submissions"]}
    assert files_seen != {s["file"] for s in world["first"].summary["submissions"]}


def test_an_office_edit_in_the_round_folder_runs_again(world):
    """核定表 and 问题清单 are edited in place by the office (CONTRACT.md §11): a saved edit is new input."""
    from openpyxl import load_workbook

    path = world["round_dir"] / "核定表.xlsx"
    wb = load_workbook(path)
    ws = wb["核定表"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("核定得分") + 1, value=0)
    ws.cell(row=2, column=headers.index("核定说明") + 1, value="台账缺失")
    ws.cell(row=2, column=headers.index("核定人") + 1, value="王五")
    ws.cell(row=2, column=headers.index("核定日期") + 1, value=dt.date(2026, 12, 30))
    wb.save(path)
    second = again(world)
    assert not second.unchanged
    assert second.summary["reviews"], "the verified score was read"


def test_a_deleted_report_is_written_again(world):
    report = next((world["round_dir"] / DEPARTMENT_DIR).glob("*.docx"))
    report.unlink()
    second = again(world)
    assert not second.unchanged
    assert report.is_file()


@pytest.mark.parametrize("change", ["as_of", "title", "round"])
def test_another_date_rules_or_round_runs_again(world, change):
    if change == "as_of":
        second = again(world, as_of=dt.date(2027, 1, 15))
    elif change == "title":
        second = again(world, rules=dataclasses.replace(world["rules"], title="另一个测评"))
    else:
        second = again(world, round_name="第二轮")
    assert not second.unchanged


def test_another_round_in_between_makes_a_full_run(world):
    assert not again(world, round_name="第二轮").unchanged
    assert not again(world).unchanged            # the kept key is the other round's now
    assert again(world).unchanged


def test_force_runs_again(world):
    before = files(world["round_dir"])
    second = again(world, force=True)
    assert not second.unchanged
    assert files(world["round_dir"])["summary.json"] != before["summary.json"]


def test_a_changed_template_runs_again(world, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    assert not again(world, templates_dir=templates).unchanged     # another templates folder, even empty
    assert again(world, templates_dir=templates).unchanged
    shutil.copy(ROOT / "templates" / "部门报告.docx", templates / "部门报告.docx")
    assert not again(world, templates_dir=templates).unchanged


def test_a_failed_run_forgets_the_key(world, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    assert not again(world, templates_dir=templates).unchanged
    (templates / "部门报告.docx").write_bytes(b"not a Word file")
    with pytest.raises(ReportError):
        again(world, templates_dir=templates)
    (templates / "部门报告.docx").unlink()           # back as it was when the key was kept
    assert not again(world, templates_dir=templates).unchanged
    assert again(world, templates_dir=templates).unchanged


def test_the_unchanged_command_line_run_loads_no_heavy_library(world):
    """An unchanged `process.py run` says so, exits 0 and imports none of pandas, openpyxl, docx, matplotlib."""
    rules_file = world["output"].parent / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    code = ("import sys; sys.argv = ['process.py'] + sys.argv[1:]; "
            "from scorecard.cli import main; rc = main(); "
            "print('HEAVY', sorted(m for m in ('pandas', 'openpyxl', 'docx', 'matplotlib') if m in sys.modules)); "
            "sys.exit(rc)")
    args = [sys.executable, "-c", code, "run", "--rules", str(rules_file), "--input", str(world["input"]),
            "--output", str(world["output"]), "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT)
    assert second.returncode == 0, second.stderr
    assert "未重新处理" in second.stdout and "HEAVY []" in second.stdout
    assert "HEAVY []" not in first.stdout and "未重新处理" not in first.stdout


def test_the_bundled_examples_rerun_unchanged(bundled_rules, tmp_path):
    """The examples hold a data workbook with two bad rows (data.* findings, §12): they come from the
    input alone and recur on every run, so they do not stop an unchanged rerun."""
    inp = ROOT / "examples" / "input"
    first = run(bundled_rules, inp, tmp_path / "out", clock=clock)
    assert {f["rule"] for f in first.summary["office_findings"]} == {"data.unknown_department", "data.not_number"}
    second = run(bundled_rules, inp, tmp_path / "out", clock=clock)
    assert second.unchanged and second.summary["office_findings"] == first.summary["office_findings"]


def test_another_round_name_with_the_same_folder_runs_again(world):
    """Two round names that make the same folder name (第一轮/补报 and 第一轮_补报): the second is
    another round, not an unchanged rerun of the first, and its summary says its own name."""
    first = again(world, round_name="第一轮/补报")
    second = again(world, round_name="第一轮_补报")
    assert first.round_dir == second.round_dir
    assert not second.unchanged
    assert json.loads((second.round_dir / "summary.json").read_text(encoding="utf-8"))["round"] == "第一轮_补报"


def test_a_changed_packaged_template_runs_again(world, tmp_path, monkeypatch):
    """The package's own templates are part of the key (an upgrade that only changes a template)."""
    from scorecard import PACKAGE_TEMPLATES
    from scorecard.operations import unchanged

    copy = tmp_path / "packaged"
    shutil.copytree(PACKAGE_TEMPLATES, copy)
    monkeypatch.setattr(unchanged, "PACKAGE_TEMPLATES", copy)
    assert again(world).unchanged                       # the same templates elsewhere: the same key
    first = sorted(p for p in copy.rglob("*") if p.is_file())[0]
    first.write_bytes(first.read_bytes() + b"\n")
    assert not again(world).unchanged


@pytest.mark.parametrize("name", ["核定表.xlsx", "问题清单.xlsx"])
def test_an_office_workbook_changed_without_a_new_size_or_time_runs_again(world, name):
    """The office's workbooks are compared by content: a save that keeps the size and the
    modification time (a coarse clock on a shared drive) is still new input."""
    path = world["round_dir"] / name
    before = path.stat()
    original = path.read_bytes()
    data = bytearray(original)
    data[-30:] = bytes(reversed(data[-30:]))
    assert bytes(data) != original
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert not again(world).unchanged


def test_a_report_with_another_modification_time_is_written_again(world):
    """The round folder must be exactly as the last run left it, modification times included (a
    report opened and saved again in Word, even to the same size)."""
    report = next((world["round_dir"] / DEPARTMENT_DIR).glob("*.docx"))
    st = report.stat()
    os.utime(report, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert not again(world).unchanged
