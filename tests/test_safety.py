"""The safety gate: every hostile or malformed file yields one finding, nothing else escapes.

Files are built on the fly by tests/hostile.py (also used by the end-to-end tests).
"""
from __future__ import annotations

import hashlib
import io
import random
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest

from scorecard.intake import safety, xmlscan
from scorecard.base.findings import CATALOGUE, ERROR, FileProblem
from scorecard.rules import Limits
from scorecard.intake.safety import SafeFile, open_safely
from tests import hostile

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LIFTED = Limits(max_ratio=1e9, max_uncompressed_mb=1000)   # only the headers' lie is left to catch


def refused(path: Path, limits: Limits = Limits()) -> FileProblem:
    with pytest.raises(FileProblem) as info:
        open_safely(path, limits)
    return info.value


def assert_finding(problem: FileProblem, key: str, path: Path) -> None:
    """The rule id, the catalogue variant (by its fixed opening words), and a Chinese message."""
    f = problem.finding
    assert f.rule == key.split("/")[0]
    assert f.severity == ERROR
    assert (f.file, f.sheet, f.cell) == (str(path), "", "")
    assert f.message.startswith(CATALOGUE[key][1].split("{")[0]), f.message
    assert CHINESE.search(f.message)
    assert "{" not in f.message


# --- files that pass ---------------------------------------------------------------------------


def test_valid_workbook_passes_with_formulas_and_row_counts(tmp_path):
    path = hostile.workbook(tmp_path / "办公室.xlsx", rows=3, formula=True)
    safe = open_safely(path, Limits())
    assert isinstance(safe, SafeFile)
    assert safe.path == path
    assert safe.data == path.read_bytes()
    assert safe.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert safe.has_formulas is True
    # 基本信息: 4 label rows; 自评表: header + 3 rows + 合计
    assert safe.sheet_rows == {"xl/worksheets/sheet1.xml": 4, "xl/worksheets/sheet2.xml": 5}
    wb = openpyxl.load_workbook(io.BytesIO(safe.data))
    assert wb.sheetnames == ["基本信息", "自评表"]


def test_workbook_without_formulas(tmp_path):
    safe = open_safely(hostile.workbook(tmp_path / "a.xlsm", formula=False), Limits())
    assert safe.has_formulas is False
    assert safe.sheet_rows["xl/worksheets/sheet2.xml"] == 4


