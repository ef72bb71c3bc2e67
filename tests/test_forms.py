"""`template`: the standard workbook a department receives, and the round trip back through `check`."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import openpyxl

from conftest import ROOT
from scorecard.intake import layout as L
from scorecard.intake.checking import check_file
from scorecard.forms.template import build_template, write_templates
from scorecard.forms.samples import fill_workbook


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "process.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


def test_template_layout(bundled_rules, tmp_path):
    paths = write_templates(bundled_rules, tmp_path)
    assert sorted(p.stem for p in paths) == sorted(bundled_rules.department_names())
    dept = bundled_rules.departments[0].name
    wb = openpyxl.load_workbook(tmp_path / f"{dept}.xlsx")
    assert wb.sheetnames[:5] == [L.GUIDE, L.INFO, L.SCORES, L.VETOES, L.BONUS]
    assert wb[L.META].sheet_state == "veryHidden"
    ws = wb[L.SCORES]
    header = [c.value for c in ws[1]]
    assert header[:11] == [c.title for c in L.SCORE_COLUMNS]
    codes = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert codes == [i.code for i in bundled_rules.indicators_of(dept)]
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A2"].protection.locked and ws["D2"].protection.locked           # code, max: protected
    assert not ws["E2"].protection.locked and not ws["K2"].protection.locked   # score, deadline: input
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "已完成" in lists[0].formula1 and "F2" in str(lists[0].sqref)
    assert ws.column_dimensions["C"].width >= 20
    veto = wb[L.VETOES]
    assert [dv.formula1 for dv in veto.data_validations.dataValidation] == ['"是,否"']
    assert veto["C2"].value == "否" and not veto["C2"].protection.locked
    assert wb[L.INFO]["B1"].value == dept
    criteria_col = header.index("测评标准") + 1
    assert ws.cell(row=2, column=criteria_col).value == bundled_rules.indicators_of(dept)[0].criteria


def test_round_trip_every_department(bundled_rules, tmp_path):
    """Generate, fill as a department would, check: no findings at all."""
    for dept in bundled_rules.department_names():
        wb = build_template(bundled_rules, dept)
        rows = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": "会议纪要"}
                for i in bundled_rules.indicators_of(dept)}
        fill_workbook(wb, info={"填报人": "张敏", "联系电话": "0571-1234", "填报日期": dt.date(2026, 12, 20)}, rows=rows)
        path = tmp_path / f"{dept}.xlsx"
        wb.save(path)
        sub = check_file(path, bundled_rules)
        assert sub.findings == () and sub.department == dept
        assert len(sub.entries) == len(rows)


def test_old_template_is_read_with_a_warning(small_rules, bundled_rules, tmp_path):
    wb = build_template(small_rules, "办公室")
    fill_workbook(wb, info={"填报人": "张敏", "联系电话": "1", "填报日期": dt.date(2026, 12, 20)},
                  rows={i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": "x"}
                        for i in small_rules.indicators_of("办公室")})
    wb.save(tmp_path / "old.xlsx")
    from dataclasses import replace
    newer = replace(small_rules, fingerprint="ffffffffffff")
    sub = check_file(tmp_path / "old.xlsx", newer)
    assert [f.rule for f in sub.findings] == ["template.outdated"] and sub.ok


def test_template_and_check_cli(tmp_path):
    out = tmp_path / "templates"
    p = cli("template", "--output", str(out))
    assert p.returncode == 0, p.stderr
    files = sorted(out.glob("*.xlsx"))
    assert len(files) >= 8
    blank = cli("check", str(files[0]))
    assert blank.returncode == 1                        # nothing filled in yet
    assert "indicator.missing" in blank.stdout and "自评表!E2" in blank.stdout
    data = json.loads(cli("check", "--json", str(files[0])).stdout)
    assert data[0]["ok"] is False and data[0]["findings"][0]["sheet"]
    wb = openpyxl.load_workbook(files[0])
    rows = {}
    ws = wb[L.SCORES]
    for r in range(2, ws.max_row + 1):
        rows[ws.cell(row=r, column=1).value] = {"自评得分": ws.cell(row=r, column=4).value, "完成情况": "已完成",
                                               "佐证材料": "台账"}
    fill_workbook(wb, info={"填报人": "王芳", "联系电话": "1", "填报日期": "2026/12/20"}, rows=rows)
    wb.save(files[0])
    good = cli("check", str(files[0]))
    assert good.returncode == 0, good.stdout
    assert "通过" in good.stdout
    assert cli("check", str(tmp_path / "missing.xlsx")).returncode == 2
