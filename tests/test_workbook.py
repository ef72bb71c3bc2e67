"""Reading details: 1904 dates, lying dimension tags, merged labels, formulas with cached values."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

from conftest import filled, full_marks
from scorecard.intake.checking import check_file
from scorecard.base.text import parse_date, parse_number, safe_filename, title_key

DEFICIT = {"存在问题": "问题", "整改措施": "措施", "责任人": "李强", "完成情况": "推进中"}


def test_1904_date_system(small_rules, save):
    rows = full_marks(small_rules, "办公室", **{"1.1": {"自评得分": 3, **DEFICIT, "完成时限": dt.date(2027, 1, 31)},
                                               "1.2": {"自评得分": 5, **DEFICIT,
                                                       "完成时限": to_excel(dt.datetime(2027, 2, 28), CALENDAR_MAC_1904)}})
    wb = filled(small_rules, "办公室", rows=rows)
    wb.epoch = CALENDAR_MAC_1904
    sub = check_file(save(wb), small_rules)
    assert sub.ok, sub.findings
    deadlines = {e.indicator: e.deadline for e in sub.entries}
    assert deadlines["1.1"] == dt.date(2027, 1, 31)     # a real date cell
    assert deadlines["1.2"] == dt.date(2027, 2, 28)     # a bare serial number, read in the 1904 system


def _rewrite_dimension(path, ref):
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), body)
            dst.writestr(info, body)
    path.write_bytes(data.getvalue())


def test_a_lying_dimension_tag_changes_nothing(small_rules, save):
    for ref in ("A1", "A1:XFD1048576"):
        path = save(filled(small_rules, "办公室"), f"dim-{len(ref)}.xlsx")
        _rewrite_dimension(path, ref)
        sub = check_file(path, small_rules)
        assert sub.findings == () and len(sub.entries) == 4, ref


def test_formula_with_a_cached_value_is_read(small_rules, tmp_path):
    path = tmp_path / "cached.xlsx"
    filled(small_rules, "办公室").save(path)
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith("sheet3.xml"):          # 自评表: E2 = 4 becomes =2*2 with cached 4
                body = re.sub(rb'<c r="E2"([^>]*)><v>4</v></c>', rb'<c r="E2"\1><f>2*2</f><v>4</v></c>', body)
                assert b"<f>2*2</f>" in body
            dst.writestr(info, body)
    path.write_bytes(data.getvalue())
    sub = check_file(path, small_rules)
    assert sub.findings == () and {e.indicator: e.score for e in sub.entries}["1.1"] == 4


def test_label_with_merged_cell_and_colon(small_rules, save):
    wb = filled(small_rules, "办公室")
    ws = wb["基本信息"]
    ws.insert_cols(2)                                    # label A1 merged over A1:B1, value in C1
    ws.merge_cells("A1:B1")
    ws["C1"] = "办公室"
    ws["A2"] = "填报人：张敏"                             # label and value in one cell
    ws["C2"] = None
    sub = check_file(save(wb), small_rules)
    assert sub.department == "办公室" and sub.filler == "张敏", sub.findings


def test_typed_values():
    assert [parse_number(x) for x in ("９", "8分", " 8 ", "8.0", "８．５", 7, "1,000")] == [9, 8, 8, 8, 8.5, 7, 1000]
    assert [parse_number(x) for x in ("十分", "", None, True, "8 分 5", "nan", float("inf"))] == [None] * 7
    want = dt.date(2026, 12, 31)
    for typed in ("2026-12-31", "2026/12/31", "2026.12.31", "2026年12月31日", "２０２６－１２－３１", "20261231",
                  dt.datetime(2026, 12, 31), 46387, "2026-12-31 00:00:00"):
        assert parse_date(typed) == want, typed
    for typed in ("年底前", "2026-13-01", "2026年12月", "12月15号", 12, "2026-02-30"):
        assert parse_date(typed) is None, typed
    assert title_key(" 自评得分（分）") == "自评得分" and title_key("完成\n时限(年月日)") == "完成时限"
    assert title_key("指标\n编号*") == "指标编号"


def test_safe_filenames():
    assert safe_filename("办公室") == "办公室"
    traversal = safe_filename("../../etc/passwd")
    assert "/" not in traversal and ".." not in traversal and "passwd" in traversal
    for bad in ('a/b', 'a\\b', 'a:b', 'a*b?"<>|', "..", ".", "CON", "nul.txt", " 办公室 . "):
        name = safe_filename(bad)
        assert name and not set('/\\:*?"<>|') & set(name) and ".." not in name, bad
        assert name.split(".")[0].upper() not in ("CON", "NUL"), bad
        assert not name.endswith((".", " ")), bad
