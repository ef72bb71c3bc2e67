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
import copy
import hashlib
import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .findings import FileProblem, finding
from .rules import Limits

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

CHUNK = 64 * 1024
RATIO_FLOOR = 1024 * 1024      # the ratio test applies once a member has inflated this much
OVERLAP = 64                   # longer than any tag we look for, namespace prefix included
UNBOUNDED = 1 << 62
KEEP_PART = 4 * 1024 * 1024    # an XML member up to this size is handed to the reader inflated
KEEP_TOTAL = 16 * 1024 * 1024  # and no more than this in all

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")    # a zip with members / an empty zip
CENTRAL_SIG = b"PK\x01\x02"
# Excel and WPS only ever store or deflate. zipfile bounds deflate output per read; bzip2 and
# LZMA members it inflates without a limit, so a few KiB of them could exhaust memory.
SAFE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
XML_SUFFIXES = (".xml", ".rels", ".vml")
WORKSHEET_NAME = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
WORKSHEET_ROOTS = {b"worksheet"}

_PREFIX = rb"(?:[A-Za-z_][\w.\-]{0,30}:)?"
_TAG = re.compile(rb"<(row|c|f)[\s/>]")                        # <row ...>, <c ...>, <f>
_ROOT = re.compile(rb"<(?![?!/])" + _PREFIX + rb"([A-Za-z_][\w.\-]*)")
# A sheet may bind SpreadsheetML to a prefix (<x:row>); only such prefixes are rows to a parser
# (<xm:f> in a data-validation extension is not a formula).
_BINDING = re.compile(rb"""xmlns:([A-Za-z_][\w.\-]{0,30})\s*=\s*["'](?:http://schemas\.openxmlformats\.org/"""
                      rb"""spreadsheetml/2006/main|http://purl\.oclc\.org/ooxml/spreadsheetml/main)["']""")
BINDING_TAIL = 160             # longer than any binding we look for
# Excel's own limit on a cell's text. A longer one is refused while the XML streams, before any
# reader builds the string (six 3.5-million-character cells took a reader past 1 GB).
MAX_CELL_CHARS = 32767
# Where one cell's text ends and the next begins: a shared string (<si>) or a sheet's cell (<c>).
_CELL_EDGE = re.compile(rb"</?" + _PREFIX + rb"(?:si|c|row)[\s/>]")
EDGE_WINDOW = (MAX_CELL_CHARS + 1) // 2        # two windows without an edge are needed for a long cell
_MARKUP = re.compile(rb"<[^>]*>")
_ESCAPE = re.compile(rb"&#?[A-Za-z0-9]{1,10};|_x[0-9A-Fa-f]{4}_")     # one character each
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}[0-9]{1,7})["']""")
MAX_PREFIXES = 8
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"'>]{1,40})["']""")
# Encodings an XML part may use; anything else (UTF-7, Python's zlib/base64 "codecs") is refused.
XML_CODECS = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
              "ascii", "latin-1", "iso8859-1", "cp1252", "gbk", "gb2312", "gb18030", "big5"}
_SNIFF = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
          (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
          (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))

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

def _problem(path: Path, rule: str, **params) -> FileProblem:
    return FileProblem(finding(rule, file=str(path), **params))


def _check_extension(path: Path) -> None:
    ext = path.suffix.lower()
    if ext in READABLE:
        return
    raise _problem(path, "file.unsupported_format", ext=ext or "无扩展名", detail=FORMAT_NAMES.get(ext, ""))


def _size(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} 字节"


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

