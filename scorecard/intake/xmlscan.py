"""Inflating a zip member as a stream and scanning its XML (for the safety gate): bytes counted as they\ncome out, the ratio test, entity and DOCTYPE tricks, sheet extents, and cells over Excel's limit.\n"""
from __future__ import annotations

import codecs
import copy
import re
import zipfile
from pathlib import Path

from ..base.findings import FileProblem, finding
from ..rules import Limits


CHUNK = 64 * 1024


RATIO_FLOOR = 1024 * 1024      # the ratio test applies once a member has inflated this much


OVERLAP = 64                   # longer than any tag we look for, namespace prefix included


UNBOUNDED = 1 << 62


KEEP_PART = 4 * 1024 * 1024    # an XML member up to this size is handed to the reader inflated


KEEP_TOTAL = 16 * 1024 * 1024  # and no more than this in all


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


def _problem(path: Path, rule: str, **params) -> FileProblem:
    return FileProblem(finding(rule, file=str(path), **params))


def _size(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} 字节"


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
