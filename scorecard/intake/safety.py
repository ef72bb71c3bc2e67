"""The gate every submitted file passes before any parser touches it.

`open_safely(path, limits)` reads the file once, works out what it really is whatever its name
says, and inflates every zip member as a stream, counting the bytes that really come out (never
the sizes the zip headers declare). A zip bomb, an XML entity trick, a password-protected or
renamed file, or a workbook too big to handle is refused with one finding before openpyxl sees
it. Parsers then get `io.BytesIO(safe.data)`, never the path, so the bytes checked are the bytes
parsed.

Memory stays bounded whatever the file claims: the file itself is capped by `max_file_mb` (checked
with stat before reading), members are inflated 64 KiB at a time and scanned chunk by chunk, and
only the two compression methods whose inflation zipfile bounds (stored, deflate) are accepted.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..base.findings import FileProblem, finding
from ..rules import Limits
from .xmlscan import _Scan, _problem, _size

READABLE = (".xlsx", ".xlsm")
# What the department sent, in words it recognises (shown after the extension in the message).
FORMAT_NAMES = {
    ".xls": "（旧版 Excel 97-2003 格式）",
    ".xlt": "（旧版 Excel 模板格式）",
    ".et": "（WPS 表格格式）",
    ".ett": "（WPS 表格模板格式）",
    ".csv": "（CSV 文本格式，没有工作表结构）",
    ".txt": "（文本格式）",
    ".ods": "（OpenDocument 表格格式）",
    ".numbers": "（苹果 Numbers 表格格式）",
    ".wps": "（WPS 文字文档）",
    ".doc": "（Word 文档）",
    ".docx": "（Word 文档）",
    ".pdf": "（PDF 文档）",
    ".xlsb": "（Excel 二进制工作簿格式）",
    ".xltx": "（Excel 模板格式）",
    ".xltm": "（Excel 模板格式）",
}


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")    # a zip with members / an empty zip
CENTRAL_SIG = b"PK\x01\x02"
# Excel and WPS only ever store or deflate. zipfile bounds deflate output per read; bzip2 and
# LZMA members it inflates without a limit, so a few KiB of them could exhaust memory.
SAFE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


# Magic numbers of things people attach instead of a workbook.
_MAGIC_KINDS = ((b"%PDF", "PDF 文档"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"),
                (b"GIF8", "GIF 图片"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
                (b"\x1f\x8b", "gzip 压缩包"), (b"{\\rtf", "RTF 文档"))
_HTML_MARKS = ("<html", "<!doctype html", "<table", "<head", "<body", "<meta")


@dataclass
class FileGone(FileProblem):
    """The file could not be opened or read to the end: removed, replaced, locked or unreadable
    on disk. Its finding is file.unreadable here; read_workbook, which knows the file was listed
    for reading, reports it as file.vanished with the same reason."""

    reason: str = ""


@dataclass(frozen=True)
class SafeFile:
    path: Path
    data: bytes = field(repr=False)   # the whole file, read once; parsers get io.BytesIO(data)
    sha256: str
    has_formulas: bool                # some worksheet XML contains an <f> element
    sheet_rows: dict[str, int]        # worksheet part name -> number of <row> elements seen
    # XML members as inflated by the scan (small ones, up to KEEP_TOTAL in all), so the reader
    # does not inflate them a second time: zip entry name -> bytes. read_workbook empties it.
    parts: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)


def open_safely(path: Path, limits: Limits) -> SafeFile:
    """Raises findings.FileProblem(finding(...)) when the file must not or cannot be parsed."""
    path = Path(path)
    _check_extension(path)
    data = _read_bounded(path, limits)
    try:
        return _inspect(path, data, limits)
    except FileProblem:
        raise
    except zipfile.BadZipFile as exc:
        crc = "CRC" in str(exc)
        reason = "文件数据校验失败，文件已损坏" if crc else "文件已损坏，压缩结构不完整或有错误"
        raise _problem(path, "file.unreadable/damaged", reason=reason) from exc
    except (EOFError, zlib.error) as exc:
        raise _problem(path, "file.unreadable/damaged", reason="文件不完整或已损坏，可能在传输或保存时被截断") from exc
    except Exception as exc:  # noqa: BLE001 - zipfile raises a wide, undocumented range on hostile bytes
        # Whatever the library tripped on, a file that breaks the zip reader is unreadable, not a crash.
        raise _problem(path, "file.unreadable/damaged", reason="文件已损坏，无法解析其结构") from exc


def require_defusedxml() -> None:
    """Fail loudly at start-up if openpyxl would parse XML without defusedxml (second line of defence)."""
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise RuntimeError("openpyxl is not using defusedxml; install defusedxml and unset OPENPYXL_DEFUSEDXML")


# --- before reading -------------------------------------------------------------------------


def _check_extension(path: Path) -> None:
    ext = path.suffix.lower()
    if ext in READABLE:
        return
    raise _problem(path, "file.unsupported_format", ext=ext or "无扩展名", detail=FORMAT_NAMES.get(ext, ""))


def _read_bounded(path: Path, limits: Limits) -> bytes:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise _problem(path, "file.unreadable", reason="这不是一个普通文件")
        if st.st_size > limits.max_file_bytes:
            raise _problem(path, "file.too_large",
                           reason=f"文件大小 {_size(st.st_size)}，超过上限 {_size(limits.max_file_bytes)}")
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)   # the file may have grown since stat
    except OSError as exc:                    # gone since it was listed, replaced, locked, or a disk error
        reason = _os_reason(exc)
        raise FileGone(finding("file.unreadable", file=str(path), reason=f"无法打开文件（{reason}）"),
                       reason=reason) from exc
    except ValueError as exc:                 # a NUL in the name
        raise _problem(path, "file.unreadable", reason="无法打开文件（文件名无效）") from exc
    if len(data) > limits.max_file_bytes:
        raise _problem(path, "file.too_large", reason=f"文件大小超过上限 {_size(limits.max_file_bytes)}")
    if not data:
        raise _problem(path, "file.unreadable", reason="文件为空（0 字节）")
    return data


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件已不存在，可能刚被删除、移动或改名"
    if isinstance(exc, PermissionError):
        return "没有读取权限，或文件正被其他程序占用"
    return exc.strerror or "读取错误"


# --- what the bytes really are --------------------------------------------------------------

def _inspect(path: Path, data: bytes, limits: Limits) -> SafeFile:
    if data.startswith(OLE_MAGIC):
        raise _ole_problem(path, data)
    if not data.startswith(ZIP_MAGICS):
        raise _problem(path, "file.unreadable", reason=_not_a_workbook(path, data))
    # Central-directory signatures bound the member count before zipfile builds one object per entry.
    if data.count(CENTRAL_SIG) > limits.max_members:
        raise _too_many_members(path, limits)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        _check_members(path, infos, limits)
        _check_package(path, zf, infos)
        scan = _Scan(path, limits, len(data))
        for info in infos:
            scan.member(zf, info)
    return SafeFile(path=path, data=data, sha256=hashlib.sha256(data).hexdigest(),
                    has_formulas=scan.formulas, sheet_rows=dict(scan.rows), parts=scan.kept)


def _ole_problem(path: Path, data: bytes) -> FileProblem:
    """An OLE compound file: an encrypted OOXML package, or an old binary Office file."""
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptionInfo") or has("EncryptedPackage"):
        return _problem(path, "file.unreadable/encrypted")
    if has("WordDocument"):
        return _problem(path, "file.unreadable", reason="该文件实际是旧版 Word 文档（.doc），不是 Excel 工作簿")
    if has("PowerPoint Document"):
        return _problem(path, "file.unreadable", reason="该文件实际是旧版 PowerPoint 演示文稿（.ppt），不是 Excel 工作簿")
    return _problem(path, "file.unsupported_format", ext=".xls",
                    detail=f"（该文件扩展名为“{path.suffix}”，但实际是旧版 Excel 97-2003 或 WPS 表格（.xls/.et）格式）")


def _not_a_workbook(path: Path, data: bytes) -> str:
    kind = _kind_of(data[:4096])
    if kind is None:
        return "文件内容无法识别，不是有效的 Excel 工作簿（可能已损坏）"
    return f"该文件实际是{kind}，只是扩展名为“{path.suffix}”，并不是真正的 Excel 工作簿"


def _kind_of(head: bytes) -> str | None:
    for magic, kind in _MAGIC_KINDS:
        if head.startswith(magic):
            return kind
    text = _as_text(head)
    if text is None:
        return None
    low = text.lstrip("\ufeff \t\r\n").lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in low:     # before HTML: it has <table> too
        return "Excel 2003 XML 表格"
    if any(mark in low for mark in _HTML_MARKS):
        return "网页（HTML）文件"
    if low.startswith("<?xml"):
        return "XML 文件"
    if low.startswith("mime-version:"):
        return "网页存档（.mht）文件"
    if any(sep in low for sep in (",", "\t", ";", "，")):
        return "CSV 或文本文件"
    return "文本文件"


def _as_text(head: bytes) -> str | None:
    """The start of the file as text, or None when it is binary."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            candidates = (codec,)
            head = head[len(bom):]
            break
    else:
        if b"\x00" in head:
            return None
        candidates = ("utf-8", "gb18030")
    for codec in candidates:
        try:
            text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        if controls <= len(text) // 100:
            return text
    return None