class _Scan:
    """Running totals over the whole archive, fed one member at a time."""

    def __init__(self, path: Path, limits: Limits, size: int):
        self.path = path
        self.limits = limits
        self.size = size
        self.total = 0
        self.cells = 0
        self.formulas = False
        self.rows: dict[str, int] = {}
        self.kept: dict[str, bytes] = {}
        self.kept_bytes = 0

    def unsafe(self, reason: str) -> FileProblem:
        return _problem(self.path, "file.unreadable/unsafe", reason=reason)

    def member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        # zipfile stops at the size the central directory declares; lift it so the stream itself
        # decides how much comes out. A header that understates a bomb then hides nothing, and the
        # CRC is checked over what the stream really holds.
        lifted = copy.copy(info)
        lifted.file_size = UNBOUNDED
        limits = self.limits
        # compress_size is declared too; the file's own size caps what it can honestly claim.
        ratio_base = max(min(info.compress_size, self.size), 1) * limits.max_ratio
        produced = 0
        part = None
        keep = [] if info.file_size <= KEEP_PART and self.kept_bytes + info.file_size <= KEEP_TOTAL else None
        with zf.open(lifted) as fh:
            while chunk := fh.read(CHUNK):
                if not produced:
                    part = _XmlPart.start(self, info.filename, chunk)
                produced += len(chunk)
                self.total += len(chunk)
                if self.total > limits.max_uncompressed_bytes:
                    raise self.unsafe(f"解压后的内容超过 {_size(limits.max_uncompressed_bytes)} 上限"
                                      f"（文件本身只有 {_size(self.size)}），疑似“压缩炸弹”")
                if produced > RATIO_FLOOR and produced > ratio_base:
                    raise self.unsafe(f"压缩包成员“{info.filename[:80]}”压缩后仅 {_size(info.compress_size)}，"
                                      f"解压已超过 {_size(produced)}（压缩比超过 {limits.max_ratio:g} 倍），疑似“压缩炸弹”")
                if part is not None:
                    part.feed(chunk)
                    if keep is not None:
                        keep = keep if produced <= KEEP_PART else None     # headers may understate
                        if keep is not None:
                            keep.append(chunk)
            if part is not None:
                part.feed(b"", final=True)
        if produced > info.file_size:
            raise self.unsafe(f"压缩包成员“{info.filename[:80]}”声明的大小为 {info.file_size} 字节，"
                              f"实际解压得到 {produced} 字节，文件头信息与内容不符")
        if keep is not None and part is not None:
            self.kept[info.filename] = b"".join(keep)
            self.kept_bytes += produced
        if part is not None and part.sheet:
            rows = self.rows[info.filename]
            if rows > limits.max_rows:
                raise _problem(self.path, "file.too_large",
                               reason=f"有一个工作表含 {rows:,} 行，超过上限 {limits.max_rows:,} 行"
                                      "（常见原因是整列设置了格式或粘贴了大量空行）")
            if self.cells > limits.max_cells:
                raise _problem(self.path, "file.too_large",
                               reason=f"工作簿的单元格已达 {self.cells:,} 个，超过上限 {limits.max_cells:,} 个")


