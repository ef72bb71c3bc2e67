"""evidence.inspect (CONTRACT §13): each evidence file typed by its content, never by its name, and
hostile files refused quickly with a Chinese reason. Every file here is built by the test."""
from __future__ import annotations

import dataclasses
import io
import itertools
import random
import struct
import time
import zipfile
import zlib

import numpy as np
import pypdf
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

import hostile
from scorecard.evidence.inspect import KINDS, SIMILAR_BITS, Inspection, dhash, hamming, inspect

MISMATCH, UNREADABLE = "evidence.type_mismatch", "evidence.unreadable"


# --- builders -----------------------------------------------------------------------------------

def photo(seed: int, size=(800, 600)) -> Image.Image:
    """A synthetic photo (as in the SIMILAR_BITS study, scorecard/evidence/imagehash.py): sky and
    ground lit from a random side, vignetting, random buildings with windows and people, blur, noise."""
    rnd, (w, h) = random.Random(seed), size
    k = w / 1600
    horizon = int(h * rnd.uniform(0.35, 0.6))
    top = np.array([rnd.randint(90, 150), rnd.randint(140, 190), rnd.randint(200, 250)], float)
    ground = np.array([rnd.randint(80, 130), rnd.randint(90, 130), rnd.randint(60, 100)], float)
    y, x = np.linspace(0, 1, h)[:, None, None], np.linspace(0, 1, w)[None, :, None]
    light = 1 + 0.25 * rnd.uniform(-1, 1) * (x - 0.5)
    arr = np.where(np.arange(h)[:, None, None] < horizon, (top * (1 - 0.4 * y) + 40 * y) * light,
                   ground * (0.7 + 0.5 * y) * light)
    arr = arr * (1 - 0.25 * ((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.5)
    im = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(rnd.randint(6, 14)):
        x0, bw = rnd.randint(int(-100 * k), w - int(50 * k)), int(rnd.randint(60, 450) * k)
        y1, bh = rnd.randint(horizon - int(40 * k), h), int(rnd.randint(80, 600) * k)
        c = tuple(rnd.randint(40, 230) for _ in range(3))
        d.rectangle([x0, y1 - bh, x0 + bw, y1], fill=c)
        for _ in range(rnd.randint(0, 8)):
            wx, wy = rnd.randint(x0, x0 + bw), rnd.randint(y1 - bh, y1)
            d.rectangle([wx, wy, wx + 20 * k, wy + 30 * k], fill=tuple(max(0, v - 60) for v in c))
    for _ in range(rnd.randint(4, 12)):
        cx, cy, r = rnd.randint(0, w), rnd.randint(horizon - int(100 * k), h), int(rnd.randint(15, 120) * k)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(rnd.randint(20, 240) for _ in range(3)))
    im = im.filter(ImageFilter.GaussianBlur(1.2 * k))
    noise = np.random.default_rng(seed).normal(0, 6, (h, w, 3))
    return Image.fromarray((np.asarray(im, float) + noise).clip(0, 255).astype(np.uint8))


def save(im: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def exif(**tags) -> bytes:
    e = Image.Exif()
    if "original" in tags:
        e.get_ifd(0x8769)[36867] = tags["original"]
    if "datetime" in tags:
        e[306] = tags["datetime"]
    if "orientation" in tags:
        e[274] = tags["orientation"]
    return e.tobytes()


def pdf(pages: int = 3, **encrypt) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if encrypt:
        writer.encrypt(**encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(objects: dict[int, bytes], prev_self: bool = False) -> bytes:
    """A classic-xref PDF with exactly these objects (true offsets), whatever they say."""
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for n in sorted(objects):
        offsets[n] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (n, objects[n])
    start, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    prev = b" /Prev %d" % start if prev_self else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, prev, start)
    return bytes(out)


def objstm_pdf(groups: list[dict[int, bytes]], pad: int = 0) -> bytes:
    """A PDF 1.5 whose objects all sit in deflated object streams (as Word and most current writers
    save them), each stream padded with `pad` spaces, indexed by an xref stream."""
    out, where, offsets = bytearray(b"%PDF-1.5\n"), {}, {}
    number = max(n for g in groups for n in g) + 1
    for group in groups:
        body, index = b"", []
        for n, text in group.items():
            where[n] = (number, len(index))
            index.append(b"%d %d" % (n, len(body)))
            body += text + b" "
        header = b" ".join(index) + b" "
        packed = zlib.compress(header + body + b" " * pad)
        offsets[number] = len(out)
        out += (b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                % (number, len(group), len(header), len(packed)) + packed + b"\nendstream\nendobj\n")
        number += 1
    offsets[number] = len(out)
    rows = b"".join(struct.pack(">BIH", 2, *where[n]) if n in where else struct.pack(">BIH", 1, offsets[n], 0)
                    if n in offsets else struct.pack(">BIH", 0, 0, 65535) for n in range(number + 1))
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (number, number + 1, len(rows)) + rows + b"\nendstream\nendobj\n")
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % offsets[number])


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    import docx as python_docx
    document = python_docx.Document()
    document.add_paragraph("领导小组会议纪要")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["指标", "得分"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def ole(tmp_path, streams) -> bytes:
    return hostile.ole_file(tmp_path / "ole.bin", streams).read_bytes()


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free" + bytes(64)


def png_declaring(width: int, height: int) -> bytes:
    """A real 8x8 PNG whose IHDR (with a correct CRC) declares width x height."""
    data = bytearray(save(Image.new("RGB", (8, 8), (9, 9, 9)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def noisy(size=(400, 300)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(1).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


# --- what each file really is ---------------------------------------------------------------------

TYPED = {   # name -> (builder, type, kind)
    "照片.jpg": (lambda t: save(photo(1)), "jpg", "image"),
    "截图.png": (lambda t: save(noisy(), "PNG"), "png", "image"),
    "动图.gif": (lambda t: save(noisy(), "GIF"), "gif", "image"),
    "扫描.bmp": (lambda t: save(noisy(), "BMP"), "bmp", "image"),
    "扫描.tif": (lambda t: save(noisy(), "TIFF"), "tiff", "image"),
    "微信.webp": (lambda t: save(noisy(), "WEBP"), "webp", "image"),
    "苹果.heic": (lambda t: ftyp(b"heic", b"mif1", b"heic"), "heic", "image"),
    "苹果2.heic": (lambda t: ftyp(b"mif1", b"heic"), "heic", "image"),
    "方案.pdf": (lambda t: pdf(), "pdf", "document"),
    "纪要.docx": (lambda t: docx(), "docx", "document"),
    "台账.xlsx": (lambda t: xlsx(), "xlsx", "document"),
    "汇报.pptx": (lambda t: zipped({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p/>"}), "pptx",
                "document"),
    "发票.ofd": (lambda t: zipped({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<d/>"}), "ofd", "document"),
    "文稿.odt": (lambda t: zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"},
                                zipfile.ZIP_STORED), "odt", "document"),
    "旧文档.doc": (lambda t: ole(t, {"WordDocument": b"\xec\xa5"}), "doc", "document"),
    "旧表格.xls": (lambda t: ole(t, {"Workbook": b"\x09\x08"}), "xls", "document"),
    "旧演示.ppt": (lambda t: ole(t, {"PowerPoint Document": b"\x00"}), "ppt", "document"),
    "金山.wps": (lambda t: ole(t, {"WordDocument": b"\xec\xa5"}), "wps", "document"),
    "金山.et": (lambda t: ole(t, {"Workbook": b"\x09\x08"}), "et", "document"),
    "视频.mp4": (lambda t: ftyp(b"mp42", b"mp42", b"isom"), "mp4", "video"),
    "手机.mov": (lambda t: ftyp(b"qt  ", b"qt  "), "mov", "video"),
    "资料.zip": (lambda t: zipped({"说明.txt": "你好".encode()}), "zip", None),
    "说明.txt": (lambda t: "活动照片已上传，共 5 张。\n".encode("gb18030"), "txt", None),
    "资料.rar": (lambda t: b"Rar!\x1a\x07\x01\x00" + bytes(200), "rar", None),
    "数据.bin": (lambda t: random.Random(3).randbytes(4096), "unknown", None),
}


@pytest.mark.parametrize("name", TYPED)
def test_each_type_is_told_by_its_content(name, tmp_path):
    build, type_, kind = TYPED[name]
    found = inspect(name, build(tmp_path))
    assert (found.type, found.kind, found.problem, found.reason) == (type_, kind, None, "")
    assert found.kind is None or found.kind in KINDS


@pytest.mark.parametrize("name, data, type_", [
    ("照片.jpg", save(noisy(), "PNG"), "png"),            # same kind: fine, the real type is kept
    ("照片.png", save(noisy()), "jpg"),
    ("纪要.doc", None, "docx"),
    ("表格.doc", "xls-ole", "xls"),                         # an OLE workbook named .doc: still a document
    ("视频.mov", ftyp(b"isom", b"isom", b"avc1"), "mp4"),
])
def test_a_different_type_of_the_same_kind_is_no_problem(name, data, type_, tmp_path):
    data = docx() if data is None else ole(tmp_path, {"Workbook": b"\x09\x08"}) if data == "xls-ole" else data
    found = inspect(name, data)
    assert (found.type, found.problem) == (type_, None)


def test_a_file_named_for_another_family_is_a_mismatch():
    as_zip = inspect("方案.pdf", zipped({"a.txt": b"x"}))
    assert (as_zip.type, as_zip.kind, as_zip.problem) == ("zip", None, MISMATCH)
    assert as_zip.reason == "文件名为 .pdf，实际是 ZIP 压缩包，请发送真正的 PDF 文件"
    photo_as_pdf = inspect("方案.pdf", save(photo(2)))
    assert (photo_as_pdf.type, photo_as_pdf.kind, photo_as_pdf.problem) == ("jpg", "image", MISMATCH)
    assert "或把扩展名改为 .jpg" in photo_as_pdf.reason and photo_as_pdf.width == 800
    pdf_as_jpg = inspect("照片.jpg", pdf(2))
    assert (pdf_as_jpg.type, pdf_as_jpg.problem, pdf_as_jpg.pages) == ("pdf", MISMATCH, 2)
    plain_zip = inspect("纪要.docx", zipped({"word.txt": b"x"}))
    assert (plain_zip.type, plain_zip.problem) == ("zip", MISMATCH)
    video = inspect("照片.jpg", ftyp(b"mp42", b"isom"))
    assert (video.type, video.kind, video.problem) == ("mp4", "video", MISMATCH)
    renamed_pdf = inspect("资料.zip", pdf(1))
    assert renamed_pdf.problem == MISMATCH and "请把扩展名改为 .pdf" in renamed_pdf.reason


@pytest.mark.parametrize("name, data, problem", [
    ("方案.pdf", b"MZ\x90\x00\x03" + bytes(200), MISMATCH),
    ("照片.jpg", b"\x7fELF\x02\x01\x01" + bytes(200), MISMATCH),
    ("工具.exe", b"MZ\x90\x00\x03" + bytes(200), MISMATCH),
    ("setup", b"MZ\x90\x00\x03" + bytes(200), UNREADABLE),          # no extension: nothing claimed
    ("说明.txt", b"#!/bin/sh\nrm -rf ~\n", MISMATCH),
    ("运行.bat", b"@echo off\r\ndel /q *.*\r\n", MISMATCH),
])
def test_programs_and_scripts_never_count(name, data, problem):
    found = inspect(name, data)
    assert found.kind is None and found.problem == problem and found.type in ("exe", "script")
    assert "不能作为佐证材料" in found.reason


def test_empty_and_unrecognisable_files_are_unreadable():
    assert inspect("照片.jpg", b"") == Inspection(None, "unknown", UNREADABLE, "文件为空（0 字节），请重新发送完整的文件")
    junk = inspect("方案.pdf", random.Random(5).randbytes(2048))
    assert (junk.type, junk.problem) == ("unknown", UNREADABLE) and "不是有效的 PDF 文件" in junk.reason
    assert inspect("数据", random.Random(5).randbytes(2048)).problem is None      # an honest unknown


def test_inspection_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        inspect("a.txt", b"hello").kind = "document"


# --- images ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tags, taken_on", [
    ({"original": "2026:11:03 09:30:00"}, "2026-11-03"),
    ({"datetime": "2026:10:28 18:02:11"}, "2026-10-28"),
    ({"original": "2026:11:03 09:30:00", "datetime": "2026:12:01 08:00:00"}, "2026-11-03"),   # original wins
    ({"original": "0000:00:00 00:00:00"}, None),
    ({"original": "2026:13:45 99:00:00"}, None),
    ({"original": "拍摄于上周"}, None),
    ({}, None),
])
def test_exif_date(tags, taken_on):
    data = save(photo(3, (320, 240)), exif=exif(**tags)) if tags else save(photo(3, (320, 240)))
    found = inspect("照片.jpg", data)
    assert (found.taken_on, found.width, found.height, found.problem) == (taken_on, 320, 240, None)


def test_a_12_megapixel_photo_is_hashed_from_the_reduced_decode():
    im = photo(4).resize((4000, 3000), Image.Resampling.BICUBIC)
    found = inspect("照片.jpg", save(im, quality=90))
    assert (found.width, found.height) == (4000, 3000)            # the real size, not the 1/8 draft
    assert len(found.dhash) == 16 and hamming(found.dhash, dhash(im)) <= 3


def test_the_hash_is_of_the_photo_as_shown():
    upright = photo(5, (640, 480))
    stored = upright.transpose(Image.Transpose.ROTATE_90)          # as a sensor held sideways stores it
    shown = inspect("a.jpg", save(stored, exif=exif(orientation=6)))
    plain = inspect("b.jpg", save(upright))
    assert (shown.width, shown.height) == (480, 640)
    assert hamming(shown.dhash, plain.dhash) <= 3
    assert hamming(inspect("c.jpg", save(stored)).dhash, plain.dhash) > SIMILAR_BITS


@pytest.mark.parametrize("width, height, pixels", [(30000, 30000, "9.0 亿"), (12000, 10000, "1.2 亿"),
                                                   (20000, 20000, "4.0 亿")])
def test_a_decompression_bomb_is_refused_from_its_header(width, height, pixels, monkeypatch):
    from PIL import ImageFile
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: decoded.append(im.size))   # no pixel is decoded
    start = time.perf_counter()
    found = inspect("照片.png", png_declaring(width, height))
    assert time.perf_counter() - start < 1.0 and decoded == []
    assert (found.problem, found.type, found.width) == (UNREADABLE, "png", None)
    assert found.reason == f"图片像素过大（约 {pixels}像素），可能是恶意文件，请发送正常尺寸的照片"


def test_max_pixels_is_the_limit():
    data = save(noisy((200, 100)), "PNG")
    assert inspect("a.png", data, max_pixels=20_000).problem is None
    refused = inspect("a.png", data, max_pixels=19_999)
    assert refused.problem == UNREADABLE and "约 2 万像素" in refused.reason


@pytest.mark.parametrize("name, data", [("照片.jpg", save(noisy((1200, 900)), quality=90)),
                                        ("截图.png", save(noisy((600, 400)), "PNG"))])
def test_a_truncated_image_is_unreadable(name, data):
    assert inspect(name, data).problem is None
    found = inspect(name, data[: len(data) * 6 // 10])
    assert (found.problem, found.dhash) == (UNREADABLE, None)
    assert "截断" in found.reason and "请重新发送原始文件" in found.reason


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_pages_and_encryption():
    assert inspect("方案.pdf", pdf(3)).pages == 3
    locked = inspect("方案.pdf", pdf(2, user_password="pw"))
    assert (locked.problem, locked.pages) == (UNREADABLE, None)
    assert locked.reason == "PDF 文件已加密（设置了打开密码），请发送未加密的文件"
    restricted = inspect("方案.pdf", pdf(2, user_password="", owner_password="owner"))    # opens for everyone
    assert (restricted.problem, restricted.pages) == (None, 2)


def test_a_truncated_or_broken_pdf_is_unreadable():
    data = pdf(3)
    for broken in (data[: len(data) // 2], data[:-40], raw_pdf({2: b"<< /Type /Pages /Kids [] /Count 0 >>"})):
        found = inspect("方案.pdf", broken)
        assert (found.problem, found.pages) == (UNREADABLE, None), broken[-60:]


def _shared_tree(depth: int = 40) -> dict[int, bytes]:
    """Each /Pages node lists the next one twice: 2**40 paths to one page."""
    objects = {1: CATALOG, depth + 2: b"<< /Type /Page /MediaBox [0 0 1 1] >>"}
    objects.update({i: b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 1 >>" % (i + 1, i + 1)
                    for i in range(2, depth + 2)})
    return objects


LOOP = "PDF 页面树有循环或重复引用，文件已损坏，请重新导出后发送"


@pytest.mark.parametrize("objects, prev_self, pages, reason", [
    ({1: CATALOG, 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"}, False, None, LOOP),                 # kids: itself
    ({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] >>", 3: b"<< /Type /Pages /Kids [2 0 R] >>"}, False, None, LOOP),
    ({1: b"<< /Type /Catalog /Pages 1 0 R /Kids [1 0 R] >>"}, False, None, LOOP),                     # root loop
    ({1: CATALOG, 2: b"<< /Kids [2 0 R 2 0 R] >>"}, False, None, LOOP),                               # no /Type
    (_shared_tree(), False, None, LOOP),
    ({1: CATALOG, 2: b"<< /Type /Pages /Kids [" + b"[" * 5000 + b"]" * 5000 + b"] >>"}, False, None,
     "文件已损坏或不完整（PDF 结构错误），请重新导出或发送原始文件"),
    ({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: PAGE}, True, 1, ""),            # /Prev: itself
])
def test_a_pdf_made_to_loop_returns_at_once(objects, prev_self, pages, reason):
    start = time.perf_counter()
    found = inspect("方案.pdf", raw_pdf(objects, prev_self))
    assert time.perf_counter() - start < 0.5
    assert (found.pages, found.problem, found.reason) == (pages, UNREADABLE if reason else None, reason)


def test_object_streams_are_read_and_bounded(monkeypatch):
    import scorecard.evidence.inspect as module
    tree = [{1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>"}, {3: PAGE}, {4: PAGE}, {5: PAGE}]
    assert inspect("方案.pdf", objstm_pdf(tree)).pages == 3
    padded = objstm_pdf(tree, pad=256 << 10)                 # 4 streams, each decoding to 256 KiB
    assert len(padded) < 10_000 and inspect("方案.pdf", padded).pages == 3
    monkeypatch.setattr(module, "MAX_PDF_DECODED", 1 << 20)      # 4 x 256 KiB and the objects: just over
    spread = inspect("方案.pdf", padded)
    assert (spread.problem, spread.reason) == (UNREADABLE, "PDF 页面结构异常庞大，可能是恶意文件，请重新导出后发送")
    monkeypatch.setattr(module, "MAX_PDF_DECODED", 2 << 20)
    assert inspect("方案.pdf", padded).pages == 3
    monkeypatch.setattr(module, "MAX_PDF_STREAM", 200 << 10)      # one stream over the limit: pypdf refuses it
    assert (inspect("方案.pdf", padded).problem, pypdf.get_configuration().zlib_maximum_output_length) == \
        (UNREADABLE, 75_000_000)                                  # and the limit was for that call only


# --- zips -----------------------------------------------------------------------------------------

def _docx_members() -> list[hostile.RawMember]:
    with zipfile.ZipFile(io.BytesIO(docx())) as zf:
        return [hostile.RawMember(i.filename, hostile.raw_deflate(d), zlib.crc32(d), len(d))
                for i in zf.infolist() for d in [zf.read(i)]]


@pytest.mark.parametrize("declared, reason", [
    (300 << 20, "解压后的内容超过 200 MB，可能是恶意的“压缩炸弹”文件，请发送正常的文件"),   # counted as it inflates
    (1024, "文件已损坏或不完整（数据校验失败），请重新发送原始文件"),   # zipfile stops at the claimed 1 KiB
])
def test_a_zip_bomb_docx_is_refused(declared, reason, tmp_path):
    payload, crc = hostile.deflated_zeros(300)
    bomb = hostile.RawMember("word/media/image1.png", payload, crc, declared)
    data = hostile.write_zip(tmp_path / "x.docx", _docx_members() + [bomb]).read_bytes()
    assert len(data) < 1 << 20
    found = inspect("纪要.docx", data)
    assert (found.type, found.problem, found.reason) == ("docx", UNREADABLE, reason)


def test_max_uncompressed_is_the_limit():
    with zipfile.ZipFile(io.BytesIO(docx())) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    real = sum(len(d) for d in members.values())
    data = zipped({**members, "word/media/zeros.bin": bytes(5 << 20)})
    assert inspect("纪要.docx", data, max_uncompressed=real + (5 << 20)).problem is None
    assert inspect("纪要.docx", data, max_uncompressed=real + (5 << 20) - 1).problem == UNREADABLE


def _with_flag(data: bytes, bit: int) -> bytes:
    """Set a general-purpose flag bit in every local and central header."""
    out = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            out[i + at] |= bit
            i = out.find(sig, i + 4)
    return bytes(out)


@pytest.mark.parametrize("name, data, words", [
    ("资料.zip", zipped({"a.txt": b"x", "../../etc/passwd": b"root::0:0"}), "指向外部路径的成员“../../etc/passwd”"),
    ("纪要.docx", zipped({"[Content_Types].xml": CONTENT_TYPES, "/etc/cron.d/x": b"x"}), "指向外部路径"),
    ("资料.zip", _with_flag(zipped({"a.txt": b"secret"}), 0x1), "文件设置了密码（已加密）"),
    ("资料.zip", zipped({"a.txt": bytes(10_000)}, zipfile.ZIP_BZIP2), "不支持的压缩方式（bzip2）"),
    ("资料.zip", zipped({"a.txt": b"x", "A.TXT": b"y"}), "重名成员"),
    ("资料.zip", zipped({"a.txt": b"hello"})[:-30], "压缩结构错误"),
])
def test_hostile_zips_are_unreadable(name, data, words):
    found = inspect(name, data)
    assert found.problem == UNREADABLE and found.kind is None and words in found.reason, found.reason


def test_a_damaged_member_fails_its_crc(tmp_path):
    members = _docx_members()
    members[-1] = members[-1]._replace(crc=members[-1].crc ^ 0xFFFF)
    found = inspect("纪要.docx", hostile.write_zip(tmp_path / "x.docx", members).read_bytes())
    assert (found.problem, found.reason) == (UNREADABLE, "文件已损坏或不完整（数据校验失败），请重新发送原始文件")


def test_max_members_is_the_limit():
    data = zipped({f"{n}.txt": b"x" for n in range(10)})
    assert inspect("资料.zip", data, max_members=10).problem is None
    refused = inspect("资料.zip", data, max_members=9)
    assert refused.problem == UNREADABLE and "超过 9 个" in refused.reason


def test_a_password_protected_office_file_is_unreadable(tmp_path):
    data = hostile.encrypted_workbook(tmp_path / "x.xlsx").read_bytes()
    found = inspect("台账.xlsx", data)
    assert (found.problem, found.reason) == (UNREADABLE, "文件设置了打开密码（已加密），请取消密码后重新发送")


# --- dHash ----------------------------------------------------------------------------------------

def test_dhash_bits_and_hamming():
    rising = Image.linear_gradient("L").rotate(90).resize((90, 80))        # brighter to the right
    assert rising.getpixel((0, 40)) < rising.getpixel((89, 40))
    assert dhash(rising) == "0000000000000000"
    assert dhash(rising.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) == "ffffffffffffffff"
    assert dhash(rising.convert("RGBA")) == dhash(rising.convert("P")) == "0000000000000000"
    falling16 = Image.fromarray((np.tile(np.arange(90)[::-1], (80, 1)) * 700).astype(np.uint16))   # 0..62300
    assert inspect("扫描.png", save(falling16, "PNG")).dhash == "ffffffffffffffff"     # stretched, not clipped
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("00000000000000f0", "0000000000000010") == 3
    assert hamming("8000000000000001", "8000000000000001") == 0


def _copies(im: Image.Image) -> dict[str, Image.Image]:
    w, h = im.size

    def crop(total):                     # `total` % of width and height, half from each side
        dx, dy = round(w * total / 200), round(h * total / 200)
        return im.crop((dx, dy, w - dx, h - dy))

    return {"50%": im.resize((w // 2, h // 2), Image.Resampling.LANCZOS),
            "q60": Image.open(io.BytesIO(save(im, quality=60))),
            "crop 3%": crop(3), "crop 5%": crop(5),
            "brighter": ImageEnhance.Brightness(im).enhance(1.1)}


def test_similar_bits_separates_near_copies_from_other_scenes():
    scenes = [photo(seed) for seed in range(8)]
    hashes = [inspect("原图.jpg", save(im, quality=90)).dhash for im in scenes]
    near = {(seed, how): hamming(hashes[seed], inspect("副本.jpg", save(copy, quality=90)).dhash)
            for seed, im in enumerate(scenes) for how, copy in _copies(im).items()}
    apart = [hamming(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert max(near.values()) <= SIMILAR_BITS, near
    assert min(apart) > SIMILAR_BITS, sorted(apart)
    assert sum(d == 0 for d in near.values()) < len(near)       # the copies really are changed
