"""Builders for hostile and malformed submissions, shared by the safety and the end-to-end tests.

Every builder writes one file at `path` and returns that path; nothing here is a committed binary.
Large payloads are produced with streaming zlib (a zip bomb of 300 MiB of zeros takes ~300 KiB
and a fraction of a second to build) and written with a small hand-rolled zip writer so the
headers can say whatever a hostile sender wants them to say.

    from tests import hostile
    hostile.zip_bomb(tmp_path / "办公室.xlsx")
"""
from __future__ import annotations

import functools
import io
import random
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook

SHEET_XML = "xl/worksheets/sheet1.xml"

# --- ordinary workbooks to start from ---------------------------------------------------------


def workbook_bytes(rows: int = 3, formula: bool = True) -> bytes:
    """A small valid two-sheet workbook: 基本信息 (4 label rows) and 自评表 (header + `rows` rows,
    plus a 合计 row with a SUM formula when `formula`)."""
    wb = Workbook()
    info = wb.active
    info.title = "基本信息"
    for label, value in [("部门名称", "办公室"), ("填报人", "张三"), ("联系电话", "12345"), ("填报日期", "2026-12-01")]:
        info.append([label, value])
    table = wb.create_sheet("自评表")
    table.append(["指标编号", "测评指标", "分值", "自评得分"])
    for n in range(1, rows + 1):
        table.append([f"1.{n}", f"指标{n}", 4, 3.5])
    if formula:
        table.append(["合计", None, None, f"=SUM(D2:D{rows + 1})"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook(path: Path, rows: int = 3, formula: bool = True) -> Path:
    path.write_bytes(workbook_bytes(rows, formula))
    return path


def realistic_workbook(path: Path, indicators: int = 360) -> Path:
    """About 30 KB: the four standard sheets filled the way a department fills them (varied text,
    so shared strings do not shrink it)."""
    wb = Workbook()
    info = wb.active
    info.title = "基本信息"
    for label, value in [("部门名称", "办公室"), ("填报人", "张三"), ("联系电话", "0571-88888888"), ("填报日期", "2026-12-01")]:
        info.append([label, value])
    table = wb.create_sheet("自评表")
    table.append(["创建省级文明单位自评测评表"])
    table.append(["指标编号", "测评项目", "测评指标", "分值", "自评得分", "完成情况", "佐证材料",
                  "存在问题", "整改措施", "责任人", "完成时限"])
    for n in range(indicators):
        table.append([f"{n // 6 + 1}.{n % 6 + 1}", f"测评项目{n // 6 + 1}", f"创建领导机构健全第{n}项", 4, 3.5,
                      "推进中", f"2026年第{n}次会议纪要、工作台账", f"第{n}项部分台账不完整，材料归档不及时",
                      f"指定专人负责第{n}项，每月归档", f"责任人{n}", f"2026-12-{n % 28 + 1:02d}"])
    vetoes = wb.create_sheet("否决事项")
    vetoes.append(["编号", "事项", "是否发生", "说明"])
    for n in range(1, 6):
        vetoes.append([f"V{n}", f"否决事项{n}", "否", ""])
    bonus = wb.create_sheet("特色亮点")
    bonus.append(["特色项目", "申报加分", "说明", "佐证材料"])
    bonus.append(["志愿服务品牌", 2, "获市级表彰", "表彰文件"])
    bonus.append(["合计", "=SUM(B2:B2)", None, None])
    wb.save(path)
    return path


def too_many_rows(path: Path, rows: int = 5001) -> Path:
    """One sheet with `rows` rows (the default limit is 5,000 per sheet)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("自评表")
    for n in range(rows):
        ws.append([n])
    wb.save(path)
    return path


def _rewrite(path: Path, replace: dict[str, bytes] | None = None, add: list[tuple[str, bytes]] = (),
             base: bytes | None = None, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A copy of a valid workbook with some members replaced and others appended."""
    replace = replace or {}
    with zipfile.ZipFile(io.BytesIO(base or workbook_bytes())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst, warnings.catch_warnings():
        warnings.simplefilter("ignore")          # duplicate names are the point of some builders
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, data in add:
            dst.writestr(name, data, compress_type=compression)
    return path


# --- not a workbook at all --------------------------------------------------------------------


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes(path: Path, size: int = 64 * 1024, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def truncated(path: Path) -> Path:
    """A real workbook cut in half, as an interrupted upload or e-mail leaves it."""
    data = workbook_bytes(rows=40)
    path.write_bytes(data[: len(data) // 2])
    return path


def csv_renamed(path: Path) -> Path:
    path.write_bytes("指标编号,测评指标,自评得分\n1.1,创建领导机构健全,3.5\n1.2,制度健全,4\n".encode("utf-8-sig"))
    return path


def html_renamed(path: Path) -> Path:
    """What many web systems produce when they "export to Excel"."""
    path.write_bytes("""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><table><tr><td>指标编号</td><td>自评得分</td></tr><tr><td>1.1</td><td>3.5</td></tr></table></body></html>
""".encode("utf-8"))
    return path


def ods_renamed(path: Path) -> Path:
    """An OpenDocument spreadsheet (LibreOffice, some WPS exports) named .xlsx."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return path


def xlsb_renamed(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00" * 20)
    return path


def not_a_workbook_zip(path: Path) -> Path:
    """A zip (a folder of scans, say) named .xlsx."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("扫描件/1.txt", "佐证材料")
    return path


# --- OLE compound files: .xls and password-protected workbooks -------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole_file(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal, valid compound file (CFB v3, 512-byte sectors) holding up to three streams.

    Each stream is padded to 4 KiB so it lives in ordinary sectors and no mini stream is needed.
    """
    names = sorted(streams, key=lambda n: (len(n), n.upper()))   # CFB sibling order
    assert len(names) <= 3
    blobs = [streams[n].ljust(4096, b"\0") for n in names]
    fat, starts, sid = [_FATSECT, _END], [], 2                    # sector 0: FAT, sector 1: directory
    for blob in blobs:
        count = -(-len(blob) // 512)
        starts.append(sid)
        fat += [sid + i + 1 for i in range(count - 1)] + [_END]
        sid += count
    assert len(fat) <= 128
    fat += [_FREE] * (128 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack("<64sHBB3I16sI2QIQ", raw, len(raw), kind, 1, _NOSTREAM, right, child,
                           b"\0" * 16, 0, 0, 0, start, size)

    entries = [entry("Root Entry", 5, _NOSTREAM, 1 if names else _NOSTREAM, _END, 0)]
    for i, (name, blob) in enumerate(zip(names, blobs), 1):
        entries.append(entry(name, 2, i + 1 if i < len(names) else _NOSTREAM, _NOSTREAM, starts[i - 1], len(blob)))
    entries += [entry("", 0, _NOSTREAM, _NOSTREAM, 0, 0)] * (4 - len(entries))   # one 512-byte sector
    directory = b"".join(entries)
    header = struct.pack("<8s16s5H6s9I", OLE_MAGIC, b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
                         0, 1, 1, 0, 4096, _END, 0, _END, 0) + struct.pack("<109I", 0, *[_FREE] * 108)
    path.write_bytes(header + struct.pack("<128I", *fat) + directory + b"".join(
        blob.ljust(-(-len(blob) // 512) * 512, b"\0") for blob in blobs))
    return path


def legacy_xls(path: Path) -> Path:
    """An Excel 97-2003 / WPS .et file (a BIFF8 Workbook stream in a compound file), e.g. named .xlsx."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    return ole_file(path, {"Workbook": bof + eof})


def encrypted_ole(path: Path) -> Path:
    """The shape of a password-protected .xlsx without real cryptography: the two streams by name."""
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>')
    package = struct.pack("<Q", 8000) + random.Random(1).randbytes(8000)
    return ole_file(path, {"EncryptionInfo": info, "EncryptedPackage": package})


def encrypted_workbook(path: Path, password: str = "1234") -> Path:
    """A real password-protected workbook (ECMA-376 agile encryption, as Excel writes it).

    Needs msoffcrypto-tool (requirements-dev.txt); without it, falls back to `encrypted_ole`.
    """
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return encrypted_ole(path)
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(workbook_bytes())).encrypt(password, out)
    path.write_bytes(out.getvalue())
    return path


# --- zip tricks -------------------------------------------------------------------------------


class RawMember(NamedTuple):
    name: str
    payload: bytes          # already compressed as `method` says
    crc: int
    size: int               # uncompressed size the central directory declares
    method: int = zipfile.ZIP_DEFLATED
    local_size: int | None = None   # what the local header declares, when it should differ


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def workbook_members(base: bytes | None = None) -> list[RawMember]:
    with zipfile.ZipFile(io.BytesIO(base or workbook_bytes())) as zf:
        return [RawMember(i.filename, raw_deflate(d), zlib.crc32(d), len(d))
                for i in zf.infolist() for d in [zf.read(i)]]


def write_zip(path: Path, members: list[RawMember]) -> Path:
    """A zip whose headers say exactly what `members` say, true or not."""
    central = []
    with open(path, "wb") as out:
        for m in members:
            offset = out.tell()
            name = m.name.encode("utf-8")
            local_size = m.size if m.local_size is None else m.local_size
            out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0x800, m.method, 0, 0x21,
                                  m.crc, len(m.payload), local_size, len(name), 0))
            out.write(name)
            out.write(m.payload)
            central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0x800, m.method, 0, 0x21,
                                       m.crc, len(m.payload), m.size, len(name), 0, 0, 0, 0, 0, offset) + name)
        directory = b"".join(central)
        cd_offset = out.tell()
        out.write(directory)
        out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                              len(directory), cd_offset, 0))
    return path