def test_counts_are_exact_across_chunk_boundaries(tmp_path):
    """Rows and cells in a sheet that inflates to many 64 KiB chunks are each counted once."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for n in range(3000):
        ws.append([n, f"第{n}行", n * 1.5, None, "=A1"] + ["x"] * 5)
    path = tmp_path / "big.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    assert len(xml) > 4 * xmlscan.CHUNK
    cells = xml.count(b"<c ")
    safe = open_safely(path, Limits(max_cells=cells))
    assert safe.sheet_rows == {"xl/worksheets/sheet1.xml": 3000}
    assert safe.has_formulas
    assert_finding(refused(path, Limits(max_cells=cells - 1)), "file.too_large", path)


def test_namespace_prefixed_sheet_is_counted(tmp_path):
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{ns}"><x:sheetData>'
             + "".join(f'<x:row r="{n}"><x:c r="A{n}"><x:f>1+1</x:f></x:c></x:row>' for n in range(1, 8))
             + "</x:sheetData></x:worksheet>").encode()
    path = hostile._rewrite(tmp_path / "p.xlsx", {hostile.SHEET_XML: sheet})
    safe = open_safely(path, Limits())
    assert safe.sheet_rows["xl/worksheets/sheet1.xml"] == 7
    assert safe.has_formulas


def test_extension_formula_is_not_a_cell_formula(tmp_path):
    """<xm:f> in a data-validation extension (Excel writes it for lists on another sheet)."""
    ns, xm = "http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://schemas.microsoft.com/office/excel/2006/main"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}" xmlns:xm="{xm}"><sheetData>'
             '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><extLst><ext><xm:f>选项!$A$1:$A$3</xm:f>'
             "</ext></extLst></worksheet>").encode()
    path = hostile._rewrite(tmp_path / "v.xlsx", {hostile.SHEET_XML: sheet}, base=hostile.workbook_bytes(formula=False))
    safe = open_safely(path, Limits())
    assert safe.has_formulas is False
    assert safe.sheet_rows["xl/worksheets/sheet1.xml"] == 1


def test_utf16_sheet_is_counted(tmp_path):
    with zipfile.ZipFile(io.BytesIO(hostile.workbook_bytes())) as zf:
        xml = zf.read(hostile.SHEET_XML).decode("utf-8")
    assert xml.startswith("<worksheet")          # openpyxl writes no XML declaration
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + xml
    path = hostile._rewrite(tmp_path / "u.xlsx", {hostile.SHEET_XML: xml.encode("utf-16")})
    assert open_safely(path, Limits()).sheet_rows["xl/worksheets/sheet1.xml"] == 4


def test_honest_big_member_passes_when_limits_allow(tmp_path):
    """The bytes really inflated are counted, not refused on what the header declares."""
    path = hostile.zip_bomb(tmp_path / "big.xlsx", mib=20)
    safe = open_safely(path, LIFTED)
    assert safe.sheet_rows == {"xl/worksheets/sheet1.xml": 4, "xl/worksheets/sheet2.xml": 5}


# --- what each hostile file yields ------------------------------------------------------------

CASES = [
    ("empty", "file.unreadable", "文件为空（0 字节）"),
    ("random_bytes", "file.unreadable", "无法识别"),
    ("truncated", "file.unreadable", "损坏"),
    ("crc_mismatch", "file.unreadable", "校验"),
    ("csv_renamed", "file.unreadable", "CSV"),
    ("html_renamed", "file.unreadable", "网页（HTML）"),
    ("not_a_workbook_zip", "file.unreadable", "xl/workbook.xml"),
    ("ods_renamed", "file.unsupported_format", "“.ods”"),
    ("xlsb_renamed", "file.unsupported_format", "“.xlsb”"),
    ("legacy_xls", "file.unsupported_format", "旧版 Excel 97-2003"),
    ("encrypted_ole", "file.unreadable/encrypted", "密码"),
    ("zip_bomb", "file.unreadable/unsafe", "压缩炸弹"),
    ("lying_zip_bomb", "file.unreadable/unsafe", "压缩炸弹"),
    ("entity_bomb", "file.unreadable/unsafe", "DOCTYPE/ENTITY"),
    ("external_entity", "file.unreadable/unsafe", "xl/workbook.xml"),
    ("utf16_entity_bomb", "file.unreadable/unsafe", "DOCTYPE/ENTITY"),
    ("utf7_entity_bomb", "file.unreadable/unsafe", "UTF-7"),
    ("dotdot_member", "file.unreadable/unsafe", "../../evil.xml"),
    ("absolute_member", "file.unreadable/unsafe", "/etc/cron.d/evil"),
    ("duplicate_member", "file.unreadable/unsafe", "重名"),
    ("too_many_members", "file.unreadable/unsafe", "2000"),
    ("bzip2_member", "file.unreadable/unsafe", "bzip2"),
    ("too_many_rows", "file.too_large", "5,001 行，超过上限 5,000 行"),
]


@pytest.mark.parametrize("builder, key, words", CASES, ids=[c[0] for c in CASES])
def test_hostile_file_yields_one_finding(tmp_path, builder, key, words):
    path = getattr(hostile, builder)(tmp_path / "办公室.xlsx")
    problem = refused(path)
    assert_finding(problem, key, path)
    assert words in problem.finding.message


SENT_INSTEAD = [
    ('<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook '
     'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table/></Worksheet></Workbook>'.encode(),
     "Excel 2003 XML 表格"),
    ("指标编号\t自评得分\r\n1.1\t3.5\r\n".encode("utf-16"), "CSV 或文本文件"),   # Excel's "Unicode text"
    ("指标编号,自评得分\n1.1,3.5\n".encode("gbk"), "CSV 或文本文件"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF 文档"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG 图片"),
]


@pytest.mark.parametrize("data, kind", SENT_INSTEAD, ids=[k for _, k in SENT_INSTEAD])
def test_what_was_sent_instead_is_named(tmp_path, data, kind):
    path = tmp_path / "办公室.xlsx"
    path.write_bytes(data)
    problem = refused(path)
    assert_finding(problem, "file.unreadable", path)
    assert f"该文件实际是{kind}" in problem.finding.message


def test_word_document_renamed(tmp_path):
    path = tmp_path / "办公室.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    problem = refused(path)
    assert_finding(problem, "file.unreadable", path)
    assert "Word 文档" in problem.finding.message


def test_real_password_protected_workbook(tmp_path):
    pytest.importorskip("msoffcrypto")
    path = hostile.encrypted_workbook(tmp_path / "办公室.xlsx")
    assert path.read_bytes().startswith(safety.OLE_MAGIC)
    assert_finding(refused(path), "file.unreadable/encrypted", path)


def test_built_ole_files_are_real_compound_files(tmp_path):
    olefile = pytest.importorskip("olefile")
    with olefile.OleFileIO(str(hostile.legacy_xls(tmp_path / "a.xlsx"))) as ole:
        assert ole.listdir() == [["Workbook"]]
    with olefile.OleFileIO(str(hostile.encrypted_ole(tmp_path / "b.xlsx"))) as ole:
        assert sorted(ole.listdir()) == [["EncryptedPackage"], ["EncryptionInfo"]]


@pytest.mark.parametrize("ext", [".xls", ".et", ".ett", ".csv", ".ods", ".numbers", ".wps", ".xlsb",
                                 ".xltx", ".txt", ".XLS", ""])
def test_unsupported_extensions(tmp_path, ext):
    path = hostile.workbook(tmp_path / f"办公室{ext}")
    problem = refused(path)
    assert_finding(problem, "file.unsupported_format", path)
    assert f"“{ext.lower() or '无扩展名'}”" in problem.finding.message


def test_legacy_xls_named_xls_is_refused_by_extension(tmp_path):
    path = hostile.legacy_xls(tmp_path / "办公室.xls")
    problem = refused(path)
    assert_finding(problem, "file.unsupported_format", path)
    assert "旧版 Excel 97-2003" in problem.finding.message


def test_file_over_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = hostile.workbook(tmp_path / "a.xlsx")

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened although stat said it is too large")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    problem = refused(path, Limits(max_file_mb=0.001))
    assert_finding(problem, "file.too_large", path)
    assert "超过上限" in problem.finding.message


def test_row_and_cell_limits_name_the_counts(tmp_path):
    path = hostile.workbook(tmp_path / "a.xlsx", rows=20)
    problem = refused(path, Limits(max_rows=10))
    assert_finding(problem, "file.too_large", path)
    assert "22 行，超过上限 10 行" in problem.finding.message
    problem = refused(path, Limits(max_cells=30))
    assert_finding(problem, "file.too_large", path)
    assert "超过上限 30 个" in problem.finding.message


def test_bomb_whose_headers_lie_is_caught_on_what_it_inflates(tmp_path):
    """Headers say 1 KiB; zipfile would stop there. With ratio and total limits lifted, the
    stream still gives itself away by inflating to more than it declared."""
    path = hostile.lying_zip_bomb(tmp_path / "a.xlsx", mib=20)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/media/image1.png").file_size == 1024
    problem = refused(path, LIFTED)
    assert_finding(problem, "file.unreadable/unsafe", path)
    assert "声明的大小为 1024 字节" in problem.finding.message


def test_total_inflated_limit(tmp_path):
    path = hostile.zip_bomb(tmp_path / "a.xlsx", mib=20)
    problem = refused(path, Limits(max_ratio=1e9, max_uncompressed_mb=10))
    assert_finding(problem, "file.unreadable/unsafe", path)
    assert "10.0 MB 上限" in problem.finding.message


def test_doctype_straddling_a_chunk_boundary(tmp_path):
    head = b'<?xml version="1.0" encoding="UTF-8"?><!--'
    pad = b"x" * (xmlscan.CHUNK - len(head) - 3 - 4)
    xml = head + pad + b"-->" + b'<!DOCTYPE worksheet [<!ENTITY a "b">]><worksheet/>'
    assert xml.index(b"<!DOCTYPE") < xmlscan.CHUNK < xml.index(b"<!DOCTYPE") + 9
    path = hostile._rewrite(tmp_path / "a.xlsx", {hostile.SHEET_XML: xml})
    assert_finding(refused(path), "file.unreadable/unsafe", path)


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "gone.xlsx"
    assert_finding(refused(missing), "file.unreadable", missing)
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    assert_finding(refused(folder), "file.unreadable", folder)


def test_no_other_exception_escapes_for_damaged_bytes(tmp_path):
    """Seeded damage to a real workbook: every outcome is a SafeFile or a FileProblem."""
    rng = random.Random(20261231)
    original = hostile.workbook_bytes(rows=10)
    path = tmp_path / "x.xlsx"
    outcomes = set()
    for n in range(400):
        data = bytearray(original)
        if n % 4 == 0:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            open_safely(path, Limits())
            outcomes.add("ok")
        except FileProblem as problem:
            assert CHINESE.search(problem.finding.message)
            outcomes.add(problem.finding.rule)
    assert "file.unreadable" in outcomes


# --- memory stays bounded; openpyxl's own defences are on -------------------------------------

MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from scorecard.base.findings import FileProblem
    from scorecard.rules import Limits
    from scorecard.intake.safety import open_safely
    for name, limits in [("bomb", Limits()), ("liar", Limits()),
                         ("bomb", Limits(max_ratio=1e9, max_uncompressed_mb=1000))]:
        try:
            safe = open_safely(Path(sys.argv[1]) / (name + ".xlsx"), limits)
            print("ok", sum(safe.sheet_rows.values()))
        except FileProblem as problem:
            print(problem.finding.rule, problem.finding.message)
    # VmHWM is this process's own peak; ru_maxrss would carry over the parent's (pytest's) across exec.
    status = Path("/proc/self/status")
    hwm = [l for l in status.read_text().splitlines() if l.startswith("VmHWM")] if status.exists() else []
    print("peak", int(hwm[0].split()[1]) // 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


def test_zip_bomb_under_a_1_gib_address_space(tmp_path):
    """300 MiB of zeros (and the same behind lying headers) under RLIMIT_AS = 1 GiB: the gate
    refuses both, and even with its limits lifted inflates all 300 MiB in bounded memory."""
    hostile.zip_bomb(tmp_path / "bomb.xlsx")
    hostile.lying_zip_bomb(tmp_path / "liar.xlsx")
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("file.unreadable 文件结构异常") and "压缩炸弹" in lines[0]
    assert lines[1].startswith("file.unreadable 文件结构异常") and "压缩炸弹" in lines[1]
    assert lines[2] == "ok 9"
    assert int(lines[3].split()[1]) < 200      # peak resident MiB, with 300 MiB inflated


def test_openpyxl_uses_defusedxml(tmp_path):
    assert openpyxl.xml.DEFUSEDXML is True
    safety.require_defusedxml()
    # Second line of defence: handed the entity bomb directly, openpyxl refuses it too.
    with pytest.raises(ValueError):
        openpyxl.load_workbook(hostile.entity_bomb(tmp_path / "a.xlsx"))