class _XmlPart:
    """One XML member scanned as it inflates; the tail of each chunk is kept so no tag is split."""

    def __init__(self, scan: _Scan, name: str, codec: str, sheet: bool):
        self.scan = scan
        self.name = name
        self.decoder = None if codec == "utf-8" else codecs.getincrementaldecoder(codec)(errors="replace")
        self.sheet = sheet
        self.first = True
        self.carry = b""
        self.tail = b""                      # end of the previous region, for bindings split by a cut
        self.prefixes: set[bytes] = set()
        self.prefixed: re.Pattern | None = None
        self.cells = self.sheet             # a part whose text is cells' text (sheets, shared strings)
        self.run = 0                        # bytes since the last cell edge
        self.held: list[bytes] = []         # those bytes, while there are few of them
        self.exact: int | None = None       # characters, counted once the bytes exceed the limit
        self.after_edge = b""               # the last EDGE_WINDOW bytes of a region taken the fast way
        self.from_edge = False

    @classmethod
    def start(cls, scan: _Scan, name: str, head: bytes) -> _XmlPart | None:
        codec = _xml_codec(scan, name, head)
        if codec is None:
            return None
        return cls(scan, name, codec, bool(WORKSHEET_NAME.fullmatch(name)))

    def feed(self, chunk: bytes, final: bool = False) -> None:
        text = chunk if self.decoder is None else self.decoder.decode(chunk, final).encode("utf-8")
        buf = self.carry + text if self.carry else text
        if self.first:
            self.first = False
            root = _ROOT.search(buf)
            self.sheet = self.sheet or bool(root and root.group(1) in WORKSHEET_ROOTS)
            if self.sheet:
                self.scan.rows.setdefault(self.name, 0)
            self.cells = self.sheet or bool(root and root.group(1) == b"sst")
        cut = len(buf)
        if not final:
            cut = buf.rfind(b"<", max(0, len(buf) - OVERLAP))
            if cut < 0:
                cut = len(buf)
        self.carry = buf[cut:]
        self._region(buf[:cut] if cut < len(buf) else buf)

    def _region(self, region: bytes) -> None:
        if b"!" in region and _DECLARATION.search(region):     # "!" alone: memchr-fast, rare in XML
            raise self.scan.unsafe(f"“{self.name[:80]}”中含有 DOCTYPE/ENTITY 声明（XML 实体扩展或外部实体攻击手法）")
        if self.cells:
            self._lengths(region)
        if not self.sheet:
            return
        window = self.tail + region
        if b"spreadsheetml" in window:      # a long needle is the fast test
            self._bind(_BINDING.findall(window))
        self.tail = region[-BINDING_TAIL:]
        tags = _TAG.findall(region)
        if self.prefixed is not None:
            tags += self.prefixed.findall(region)
        if tags:
            self.scan.rows[self.name] += tags.count(b"row")
            self.scan.cells += tags.count(b"c")
            if not self.scan.formulas and b"f" in tags:
                self.scan.formulas = True

    def _lengths(self, region: bytes) -> None:
        """cell.too_long: the text between two cell edges, counted exactly only where there are
        more bytes than the limit has characters (a character is at least one byte).

        Fast path: when every EDGE_WINDOW bytes of the region (and its last EDGE_WINDOW) hold an
        edge, no stretch between edges can reach 2 x EDGE_WINDOW > the limit, so nothing is counted:
        a few searches per region instead of a look at every cell. The region's tail is kept, so
        the next region, if it is not so simple, is counted from an edge inside that tail."""
        n = len(region)
        if n >= EDGE_WINDOW and _CELL_EDGE.search(region, n - EDGE_WINDOW, n) and all(
                _CELL_EDGE.search(region, a, min(a + EDGE_WINDOW, n)) for a in range(0, n, EDGE_WINDOW)):
            if self.run or self.exact is not None:          # a long run counted exactly ends here
                self._grow(region[:_CELL_EDGE.search(region).start()])
            self._close()
            self.after_edge = region[-EDGE_WINDOW:]
            return
        if self.after_edge:
            region, self.after_edge = self.after_edge + region, b""
            self._close()
        pieces = _CELL_EDGE.split(region)       # in C: no Python loop over the cells
        if len(pieces) == 1:
            self._grow(region)
            return
        if pieces[0]:
            self._grow(pieces[0])
        self._close()
        if len(pieces) > 2 and max(map(len, pieces[1:-1])) > MAX_CELL_CHARS:
            for piece in pieces[1:-1]:
                if len(piece) > MAX_CELL_CHARS:
                    self._grow(piece)
                    self._close()
        self._grow(pieces[-1])

    def _grow(self, segment: bytes) -> None:
        if self.exact is None:
            self.run += len(segment)
            self.held.append(segment)
            if self.run <= MAX_CELL_CHARS:
                return
            segment, self.exact = b"".join(self.held), 0
            self.held = [segment[:200]]     # for the cell reference
            close, open_ = segment.find(b">"), segment.find(b"<")
            if self.from_edge and close >= 0 and (open_ < 0 or close < open_):
                segment = segment[close + 1:]     # the rest of the edge's own tag (r="H5" t="s">)
            self.decode = codecs.getincrementaldecoder("utf-8")("ignore").decode    # a character split by a cut
            self.pending = b""
        segment = self.pending + segment
        escape = max(segment.rfind(b"&", len(segment) - 12), segment.rfind(b"_x", len(segment) - 7))
        if escape >= 0 and b";" not in segment[escape:] and not segment.endswith(b"_"):
            segment, self.pending = segment[:escape], segment[escape:]      # an escape split by a cut
        else:
            self.pending = b""
        text = _MARKUP.sub(b"", segment)
        self.exact += len(self.decode(text)) - sum(len(e) - 1 for e in _ESCAPE.findall(text))
        if self.exact > MAX_CELL_CHARS:
            ref = _CELL_REF.search(self.held[0][:200]) if self.sheet and self.held else None
            where = f"（单元格 {ref.group(1).decode()}）" if ref else ""
            raise _problem(self.scan.path, "cell.too_long", count=f"{MAX_CELL_CHARS:,}", where=where)

    def _close(self) -> None:
        self.run, self.held, self.exact = 0, [], None
        self.from_edge = True               # the next run starts inside the edge's tag

    def _bind(self, prefixes: list[bytes]) -> None:
        if not prefixes or self.prefixes.issuperset(prefixes):
            return
        self.prefixes.update(prefixes)
        if len(self.prefixes) > MAX_PREFIXES:
            raise self.scan.unsafe(f"“{self.name[:80]}”中的命名空间声明异常（{len(self.prefixes)} 个前缀指向同一命名空间）")
        names = b"|".join(re.escape(p) for p in sorted(self.prefixes))
        self.prefixed = re.compile(rb"<(?:" + names + rb"):(row|c|f)[\s/>]")


def _xml_codec(scan: _Scan, name: str, head: bytes) -> str | None:
    """How to read a member for scanning: a codec name, or None when it is not XML (an image, say)."""
    for prefix, codec in _SNIFF:
        if head.startswith(prefix):
            return codec
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not (body.lstrip()[:1] == b"<" or name.lower().endswith(XML_SUFFIXES)):
        return None
    declared = _ENCODING.match(head)
    if not declared:
        return "utf-8"
    label = declared.group(1).decode("ascii", "replace")
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        codec = ""
    if codec not in XML_CODECS:
        raise scan.unsafe(f"“{name[:80]}”声明了不常见的字符编码“{label[:40]}”")
    return codec