@functools.lru_cache(maxsize=4)
def deflated_zeros(mib: int) -> tuple[bytes, int]:
    """`mib` MiB of zeros as one raw deflate stream, and their CRC-32, without holding the zeros.

    After a full flush deflate starts afresh, so the output for one 1 MiB block of zeros is a
    self-contained unit that can be repeated: ~1 KiB per MiB.
    """
    block = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    payload = unit * mib + c.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return payload, crc


def zip_bomb(path: Path, mib: int = 300, declared_size: int | None = None,
             member: str = "xl/media/image1.png") -> Path:
    """An otherwise valid workbook with one member that inflates to `mib` MiB of zeros.

    `declared_size` makes both the local header and the central directory lie about the
    uncompressed size (a checker that trusts them sees a harmless member).
    """
    payload, crc = deflated_zeros(mib)
    size = mib << 20 if declared_size is None else declared_size
    return write_zip(path, workbook_members() + [RawMember(member, payload, crc, size)])


def lying_zip_bomb(path: Path, mib: int = 300) -> Path:
    """A zip bomb whose headers claim the member is 1 KiB."""
    return zip_bomb(path, mib, declared_size=1024)


def crc_mismatch(path: Path) -> Path:
    """A member whose bytes do not match its CRC (a file damaged in transit)."""
    members = workbook_members()
    m = members[-1]
    members[-1] = m._replace(crc=m.crc ^ 0xFFFF)
    return write_zip(path, members)


