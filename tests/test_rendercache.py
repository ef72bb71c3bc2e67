"""Reruns render only what changed (rendercache.py, wired in reports.write_reports).

A document reused from the last run is hard-linked into the new round folder, so "not rendered
again" is visible as the same inode (and the same bytes) after the round folder was swapped.
"""
from __future__ import annotations

import datetime as dt
import json
import os

from conftest import filled
from scorecard.operations.pipeline import run
from scorecard.reports.rendercache import KEYS_FILE
from sample_summary import passing_summary
from scorecard.reports.write import (DEPARTMENT_DIR, GAPLIST_TEMPLATE, GAPLIST_XLSX, PARALLEL_FROM, SUMMARY_TEMPLATE,
                               write_reports)

WHOLE = (SUMMARY_TEMPLATE, GAPLIST_TEMPLATE, GAPLIST_XLSX)     # made from the whole summary

# The office's two workbooks are always written afresh: an edit that was ignored must not survive
# in them (CONTRACT §11), so the render cache never reuses them.
OFFICE_EDITED = {"核定表.xlsx", "问题清单.xlsx",
                 "责任人清单.xlsx"}     # §14: each person's list, written from the whole summary every run

def clock():
    return dt.datetime(2026, 12, 31, 18, 0)


def documents(round_dir):
    """relative path -> (inode, bytes) of every document of a round folder."""
    found = {}
    for path in sorted(round_dir.rglob("*")):
        if path.is_file() and path.suffix in (".docx", ".xlsx"):
            found[path.relative_to(round_dir).as_posix()] = (os.stat(path).st_ino, path.read_bytes())
    return found


def first_run(small_rules, tmp_path):
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    for dept in ("办公室", "机关党委", "登记注册科"):
        filled(small_rules, dept).save(inp / f"{dept}.xlsx")
    result = run(small_rules, inp, out, clock=clock, workers=1)
    return inp, out, result


def test_an_unchanged_rerun_renders_no_document_again(small_rules, tmp_path):
    inp, out, first = first_run(small_rules, tmp_path)
    before = documents(first.round_dir)
    assert sum(1 for p in before if p.startswith(DEPARTMENT_DIR + "/")) == 3
    again = run(small_rules, inp, out, clock=clock, workers=1)
    assert again.round_dir == first.round_dir
    after = documents(again.round_dir)
    assert after.keys() == before.keys()
    for path, (inode, data) in after.items():
        if path in OFFICE_EDITED:
            continue            # written afresh on every run by design (tests/test_office.py)
        assert (inode, data) == before[path], f"{path} was rendered again"
    assert OFFICE_EDITED <= after.keys()
    assert (again.round_dir / KEYS_FILE).is_file()


def test_a_changed_workbook_renders_only_its_department_and_the_whole_summary_documents(small_rules, tmp_path):
    inp, out, first = first_run(small_rules, tmp_path)
    before = documents(first.round_dir)
    # The filler's name changes: 办公室's report shows it, nobody else's does, the scores stay.
    filled(small_rules, "办公室", info={"填报人": "王芳"}).save(inp / "办公室.xlsx")
    second = run(small_rules, inp, out, clock=clock, workers=1)
    assert second.summary["unit"] == first.summary["unit"]
    after = documents(second.round_dir)
    assert after.keys() == before.keys()
    rendered = {path for path, (inode, _) in after.items() if inode != before[path][0]} - OFFICE_EDITED
    assert rendered == {f"{DEPARTMENT_DIR}/办公室.docx", *WHOLE} - OFFICE_EDITED
    for path in after.keys() - rendered - OFFICE_EDITED:
        assert after[path][1] == before[path][1]


def test_keys_made_in_the_report_pool_let_an_unchanged_rerun_reuse_every_report(tmp_path):
    """With nothing to reuse, each report's key is made in the worker that renders it: the same
    key the next run makes here, so that run links every report instead of rendering it."""
    summary = passing_summary()
    base = summary["departments"][0]
    summary["departments"] += [dict(base, name=f"{base['name']}{k}") for k in range(PARALLEL_FROM)]
    first, again = tmp_path / "first", tmp_path / "again"
    write_reports(summary, first, workers=2)
    write_reports(summary, again, workers=2, previous_dir=first)
    assert json.loads((again / KEYS_FILE).read_text(encoding="utf-8")) == json.loads(
        (first / KEYS_FILE).read_text(encoding="utf-8"))
    before, after = documents(first), documents(again)
    reports = [p for p in before if p.startswith(DEPARTMENT_DIR + "/")]
    assert len(reports) == len(summary["departments"])
    for path in reports + [SUMMARY_TEMPLATE, GAPLIST_TEMPLATE]:
        assert after[path] == before[path], f"{path} was rendered again"