def _too_many_members(path: Path, limits: Limits) -> FileProblem:
    return _problem(path, "file.unreadable/unsafe",
                    reason=f"压缩包内的文件个数超过 {limits.max_members} 个，远多于正常工作簿")


def _check_members(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_members:
        raise _too_many_members(path, limits)
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
            raise _problem(path, "file.unreadable/unsafe", reason=f"压缩包内含有指向外部路径的成员“{name[:80]}”")
        key = name.replace("\\", "/").casefold()   # OPC part names are case-insensitive; "\\" is "/" to Excel
        if key in seen:
            raise _problem(path, "file.unreadable/unsafe", reason=f"压缩包内有重名成员“{name[:80]}”")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _problem(path, "file.unreadable", reason="压缩包内容设置了密码")
        if info.compress_type not in SAFE_METHODS:
            method = zipfile.compressor_names.get(info.compress_type)
            if method is None:       # not a method at all: a damaged header
                raise _problem(path, "file.unreadable/damaged", reason="文件已损坏，压缩结构有错误")
            raise _problem(path, "file.unreadable/unsafe",
                           reason=f"压缩包成员“{name[:80]}”使用了 Excel/WPS 不会使用的压缩方式（{method}）")


def _check_package(path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Another zipped format renamed, or a zip that is not an Excel package at all."""
    names = {info.filename.casefold(): info for info in infos}
    if "mimetype" in names:
        with zf.open(names["mimetype"]) as fh:
            mimetype = fh.read(200).decode("ascii", "replace").strip()
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            kind = mimetype.rsplit(".", 1)[-1]
            ext = {"spreadsheet": ".ods", "text": ".odt", "presentation": ".odp"}.get(kind, ".odf")
            raise _problem(path, "file.unsupported_format", ext=ext,
                           detail="（该文件实际是 OpenDocument 格式，只是扩展名被改成了“{}”）".format(path.suffix))
    if "xl/workbook.bin" in names:
        raise _problem(path, "file.unsupported_format", ext=".xlsb", detail=FORMAT_NAMES[".xlsb"])
    if "index/document.iwa" in names:
        raise _problem(path, "file.unsupported_format", ext=".numbers", detail=FORMAT_NAMES[".numbers"])
    if "word/document.xml" in names:
        raise _problem(path, "file.unreadable", reason="该文件实际是 Word 文档，不是 Excel 工作簿")
    if "ppt/presentation.xml" in names:
        raise _problem(path, "file.unreadable", reason="该文件实际是 PowerPoint 演示文稿，不是 Excel 工作簿")
    # Excel finds parts case-insensitively and some zip tools write "\\"; the reader rewrites such
    # names (package.py). The workbook part may sit elsewhere than xl/ when _rels/.rels says so.
    normal = {name.replace("\\", "/").lstrip("/"): info for name, info in names.items()}
    if "[content_types].xml" not in normal or not _has_workbook_part(zf, normal):
        raise _problem(path, "file.unreadable",
                       reason="压缩包中缺少 Excel 工作簿的必要部分（[Content_Types].xml 或 xl/workbook.xml），不是有效的 Excel 工作簿")


def _has_workbook_part(zf: zipfile.ZipFile, normal: dict[str, zipfile.ZipInfo]) -> bool:
    if "xl/workbook.xml" in normal:
        return True
    rels = normal.get("_rels/.rels")
    if rels is None or rels.file_size > 1 << 20:
        return False
    with zf.open(rels) as fh:
        body = fh.read(1 << 20)
    for rel in re.findall(rb"<(?:\w+:)?Relationship\b[^>]{0,1000}>", body):
        target = re.search(rb'Target="([^"]{1,200})"', rel)
        if target and re.search(rb'Type="[^"]*/officeDocument"', rel):
            name = target.group(1).decode("utf-8", "replace").replace("\\", "/").lstrip("/").casefold()
            return name in normal
    return False


# --- inflating and scanning -----------------------------------------------------------------