def dotdot_member(path: Path) -> Path:
    return _rewrite(path, add=[("../../evil.xml", b"<x/>")])


def absolute_member(path: Path) -> Path:
    return _rewrite(path, add=[("/etc/cron.d/evil", b"* * * * * root true\n")])


def duplicate_member(path: Path) -> Path:
    return _rewrite(path, add=[(SHEET_XML, b"<worksheet/>")])


def too_many_members(path: Path, count: int = 2001) -> Path:
    return _rewrite(path, add=[(f"xl/media/pad{n}.bin", b"") for n in range(count)])


def bzip2_member(path: Path) -> Path:
    """bzip2 inflates without an output limit in zipfile: a few KiB could become gigabytes."""
    return _rewrite(path, add=[("xl/media/image1.png", bytes(100_000))], compression=zipfile.ZIP_BZIP2)


# --- XML entity tricks ------------------------------------------------------------------------

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def billion_laughs_xml(encoding: str = "UTF-8") -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return (f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n'
            f'<!DOCTYPE worksheet [{"".join(entities)}]>\n'
            f'<worksheet xmlns="{_SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
            f'<is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def entity_bomb(path: Path) -> Path:
    """Billion laughs in the first worksheet of an otherwise valid workbook."""
    return _rewrite(path, {SHEET_XML: billion_laughs_xml().encode("utf-8")})


def external_entity(path: Path) -> Path:
    """An external entity (XXE) reading /etc/passwd, in xl/workbook.xml."""
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as zf:
        original = zf.read("xl/workbook.xml")
    doctype = b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return _rewrite(path, {"xl/workbook.xml": original.replace(b"<workbook", doctype + b"<workbook", 1)})


def utf16_entity_bomb(path: Path) -> Path:
    """Billion laughs in a UTF-16 part: invisible to a byte search for b"<!DOCTYPE"."""
    return _rewrite(path, {SHEET_XML: billion_laughs_xml("UTF-16").encode("utf-16")})


def utf7_entity_bomb(path: Path) -> Path:
    """Billion laughs behind a UTF-7 declaration (where "<" is spelt "+ADw-")."""
    body = billion_laughs_xml().split("\n", 1)[1]
    xml = b'<?xml version="1.0" encoding="UTF-7"?>\n' + body.encode("utf-7").replace(b"<", b"+ADw-")
    return _rewrite(path, {SHEET_XML: xml})
