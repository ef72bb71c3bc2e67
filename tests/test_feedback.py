"""The annotated copy (退回件): scenario workbooks are built here with openpyxl, not committed."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Protection

from scorecard.forms import feedback
from scorecard.forms.feedback import ERROR_FILL, SHEET, WARNING_FILL, write_returned
from scorecard.base.findings import CATALOGUE, FileProblem, Finding, finding
from scorecard.rules import Limits
from scorecard.intake.safety import open_safely
from tests import hostile

HEAD_ROW = 8  # title, 5 info rows, a blank row, then the table header
QUOTED_SHEET = "Bob's 表"


def _workbook_bytes(extra=None) -> bytes:
    wb = Workbook()
    info = wb.active
    info.title = "基本信息"
    for row, (label, value) in enumerate(
            [("部门名称", "办公室"), ("填报人", "张三"), ("联系电话", "12345"), ("填报日期", "2026-12-01")], 1):
        info.cell(row=row, column=1, value=label)
        info.cell(row=row, column=2, value=value)

    ws = wb.create_sheet("自评表")
    ws["A1"] = "自评表"
    ws.merge_cells("A1:K1")
    headers = ["指标编号", "测评项目", "测评指标", "分值", "自评得分", "完成情况", "佐证材料", "存在问题",
               "整改措施", "责任人", "完成时限"]
    for col, title in enumerate(headers, 1):
        ws.cell(row=2, column=col, value=title)
    rows = [
        ["1.1", "领导班子建设", "创建领导机构健全", 4, "九", "已完成", "文件", None, None, None, None],
        ["1.2", "领导班子建设", "工作计划", 3, 2, "推进中", "计划", "进度慢", None, "李四", "2026-12-31"],
        ["2.1", "思想道德建设", "理论学习", 5, 5, "已完成", None, None, None, None, None],
    ]
    for r, values in enumerate(rows, 3):
        for c, value in enumerate(values, 1):
            ws.cell(row=r, column=c, value=value)
    ws.merge_cells("H4:I4")  # 存在问题 spread over two columns
    # The standard template protects pre-filled cells (no password); input cells are unlocked.
    for r in range(3, 6):
        for c in range(5, 12):
            ws.cell(row=r, column=c).protection = Protection(locked=False)
    ws.protection.sheet = True
    ws["K5"].comment = Comment("部门自己的备注", "张三")

    veto = wb.create_sheet(QUOTED_SHEET)
    veto["A1"] = "编号"
    veto["B2"] = "=SUM(1,2)"  # a formula the department typed stays a formula
    if extra:
        extra(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _structural(rule, sheet, **params) -> Finding:
    # findings.finding() does not pass `sheet` into the template, which these two messages use.
    severity, template = CATALOGUE[rule]
    return Finding(rule=rule, severity=severity, message=template.format(sheet=sheet, **params), sheet=sheet)


def _findings() -> list[Finding]:
    return [
        finding("evidence.missing", sheet="自评表", cell="G5", code="2.1", score=5),       # warning only
        finding("score.not_number", sheet="自评表", cell="E3", value="九", max=4, example=3),
        finding("evidence.missing", sheet="自评表", cell="E3", code="1.1", score=4),        # 2nd on E3
        finding("field.required", sheet="自评表", cell="I4", score=2, max=3, column="整改措施"),  # in H4:I4
        _structural("sheet.missing", sheet="否决事项", hint=""),
        _structural("header.missing", sheet="自评表", column="责任人", what="列"),
        Finding(rule="department.unknown", severity="error", sheet="基本信息", cell="B1",
                message="=HYPERLINK(\"http://x\",\"点我\")\x07 不是部门", value="=cmd"),
        finding("veto.invalid", sheet=QUOTED_SHEET, cell="C2", code="V1", value="不知道"),
    ]


def _write(tmp_path, original, findings=None, name="办公室_退回.xlsx", department="办公室"):
    return write_returned(original, _findings() if findings is None else findings, tmp_path / name,
                          file_label="input/办公室.xlsx", department=department,
                          round_name="2026年第四季度", rules_title="创建省级文明单位自评测评")


def _table(ws):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=HEAD_ROW + 1, max_col=6)]


def _rgb(cell):
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type == "solid" else None


@pytest.fixture
def original():
    return _workbook_bytes()


@pytest.fixture
def returned(tmp_path, original):
    src = tmp_path / "input.xlsx"
    src.write_bytes(original)
    before = hashlib.sha256(original).hexdigest()
    out = _write(tmp_path, original)
    assert hashlib.sha256(original).hexdigest() == before
    assert src.read_bytes() == original
    return load_workbook(out)


def test_explanation_sheet_is_first_and_active(returned):
    assert returned.sheetnames[0] == SHEET
    assert returned.active.title == SHEET
    assert [ws.sheet_view.tabSelected for ws in returned.worksheets] == [True, False, False, False]
    ws = returned[SHEET]
    assert ws["A1"].value == "创建省级文明单位自评测评 退回说明"
    texts = [ws.cell(row=r, column=3).value for r in range(2, 7)]
    assert texts[:3] == ["办公室.xlsx", "办公室", "2026年第四季度"]     # no office folders
    assert texts[3] == "共发现 6 个错误、2 个提醒；请修改标红单元格后重新报送。"
    assert [c.value for c in ws[HEAD_ROW]][:6] == ["序号", "级别", "工作表", "单元格", "问题说明", "规则编号"]
    assert ws.freeze_panes == f"A{HEAD_ROW + 1}"


def test_rows_errors_first_in_sheet_and_row_order(returned):
    rows = _table(returned[SHEET])
    assert [r[0] for r in rows] == list(range(1, 9))
    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        ("错误", "基本信息", "B1", "department.unknown"),
        ("错误", "自评表", "—", "header.missing"),
        ("错误", "自评表", "E3", "score.not_number"),
        ("错误", "自评表", "I4", "field.required"),
        ("错误", "否决事项", "—", "sheet.missing"),     # standard sheets in template order, then others
        ("错误", QUOTED_SHEET, "C2", "veto.invalid"),
        ("提醒", "自评表", "E3", "evidence.missing"),
        ("提醒", "自评表", "G5", "evidence.missing"),
    ]
    ws = returned[SHEET]
    assert _rgb(ws.cell(row=HEAD_ROW + 1, column=5)) == feedback.ERROR_ROW_FILL
    assert _rgb(ws.cell(row=HEAD_ROW + 8, column=5)) is None
    assert ws.cell(row=HEAD_ROW + 1, column=5).alignment.wrap_text


def test_hyperlinks_point_to_the_cells(returned):
    ws = returned[SHEET]
    links = {ws.cell(row=r, column=6).value + "@" + str(ws.cell(row=r, column=4).value):
             ws.cell(row=r, column=4).hyperlink for r in range(HEAD_ROW + 1, HEAD_ROW + 9)}
    assert links["department.unknown@B1"].location == "'基本信息'!B1"
    assert links["score.not_number@E3"].location == "'自评表'!E3"
    assert links["field.required@I4"].location == "'自评表'!H4"      # merged H4:I4 -> top-left
    assert links["veto.invalid@C2"].location == "'Bob''s 表'!C2"
    assert links["header.missing@—"].location == "'自评表'!A1"       # sheet exists, no cell
    assert links["sheet.missing@—"] is None                          # sheet does not exist
    assert all(link is None or not link.target for link in links.values())  # internal, no URL


def test_fills_and_comments(returned):
    ws = returned["自评表"]
    assert _rgb(ws["E3"]) == ERROR_FILL          # error wins over the warning on the same cell
    assert _rgb(ws["G5"]) == WARNING_FILL
    assert _rgb(ws["H4"]) == ERROR_FILL          # top-left of the merged range
    assert _rgb(ws["E4"]) is None
    e3 = ws["E3"].comment
    assert e3.author == "创建办"
    assert e3.text.startswith("1. 【错误】自评得分“九”不是有效数字")
    assert "\n2. 【提醒】指标“1.1”得分4分，但未填写佐证材料" in e3.text
    assert ws["G5"].comment.text.startswith("【提醒】指标“2.1”")
    assert "整改措施" in ws["H4"].comment.text
    assert ws["K5"].comment.text == "部门自己的备注"   # untouched cell keeps the department's note
    assert "\x07" not in returned["基本信息"]["B1"].comment.text
    assert _rgb(returned[QUOTED_SHEET]["C2"]) == ERROR_FILL
    assert ws.protection.sheet is True           # protection left as it was
    assert ws["E3"].protection.locked is False


def test_comment_is_sized_for_chinese(tmp_path, original):
    long = [Finding(rule="x", severity="error", sheet="自评表", cell="H4", message="很长的说明" * 40)]
    out = _write(tmp_path, original, long)
    assert load_workbook(out)["自评表"]["H4"].comment.text.startswith("【错误】很长的说明")
    # openpyxl does not read comment sizes back; they live in the VML drawing.
    with zipfile.ZipFile(out) as archive:
        vml = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".vml")]
    sizes = [re.findall(r"width:(\d+)px;height:(\d+)px", text) for text in vml]
    widths_heights = [(int(w), int(h)) for found in sizes for w, h in found]
    # Ours is wide and tall for the long message; the department's note on K5 comes back at
    # openpyxl's default 144x79 (it does not keep existing comment sizes).
    assert any(w >= 300 and h >= 150 for w, h in widths_heights), widths_heights


def test_original_values_unchanged(returned, original):
    source = load_workbook(io.BytesIO(original))
    for ws in source.worksheets:
        copy = returned[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                assert copy[cell.coordinate].value == cell.value, (ws.title, cell.coordinate)
        assert copy.merged_cells.ranges == ws.merged_cells.ranges
    assert returned[QUOTED_SHEET]["B2"].data_type == "f"


def test_text_from_findings_never_becomes_a_formula(tmp_path, original):
    out = write_returned(original, _findings(), tmp_path / "x.xlsx", file_label="=1+1",
                         department="=SUM(A1:A9)\x01", round_name="r", rules_title="t")
    ws = load_workbook(out)[SHEET]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                assert cell.data_type == "s", cell.coordinate
    assert ws["C2"].value == "=1+1"
    assert ws["C3"].value == "=SUM(A1:A9)"
    with zipfile.ZipFile(out) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_unreadable_original_gives_explanation_only(tmp_path):
    bad = finding("file.unreadable", reason="不是有效的 Excel 文件")
    for original in (None, b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0 old xls"):
        out = _write(tmp_path, original, [bad], department=None)
        wb = load_workbook(out)
        assert wb.sheetnames == [SHEET]
        ws = wb[SHEET]
        assert ws["C3"].value == "（未能识别）"
        assert ws["C5"].value == "共发现 1 个错误、0 个提醒；请修改标红单元格后重新报送。"
        assert _table(ws) == [[1, "错误", "—", "—", bad.message, "file.unreadable"]]


def test_file_level_refusal_is_not_loaded_even_if_openpyxl_could(tmp_path, original):
    out = _write(tmp_path, original, [finding("file.too_large", reason="超过 5000 行")])
    assert load_workbook(out).sheetnames == [SHEET]


def test_openpyxl_failure_falls_back(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    findings = [finding("score.not_number", sheet="自评表", cell="E3", value="x", max=4, example=3)]
    wb = load_workbook(_write(tmp_path, buffer.getvalue(), findings))
    assert wb.sheetnames == [SHEET]
    assert _table(wb[SHEET])[0][2:4] == ["自评表", "E3"]
    assert wb[SHEET]["D9"].hyperlink is None


def test_zip_bomb_is_not_unpacked(tmp_path):
    # The zip-bomb check is safety.open_safely's alone; feedback relies on its finding. The bomb
    # is otherwise a valid workbook: without that finding it would be loaded and annotated.
    path = hostile.zip_bomb(tmp_path / "办公室.xlsx", mib=20)
    with pytest.raises(FileProblem) as refused:
        open_safely(path, Limits())
    out = _write(tmp_path, path.read_bytes(), [refused.value.finding])
    assert load_workbook(out).sheetnames == [SHEET]


def test_resubmitted_returned_copy(tmp_path, original):
    k5 = Finding(rule="field.required", severity="error", sheet="自评表", cell="K5", message="请填写完成时限")
    first_path = _write(tmp_path, original, _findings() + [k5], name="first.xlsx")
    k5_comment = load_workbook(first_path)["自评表"]["K5"].comment
    assert k5_comment.author == "创建办"
    assert k5_comment.text == "【错误】请填写完成时限\n——原有批注（张三）——\n部门自己的备注"
    first = first_path.read_bytes()
    again = [finding("evidence.missing", sheet="自评表", cell="G5", code="2.1", score=5)]
    wb = load_workbook(_write(tmp_path, first, again, name="second.xlsx"))
    assert wb.sheetnames.count(SHEET) == 1 and wb.sheetnames[0] == SHEET
    assert wb.active.title == SHEET
    assert _table(wb[SHEET]) == [[1, "提醒", "自评表", "G5", again[0].message, "evidence.missing"]]
    ws = wb["自评表"]
    assert ws["E3"].comment is None and _rgb(ws["E3"]) is None   # corrected cell no longer flagged
    assert _rgb(ws["G5"]) == WARNING_FILL
    assert ws["G5"].comment.text.count("【提醒】") == 1          # not stacked on the old comment
    assert (ws["K5"].comment.author, ws["K5"].comment.text) == ("张三", "部门自己的备注")  # restored
    assert _rgb(ws["K5"]) is None


def test_existing_problem_sheet_in_the_middle_is_replaced(tmp_path):
    def add_sheet(wb):
        old = wb.create_sheet(SHEET, 1)
        old["A1"] = "旧的说明"
    wb = load_workbook(_write(tmp_path, _workbook_bytes(add_sheet)))
    assert wb.sheetnames == [SHEET, "基本信息", "自评表", QUOTED_SHEET]
    assert wb[SHEET]["A1"].value != "旧的说明"


def test_xlsm_is_saved_as_plain_xlsx(tmp_path, original):
    # Turn the workbook into an .xlsm package with a (fake) VBA project.
    source = zipfile.ZipFile(io.BytesIO(original))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                assert b"macroEnabled" in data
                data = data.replace(b"</Types>", b'<Default Extension="bin" '
                                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            archive.writestr(item, data)
        archive.writestr("xl/vbaProject.bin", b"\0" * 64)
    out = _write(tmp_path, buffer.getvalue())
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        types = archive.read("[Content_Types].xml").decode()
    assert "xl/vbaProject.bin" not in names
    assert "macroEnabled" not in types and "vbaProject" not in types
    assert load_workbook(out)["自评表"]["E3"].comment is not None


def test_chinese_sheet_names_missing_cells_do_not_crash(tmp_path, original):
    odd = [Finding(rule="x", severity="warning", sheet="自评表", cell="ZZZZ9", message="坏引用"),
           Finding(rule="x", severity="warning", sheet="自 评 表", cell="E5", message="宽松匹配"),
           Finding(rule="x", severity="error", sheet="", cell="E3", message="无工作表")]
    wb = load_workbook(_write(tmp_path, original, odd))
    assert _rgb(wb["自评表"]["E5"]) == WARNING_FILL   # sheet title matched loosely
    assert _rgb(wb["自评表"]["E3"]) is None
    assert len(_table(wb[SHEET])) == 3


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_copy(tmp_path, original):
    out = _write(tmp_path, original)
    profile = (tmp_path / "lo-profile").as_uri()
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), str(out)],
        capture_output=True, timeout=180)
    pdf = tmp_path / "pdf" / (Path(out).stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 1000, result.stderr.decode(errors="replace")


@pytest.mark.parametrize("with_original", [True, False])
def test_resubmission_date_rule_id_hidden_and_a4_on_every_sheet(tmp_path, original, with_original):
    import datetime as dt
    out = write_returned(original if with_original else None, _findings(), tmp_path / "x_退回.xlsx",
                         file_label="D:\\创建办\\收件\\办公室.xlsx", department="办公室",
                         round_name="2026年第四季度", rules_title="创建省级文明单位自评测评",
                         resubmit_by=dt.date(2027, 1, 6))
    wb = load_workbook(out)
    ws = wb[SHEET]
    rows = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=3).value for r in range(2, 9)}
    assert rows["文件"] == "办公室.xlsx"
    assert rows["报送时限"] == "请于2027年1月6日前将修改后的自评表重新报送创建办。"
    assert rows["结论"].endswith("请修改标红单元格后于2027年1月6日前重新报送。")
    head = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "序号")
    assert ws.cell(row=head, column=6).value == "规则编号" and ws.column_dimensions["F"].hidden
    assert ws.print_title_rows == f"${head}:${head}"
    for sheet in wb.worksheets:
        assert int(sheet.page_setup.paperSize) == 9 and sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
