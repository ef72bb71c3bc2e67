"""`template` never writes two departments into one file (issue 18): names that clean to the same
file name are told apart with （2）, （3）, as the department reports are."""
from __future__ import annotations

import openpyxl

from conftest import SMALL_RULES
from test_pipeline import cli


def test_names_that_clean_alike_get_their_own_files(tmp_path):
    rules = SMALL_RULES.replace("  - name: 机关党委\n    aliases: [党委办]\n", "  - name: 综合/办公室\n  - name: 综合:办公室\n"
                                "  - name: 综合*办公室\n  - name: 机关党委\n    aliases: [党委办]\n")
    assert rules != SMALL_RULES
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    out = tmp_path / "模板"
    p = cli("template", "--rules", str(tmp_path / "rules.yaml"), "--output", str(out))
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stdout.splitlines() if line.startswith("已生成")]
    assert len(lines) == len(set(lines)) == 6
    names = sorted(path.name for path in out.iterdir())
    assert {"综合_办公室.xlsx", "综合_办公室（2）.xlsx", "综合_办公室（3）.xlsx"} <= set(names) and len(names) == 6
    departments = {_department(path) for path in out.glob("综合_办公室*.xlsx")}
    assert departments == {"综合/办公室", "综合:办公室", "综合*办公室"}


def _department(path):
    sheet = openpyxl.load_workbook(path)["基本信息"]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == "部门名称":
                return sheet.cell(cell.row, cell.column + 1).value
