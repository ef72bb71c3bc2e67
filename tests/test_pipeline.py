"""End to end through the command line: samples, hostile files, exit codes, whole outputs, history."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from docx import Document

import hostile
from conftest import ROOT, SMALL_RULES, filled
from scorecard.fsutil import run_lock
from scorecard.rules import load_rules
from scorecard.samples import write_samples

CJK = re.compile(r"[\u4e00-\u9fff]")


def shell(*args, cwd=ROOT):
    """process.py in a real process: for what only a process shows (exit status from the shell)."""
    return subprocess.run([sys.executable, str(ROOT / "process.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


def cli(*args):
    """process.py in-process: main(argv) with its output captured."""
    from scorecard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:           # argparse on a usage error
            code = exc.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("samples")
    rules = load_rules(ROOT / "rules.yaml")
    write_samples(rules, tmp / "input")
    before = digest(tmp / "input")
    p = cli("run", "--input", str(tmp / "input"), "--output", str(tmp / "output"), "--as-of", "2026-12-31")
    summary = json.loads((tmp / "output" / "2026年第四季度" / "summary.json").read_text(encoding="utf-8"))
    return {"tmp": tmp, "proc": p, "summary": summary, "before": before, "rules": rules}


def test_samples_run_completes_and_leaves_input_untouched(sample_run):
    p, tmp = sample_run["proc"], sample_run["tmp"]
    assert p.returncode == 0, p.stderr
    assert digest(tmp / "input") == sample_run["before"]
    for words in ("采用", "退回", "总分", "合格线", "问题清单", "未报送", "输出"):
        assert words in p.stdout


def test_samples_statuses(sample_run):
    s, rules = sample_run["summary"], sample_run["rules"]
    names = rules.department_names()
    status = {Path(x["file"]).name: x["status"] for x in s["submissions"]}
    assert status[f"~${names[1]}.xlsx"] == "ignored"
    assert status[f"{names[4]}.xlsx"] == "rejected"                       # the one with mistakes
    assert status[f"{names[7]}（初稿）.xlsx"] == "superseded"
    assert status[f"{names[7]}（修改稿）.xlsx"] == "accepted"
    assert status[f"{names[12]}（自制表）.xlsx"] == "accepted"               # hand-built, loose values
    assert any(x["file"].endswith(f"第二批/{names[12]}（自制表）.xlsx") for x in s["submissions"])
    office = next(x for x in s["submissions"] if Path(x["file"]).name == f"{names[0]}.xlsx")
    assert office["department"] == names[0] and office["status"] == "accepted"    # alias typed with spaces
    assert s["unsubmitted"] == [names[10]]                                  # sent nothing
    assert s["returned"] == [names[4]]                                      # sent only a rejected file
    rejected = next(x for x in s["submissions"] if x["status"] == "rejected")
    rules_hit = {f["rule"] for f in rejected["findings"]}
    assert {"score.not_number", "score.out_of_range", "status.invalid", "field.required", "date.invalid"} <= rules_hit
    assert all(CJK.search(f["message"]) for f in rejected["findings"])


def test_samples_outputs_exist_and_open(sample_run):
    s, base = sample_run["summary"], sample_run["tmp"] / "output" / "2026年第四季度"
    for name in ("汇总报告.docx", "问题清单.docx"):
        text = "\n".join(p.text for p in Document(base / name).paragraphs)
        assert "{{" not in text and "{%" not in text
    for d in s["departments"]:
        assert (base / "部门报告" / f"{d['name']}.docx").exists()
    gaps = openpyxl.load_workbook(base / "问题清单.xlsx")
    assert gaps.worksheets[0].max_row == len(s["gaps"]) + 1
    returned = [x for x in s["submissions"] if x["status"] == "rejected"]
    for x in returned:
        wb = openpyxl.load_workbook(base / x["returned"])
        assert wb.sheetnames[0] == "问题说明"
    assert not [p for p in base.parent.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_hostile_files_never_stop_a_run(small_rules, tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp = tmp_path / "input"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "办公室.xlsx")
    cases = {
        "random.xlsx": (hostile.random_bytes, "file.unreadable"),
        "empty.xlsx": (hostile.empty, "file.unreadable"),
        "truncated.xlsx": (hostile.truncated, "file.unreadable"),
        "bomb.xlsx": (hostile.zip_bomb, "file.unreadable"),
        "lying_bomb.xlsx": (hostile.lying_zip_bomb, "file.unreadable"),
        "laughs.xlsx": (hostile.entity_bomb, "file.unreadable"),
        "external.xlsx": (hostile.external_entity, "file.unreadable"),
        "locked.xlsx": (hostile.encrypted_workbook, "file.unreadable"),
        "old.xlsx": (hostile.legacy_xls, "file.unsupported_format"),
        "table.csv": (hostile.csv_renamed, "file.unsupported_format"),
        "table.ods": (hostile.ods_renamed, "file.unsupported_format"),
        "table.et": (hostile.legacy_xls, "file.unsupported_format"),
        "huge.xlsx": (hostile.too_many_rows, "file.too_large"),
    }
    for name, (build, _) in cases.items():
        build(inp / name)
    (inp / "~$办公室.xlsx").write_bytes(b"\x06owner")
    before = digest(inp)
    # --settle 0: the files are complete, however recently written (an empty or truncated file
    # changed in the last seconds would be one still being copied, file.incomplete)
    p = cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(tmp_path / "out"),
            "--settle", "0")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert digest(inp) == before
    s = json.loads((tmp_path / "out" / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    got = {Path(x["file"]).name: x for x in s["submissions"]}
    assert got["办公室.xlsx"]["status"] == "accepted"
    assert got["~$办公室.xlsx"]["status"] == "ignored"
    for name, (_, rule) in cases.items():
        assert got[name]["status"] == "rejected", name
        assert [f["rule"] for f in got[name]["findings"]] == [rule], name
        assert CJK.search(got[name]["findings"][0]["message"])
        assert (tmp_path / "out" / "第一轮" / got[name]["returned"]).exists(), name


def test_exit_codes(small_rules, tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp = tmp_path / "input"
    inp.mkdir()
    out = tmp_path / "out"
    assert shell("run", "--bogus").returncode == 2
    assert cli("run", "--rules", str(rules_file), "--input", str(tmp_path / "nope"), "--output", str(out)).returncode == 2
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--as-of", "someday").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL_RULES.replace("max: 6", "max: 0"), encoding="utf-8")
    p = cli("run", "--rules", str(bad), "--input", str(inp), "--output", str(out))
    assert p.returncode == 1 and "items[0].indicators[1].max" in p.stderr
    assert not out.exists()                       # stopped before anything was read or written
    with run_lock(out):
        p = shell("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out))
    assert p.returncode == 75, p.stderr
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out)).returncode == 0


def test_a_failed_run_leaves_previous_outputs_whole(site, small_rules, tmp_path):
    rules_file, inp, out = site["rules"], site["inp"], site["out"]
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out)).returncode == 0
    before = digest(out / "第一轮")
    broken = tmp_path / "tpl"
    broken.mkdir()
    doc = Document(ROOT / "templates" / "汇总报告.docx")
    doc.add_paragraph("{{ no_such_value }}")
    doc.save(broken / "汇总报告.docx")
    filled(small_rules, "机关党委").save(inp / "b.xlsx")
    p = cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out), "--templates", str(broken))
    assert p.returncode == 1 and "no_such_value" in p.stderr
    assert digest(out / "第一轮") == before
    assert sorted(x.name for x in out.iterdir() if x.name.startswith(".") and x.name != ".lock") == []


def test_rounds_are_compared(small_rules, tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    deficit = {"存在问题": "问题", "整改措施": "措施", "责任人": "李强", "完成时限": dt.date(2027, 3, 31), "完成情况": "推进中"}
    rows = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": "x"} for i in small_rules.indicators_of("办公室")}
    rows["1.1"].update({"自评得分": 2, **deficit})
    filled(small_rules, "办公室", rows=rows).save(inp / "a.xlsx")
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out), "--round", "一季度").returncode == 0
    first = json.loads((out / "一季度" / "summary.json").read_text(encoding="utf-8"))
    assert "previous_round" not in first
    rows["1.1"].update({"自评得分": 4, "完成情况": "已完成"})
    filled(small_rules, "办公室", rows=rows, info={"填报日期": dt.date(2027, 3, 1)}).save(inp / "a.xlsx")
    filled(small_rules, "机关党委").save(inp / "b.xlsx")
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out), "--round", "二季度").returncode == 0
    second = json.loads((out / "二季度" / "summary.json").read_text(encoding="utf-8"))
    assert second["previous_round"] == "一季度"
    assert ("低分", "办公室", "1.1") in {(g["kind"], g["department"], g["indicator"]) for g in second["closed_gaps"]}
    assert all(g["state"] in ("新增", "持续") for g in second["gaps"])
    unsub = next(g for g in second["gaps"] if g["kind"] == "未报送")
    assert unsub["state"] == "持续" and unsub["department"] == "登记注册科"
    # Running the first round again keeps its place: its previous round is still none.
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out), "--round", "一季度").returncode == 0
    again = json.loads((out / "一季度" / "summary.json").read_text(encoding="utf-8"))
    assert "previous_round" not in again


def test_watch_runs_when_the_folder_settles(small_rules, tmp_path):
    from scorecard.watch import watch

    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    looks = []
    runs = watch(small_rules, inp, out, interval=0, max_runs=1, sleep=lambda s: looks.append(s))
    assert runs == 1 and len(looks) == 1            # first look, second look identical, then run
    assert (out / "第一轮" / "summary.json").exists()


def test_a_rejected_resubmission_leaves_the_last_accepted_one_standing(small_rules, tmp_path):
    """The department overwrites its file in input/ with a broken one: last run's accepted data stands."""
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    rows = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": "x"} for i in small_rules.indicators_of("办公室")}
    filled(small_rules, "办公室", rows=rows).save(inp / "办公室.xlsx")
    args = ("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out))
    assert cli(*args).returncode == 0
    first = json.loads((out / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    rows["1.1"]["自评得分"] = "满分"
    filled(small_rules, "办公室", rows=rows, info={"填报日期": dt.date(2026, 12, 28)}).save(inp / "办公室.xlsx")
    assert cli(*args).returncode == 0
    second = json.loads((out / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    by_status = {x["status"]: x for x in second["submissions"]}
    assert by_status["rejected"]["file"].endswith("办公室.xlsx")
    carried = by_status["accepted"]
    assert carried["department"] == "办公室" and carried["sha256"] == first["submissions"][0]["sha256"]
    assert "submission.carried_over" in [f["rule"] for f in carried["findings"]]
    def office(summary):
        return next(d for d in summary["departments"] if d["name"] == "办公室")

    assert office(second)["score"] == office(first)["score"] and office(second)["submitted"]
    assert "办公室" not in second["unsubmitted"]
    # Under other rules the old data no longer fits: it is not carried over.
    changed = tmp_path / "changed.yaml"
    changed.write_text(SMALL_RULES.replace("max: 6", "max: 7"), encoding="utf-8")
    assert cli("run", "--rules", str(changed), "--input", str(inp), "--output", str(out)).returncode == 0
    third = json.loads((out / "第一轮" / "summary.json").read_text(encoding="utf-8"))
    assert "办公室" in third["returned"] and "办公室" not in third["unsubmitted"]


def test_a_defect_of_ours_fails_the_run_instead_of_rejecting_files(small_rules, tmp_path, monkeypatch, caplog):
    """A bug in validation must not reach a department as 'your file is broken': the run fails
    (exit 70, CONTRACT.md §6) with the traceback, and the previous outputs stay exactly as they were."""
    import scorecard.checking

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    assert cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out)).returncode == 0
    before = digest(out / "第一轮")

    def broken_validate(*args, **kwargs):
        raise ZeroDivisionError("a defect in validation")

    monkeypatch.setattr(scorecard.checking, "validate", broken_validate)
    filled(small_rules, "机关党委").save(inp / "b.xlsx")      # a new file: it is read and validated
    p = cli("run", "--rules", str(rules_file), "--input", str(inp), "--output", str(out))
    assert p.returncode == 70
    assert "内部错误" in p.stderr and "没有通知任何部门" in p.stderr and "scorecard.log" in p.stderr
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and logged[-1].exc_info[0] is ZeroDivisionError          # the traceback is in the log
    assert "file.unreadable" not in p.stdout + p.stderr
    assert digest(out / "第一轮") == before


def test_files_that_vanish_or_change_during_a_run(small_rules, tmp_path):
    """A drop folder changes under a run: a file removed before it is read is reported for that file;
    a rejected file replaced after it was read gets a problems-only annotated copy, not the new bytes."""
    from scorecard.pipeline import run

    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    filled(small_rules, "机关党委").save(inp / "b.xlsx")
    filled(small_rules, "登记注册科", info={"部门名称": "不存在的科"}).save(inp / "c.xlsx")

    def meddle(stage, done, total):
        if stage == "read" and done == 1:
            (inp / "b.xlsx").unlink()
        if stage == "read" and done == total:
            filled(small_rules, "登记注册科").save(inp / "c.xlsx")      # fixed after it was read

    result = run(small_rules, inp, out, progress=meddle)
    subs = {Path(s["file"]).name: s for s in result.summary["submissions"]}
    assert subs["a.xlsx"]["status"] == "accepted"
    assert subs["b.xlsx"]["status"] == "rejected"
    assert [f["rule"] for f in subs["b.xlsx"]["findings"]] == ["file.vanished"]
    assert CJK.search(subs["b.xlsx"]["findings"][0]["message"])
    assert subs["c.xlsx"]["status"] == "rejected"
    copy = openpyxl.load_workbook(out / "第一轮" / subs["c.xlsx"]["returned"])
    assert copy.sheetnames == ["问题说明"]               # not the replaced file annotated with stale cells
    assert any("不存在的科" in str(c.value) for row in copy["问题说明"].iter_rows() for c in row)


def test_an_unchanged_rerun_parses_nothing_again(small_rules, tmp_path, monkeypatch):
    """Files already checked under the same rules come from the ledger; a changed file is read again."""
    import scorecard.checking
    from scorecard.pipeline import run

    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    filled(small_rules, "机关党委", rows={"1.1": {"自评得分": "很好"}}).save(inp / "b.xlsx")
    first = run(small_rules, inp, out).summary
    read = []
    real = scorecard.checking.read_workbook
    monkeypatch.setattr(scorecard.checking, "read_workbook", lambda path, *a, **k: read.append(path.name) or real(path, *a, **k))
    again = run(small_rules, inp, out).summary
    assert read == []
    assert again["submissions"] == first["submissions"] and again["departments"] == first["departments"]
    filled(small_rules, "机关党委").save(inp / "b.xlsx")
    third = run(small_rules, inp, out).summary
    assert read == ["b.xlsx"]
    assert [s["status"] for s in third["submissions"]] == ["accepted", "accepted"]


def test_reading_in_a_process_pool_gives_the_same_result(small_rules, tmp_path):
    from scorecard import pipeline, stages

    inp = tmp_path / "input"
    inp.mkdir()
    for k in range(stages.PARALLEL_FROM + 5):
        dept = ("办公室", "机关党委", "登记注册科")[k % 3]
        rows = {"1.1": {"自评得分": "很好"}} if k == 7 else None
        filled(small_rules, dept, rows=rows, info={"填报日期": dt.date(2026, 12, 1 + k % 28)}).save(inp / f"{k:02d}.xlsx")
    one = pipeline.run(small_rules, inp, tmp_path / "one", workers=1).summary
    two = pipeline.run(small_rules, inp, tmp_path / "two", workers=2).summary
    assert one["submissions"] == two["submissions"] and one["unit"] == two["unit"]
    assert [s["status"] for s in one["submissions"]].count("rejected") == 1


def test_the_resubmission_date_is_fixed_at_the_rounds_first_run(small_rules, tmp_path):
    from scorecard.pipeline import run

    inp = tmp_path / "input"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    # The round is judged on a fixed day (as_of) before both runs.
    rules = dataclasses.replace(small_rules, as_of=dt.date(2027, 1, 4))
    first = run(rules, inp, tmp_path / "out", clock=lambda: dt.datetime(2027, 1, 8, 17)).summary   # a Friday
    assert first["resubmit_by"] == "2027-01-13"                    # three working days: Mon, Tue, Wed
    later = run(rules, inp, tmp_path / "out", clock=lambda: dt.datetime(2027, 1, 12, 9), force=True).summary
    assert later["resubmit_by"] == "2027-01-13"
    other = run(rules, inp, tmp_path / "out", round_name="下一轮", clock=lambda: dt.datetime(2027, 1, 12, 9)).summary
    assert other["resubmit_by"] == "2027-01-15"
