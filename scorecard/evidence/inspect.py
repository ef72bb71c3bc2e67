"""What one evidence file (佐证材料) really is: typed by its content, never by its name, and read
safely (CONTRACT §13).

`inspect(name, data)` looks at the bytes: magic numbers and structure first (JPEG, PNG, GIF, BMP,
TIFF, WebP, the ISO `ftyp` box of HEIC/MP4/MOV, PDF, zip packages told apart by their parts, OLE2
compound files, executables), puremagic for the long tail (RAR, 7z, audio ...), then plain text.
The extension only says what the sender claims: a claim of another family (a ".pdf" that is a zip)
is `evidence.type_mismatch`; a difference inside one kind (a ".jpg" that is a PNG, a ".doc" that
is a docx) is fine and `type` keeps the real one. Executables and scripts never count.

Hostile files cost bounded time and memory and get a Chinese reason (`evidence.unreadable`):
- images: the size declared in the header is checked against `max_pixels` before any pixel is
  decoded (Pillow's own bomb check is kept, its warning silenced as ours is stricter); a JPEG is
  decoded at 1/8 scale (libjpeg's DCT scaling) and its dHash computed from that; truncated data
  is an error, ImageFile.LOAD_TRUNCATED_IMAGES stays off. HEIC/HEIF/AVIF are typed by their brand
  and not decoded (no width, height or hash).
- PDF: pypdf with strict=False, each stream decoding to at most MAX_PDF_STREAM (a context-local
  pypdf configuration); an encrypted file that does not open with the empty password is refused;
  pages are counted by our own walk of the page tree (explicit stack, each /Pages node visited
  once, at most MAX_PDF_NODES steps and MAX_PDF_DECODED bytes of object streams), so a /Kids loop
  or an exponential shared tree ends at once (pypdf's own flattening takes ~1 s on the latter);
  pypdf itself stops circular /Prev chains, and deep nesting ends in an error, not a hang.
- zips (docx/xlsx/pptx/ofd/odt and plain zip): the zip-bomb gate of intake/safety.py again: the
  member count (from central-directory signatures, before zipfile builds its list), absolute or
  ".." names, duplicate names, the password flag, stored/deflate only, and every member inflated
  64 KiB at a time counting the bytes that really come out, never the sizes the headers claim.
Only the exception classes the libraries raise on bad bytes are mapped; anything else is a bug
and propagates.
"""
from __future__ import annotations

import codecs
import io
import logging
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field

from .imagehash import IMAGE_ERRORS as _IMAGE_ERRORS, SIMILAR_BITS, dhash, exif_facts, hamming

__all__ = ["KINDS", "Inspection", "inspect", "dhash", "hamming", "SIMILAR_BITS"]

logger = logging.getLogger(__name__)

KINDS = ("image", "document", "video")
MISMATCH = "evidence.type_mismatch"
UNREADABLE = "evidence.unreadable"
CHUNK = 64 * 1024
MAX_PDF_NODES = 100_000          # page-tree steps; far above any real document's pages
MAX_PDF_STREAM = 8 << 20         # bytes one PDF stream may decode to (pypdf's default: 75 MB)
MAX_PDF_DECODED = 64 << 20       # bytes all object streams holding the page tree may decode to
# (pypdf reads whitespace a byte at a time, ~10 MB/s: a decoded stream costs time as well as memory)

IMAGES = {"jpg", "png", "gif", "bmp", "tiff", "webp", "heic", "heif", "avif"}
DOCUMENTS = {"pdf", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "wps", "et", "dps", "ofd", "odt", "ods",
             "odp", "rtf"}
VIDEOS = {"mp4", "mov", "m4v", "3gp", "avi", "wmv", "mkv", "webm", "flv", "mpg"}
ARCHIVES = {"zip", "rar", "7z", "gz", "bz2", "xz", "tar"}
PROGRAMS = {"exe", "script"}
_PIL_FORMATS = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "tiff": "TIFF", "webp": "WEBP"}
_OLE_TYPES = {"doc", "xls", "ppt", "wps", "et", "dps"}
_WPS = {"doc": "wps", "xls": "et", "ppt": "dps"}

# An extension -> the type it claims, when the two names differ; every type above claims itself.
_EXT_TYPES = {
    "jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tif": "tiff", "docm": "docx", "dotx": "docx", "dotm": "docx",
    "xlsm": "xlsx", "xltx": "xlsx", "xltm": "xlsx", "pptm": "pptx", "ppsx": "pptx", "potx": "pptx",
    "dot": "doc", "xlt": "xls", "pps": "ppt", "pot": "ppt", "wpt": "wps", "ett": "et", "dpt": "dps",
    "qt": "mov", "mpeg": "mpg", "tgz": "gz", "csv": "txt", "log": "txt", "md": "txt",
    **dict.fromkeys(("dll", "com", "scr", "msi", "cpl", "sys"), "exe"),
    **dict.fromkeys(("bat", "cmd", "ps1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "sh", "py"), "script"),
}
_KNOWN = IMAGES | DOCUMENTS | VIDEOS | ARCHIVES | PROGRAMS | {"txt"}

TYPE_NAMES = {
    "jpg": "JPEG 图片", "png": "PNG 图片", "gif": "GIF 图片", "bmp": "BMP 图片", "tiff": "TIFF 图片",
    "webp": "WebP 图片", "heic": "HEIC 图片（苹果手机照片）", "heif": "HEIF 图片", "avif": "AVIF 图片",
    "pdf": "PDF 文件", "docx": "Word 文档（.docx）", "xlsx": "Excel 表格（.xlsx）", "pptx": "PowerPoint 演示文稿（.pptx）",
    "doc": "旧版 Word 文档（.doc）", "xls": "旧版 Excel 表格（.xls）", "ppt": "旧版 PowerPoint 演示文稿（.ppt）",
    "wps": "WPS 文字文档（.wps）", "et": "WPS 表格（.et）", "dps": "WPS 演示文稿（.dps）", "ofd": "OFD 版式文件",
    "odt": "OpenDocument 文档（.odt）", "ods": "OpenDocument 表格（.ods）", "odp": "OpenDocument 演示文稿（.odp）",
    "rtf": "RTF 文档", "mp4": "MP4 视频", "mov": "MOV 视频", "m4v": "M4V 视频", "3gp": "3GP 视频", "avi": "AVI 视频",
    "wmv": "WMV 视频", "mkv": "MKV 视频", "webm": "WebM 视频", "flv": "FLV 视频", "mpg": "MPEG 视频",
    "zip": "ZIP 压缩包", "rar": "RAR 压缩包", "7z": "7z 压缩包", "gz": "gzip 压缩包", "bz2": "bzip2 压缩包",
    "xz": "xz 压缩包", "tar": "tar 归档", "exe": "可执行程序", "script": "脚本程序", "txt": "文本文件",
    "ole": "无法识别的 Office 复合文件", "unknown": "无法识别的文件",
}
SEND = "请发送照片、PDF 或 Office 文档"


@dataclass(frozen=True)
class Inspection:
    kind: str | None          # "image" | "document" | "video" | None (not evidence of any kind)
    type: str                 # the real type, lower-case: "jpg", "pdf", "docx", "zip", "exe", "unknown" ...
    problem: str | None       # None | "evidence.type_mismatch" | "evidence.unreadable"
    reason: str = ""          # Chinese: what is wrong and what to send instead
    pages: int | None = None  # PDF page count
    width: int | None = None  # image size in pixels, as stored (before any EXIF rotation)
    height: int | None = None
    taken_on: str | None = None   # EXIF DateTimeOriginal (or DateTime) as "2026-11-03"
    dhash: str | None = None      # 64-bit dHash, 16 hex digits
    # a small JPEG of the image (inspect(thumb_px=...)): made from the same reduced decode; not cached
    thumbnail: bytes | None = field(default=None, compare=False, repr=False)


class _Unreadable(Exception):
    def __init__(self, type_: str, reason: str):
        super().__init__(reason)
        self.type, self.reason = type_, reason


def _kind_of(type_: str) -> str | None:
    """The evidence kind of a real type (None: counts as no kind)."""
    return "image" if type_ in IMAGES else "document" if type_ in DOCUMENTS else "video" if type_ in VIDEOS else None


def _family(type_: str) -> str | None:
    """What a type is for the name check: a kind, or archive / program / text."""
    return ("archive" if type_ in ARCHIVES else "program" if type_ in PROGRAMS else "text" if type_ == "txt"
            else _kind_of(type_))


def inspect(name: str, data: bytes, *, max_pixels: int = 100_000_000, max_members: int = 2000,
            max_uncompressed: int = 200 * 1024 * 1024, thumb_px: int = 0) -> Inspection:
    """What the file `name` (only its extension is used) with content `data` really is. thumb_px:
    also a JPEG thumbnail of an image, at most that many pixels on its long side (decoded in colour
    then, once for both the hash and the thumbnail)."""
    ext = _extension(name)
    claimed = _EXT_TYPES.get(ext, ext if ext in _KNOWN else None)
    if not data:
        return Inspection(None, "unknown", UNREADABLE, "文件为空（0 字节），请重新发送完整的文件")
    try:
        real = _sniff(data, claimed, ext)
        if real == "zip":
            real = _zip(data, max_members, max_uncompressed)
        if real == "txt" and claimed == "script":
            real = "script"
        if real in PROGRAMS:
            return _program(ext, claimed, real)
        if real in ("unknown", "ole") and claimed is not None:
            raise _Unreadable(real, f"文件内容无法识别，不是有效的{_named(claimed)}（可能已损坏），请重新发送")
        details: dict = {}
        if real in _PIL_FORMATS:
            details = _image(data, real, max_pixels, thumb_px)
        elif real == "pdf":
            details = _pdf(data)
    except _Unreadable as bad:
        logger.info("evidence %s unreadable: %s", name, bad.reason)
        return Inspection(None, bad.type, UNREADABLE, bad.reason)
    kind = _kind_of(real)
    if claimed is not None and _family(claimed) != _family(real):
        logger.info("evidence %s: named .%s, is %s", name, ext, real)
        return Inspection(kind, real, MISMATCH, _mismatch(ext, claimed, real), **details)
    return Inspection(kind, real, None, "", **details)


def _extension(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1].strip().rstrip(". ")
    return base.rsplit(".", 1)[1].lower() if "." in base else ""


def _mismatch(ext: str, claimed: str, real: str) -> str:
    said = f"文件名为 .{ext}，实际是{_named(real)}"
    if _kind_of(claimed) is None:              # named .zip/.exe/.txt: only the name is wrong
        return f"{said}，请把扩展名改为 .{real} 后重新发送" if _kind_of(real) else f"{said}，{SEND}"
    rename = f"，或把扩展名改为 .{real}" if _kind_of(real) else ""
    return f"{said}，请发送真正的{_named(claimed)}{rename}"


def _named(type_: str) -> str:
    """The type's name as it follows a Chinese word: "实际是 ZIP 压缩包", "实际是可执行程序"."""
    name = TYPE_NAMES.get(type_, f"{type_.upper()} 文件")
    return f" {name}" if name[0].isascii() else name


def _program(ext: str, claimed: str | None, real: str) -> Inspection:
    what = _named(real)
    if not ext:
        return Inspection(None, real, UNREADABLE, f"文件是{what}，不能作为佐证材料，{SEND}")
    if claimed in PROGRAMS:
        return Inspection(None, real, MISMATCH, f"文件是{what}（.{ext}），不能作为佐证材料，{SEND}")
    send = f"请发送真正的{_named(claimed)}" if claimed and _kind_of(claimed) else SEND
    return Inspection(None, real, MISMATCH, f"文件名为 .{ext}，实际是{what}，不能作为佐证材料，{send}")


# --- what the bytes are ---------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_EXE_MAGICS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
               b"\xca\xfe\xba\xbe", b"L\x00\x00\x00\x01\x14\x02\x00")       # PE, ELF, Mach-O, Windows shortcut
_SIMPLE = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
           (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"II+\x00", "tiff"), (b"MM\x00+", "tiff"),
           (b"{\\rtf", "rtf"), (b"0&\xb2u\x8ef\xcf\x11", "wmv"), (b"FLV\x01", "flv"),
           (b"\x00\x00\x01\xba", "mpg"), (b"\x00\x00\x01\xb3", "mpg"), (b"#!", "script"))
_BMP_HEADERS = (12, 40, 52, 56, 64, 108, 124)
_HEIC = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_MP4 = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"mp71", b"avc1", b"dash",
        b"MSNV", b"NDAS", b"f4v ", b"mmp4"}


def _sniff(data: bytes, claimed: str | None, ext: str) -> str:
    head = data[:64]
    for magic, type_ in _SIMPLE:
        if head.startswith(magic):
            return type_
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI "):
        return "webp" if head[8:12] == b"WEBP" else "avi"
    if head[:2] == b"BM" and len(data) >= 26 and struct.unpack_from("<I", data, 14)[0] in _BMP_HEADERS:
        return "bmp"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head[4:8] == b"ftyp" and (ftyp := _ftyp(data)):
        return ftyp
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return _ole(data, claimed)
    if head.startswith(_EXE_MAGICS):
        return "exe"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head else "mkv"
    if _is_text(data[:4096]):
        return "txt"
    return _puremagic(data, ext)


def _ftyp(data: bytes) -> str | None:
    """The ISO base media `ftyp` box: its major brand and compatible brands."""
    size = min(max(struct.unpack_from(">I", data)[0], 16), 256, len(data))
    major = data[8:12]
    brands = {major} | {data[i:i + 4] for i in range(16, size - 3, 4)}
    if major in _HEIC:
        return "heic"
    if major in (b"avif", b"avis") or (major in (b"mif1", b"msf1") and b"avif" in brands):
        return "avif"
    if major in (b"mif1", b"msf1"):
        return "heic" if brands & _HEIC else "heif"
    if major == b"qt  ":
        return "mov"
    if major.startswith(b"3g"):
        return "3gp"
    if major.startswith(b"M4V"):
        return "m4v"
    if major in _MP4 or (not major.startswith(b"M4") and brands & _MP4):
        return "mp4"
    return None                               # an audio brand (M4A ...) or unknown: puremagic names it


def _ole(data: bytes, claimed: str | None) -> str:
    """An OLE2 compound file: old Office/WPS formats share the container; the directory's stream
    names (UTF-16) say which application wrote it, the extension tells WPS from Microsoft."""
    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        raise _Unreadable(claimed if claimed in DOCUMENTS else "doc", "文件设置了打开密码（已加密），请取消密码后重新发送")
    base = ("doc" if has("WordDocument") else "xls" if has("Workbook") or has("Book")
            else "ppt" if has("PowerPoint Document") else None)
    if base is not None:
        return _WPS[base] if claimed == _WPS[base] else base
    return claimed if claimed in _OLE_TYPES else "ole"


def _is_text(head: bytes) -> bool:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            codecs_, head = (codec,), head[len(bom):]
            break
    else:
        if b"\x00" in head:
            return False
        codecs_ = ("utf-8", "gb18030")
    for codec in codecs_:
        try:
            text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f") <= len(text) // 100
    return False


def _puremagic(data: bytes, ext: str) -> str:
    """The long tail (RAR, 7z, audio ...); among the types the content fits, the one the name says
    wins (puremagic's filename hint). A guess at a type we check by structure ourselves is not
    believed: those checks already said no."""
    import puremagic

    try:
        ext = puremagic.from_string(data, filename=f"x.{ext}" if ext else None)
    except (puremagic.PureError, ValueError):
        return "unknown"
    type_ = ext.lstrip(".").lower()
    type_ = _EXT_TYPES.get(type_, type_)
    if not type_ or type_ in _KNOWN - ARCHIVES:
        return "unknown"
    return type_


# --- zip packages ---------------------------------------------------------------------------

SAFE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError, struct.error,
               IndexError, OverflowError)


def _zip(data: bytes, max_members: int, max_uncompressed: int) -> str:
    if data.count(b"PK\x01\x02") > max_members:
        raise _Unreadable("zip", f"压缩包内的文件超过 {max_members} 个，可能是恶意文件，请发送正常的文件")
    type_ = "zip"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            type_ = _zip_type(zf, infos)
            _check_members(type_, infos, max_members)
            total = 0
            for info in infos:
                with zf.open(info) as fh:
                    while chunk := fh.read(CHUNK):
                        total += len(chunk)
                        if total > max_uncompressed:
                            raise _Unreadable(type_, f"解压后的内容超过 {max_uncompressed // (1024 * 1024)} MB，"
                                                     "可能是恶意的“压缩炸弹”文件，请发送正常的文件")
    except _ZIP_ERRORS as exc:
        reason = "数据校验失败" if "CRC" in str(exc) else "压缩结构错误"
        raise _Unreadable(type_, f"文件已损坏或不完整（{reason}），请重新发送原始文件") from exc
    return type_


def _check_members(type_: str, infos: list[zipfile.ZipInfo], max_members: int) -> None:
    if len(infos) > max_members:
        raise _Unreadable(type_, f"压缩包内的文件超过 {max_members} 个，可能是恶意文件，请发送正常的文件")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
            raise _Unreadable(type_, f"压缩包内有指向外部路径的成员“{name[:80]}”，可能是恶意文件，请发送正常的文件")
        key = name.replace("\\", "/").casefold()
        if key in seen:
            raise _Unreadable(type_, f"压缩包内有重名成员“{name[:80]}”，文件已损坏或被篡改，请重新发送原始文件")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _Unreadable(type_, "文件设置了密码（已加密），请发送未加密的文件")
        if info.compress_type not in SAFE_METHODS:
            method = zipfile.compressor_names.get(info.compress_type, f"编号 {info.compress_type}")
            raise _Unreadable(type_, f"压缩包成员“{name[:80]}”使用了不支持的压缩方式（{method}），"
                                     "请用常规方式重新压缩或直接发送原文件")


def _zip_type(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str:
    """docx/xlsx/pptx by their parts, OFD by OFD.xml at the root, OpenDocument by its mimetype."""
    names = {info.filename.replace("\\", "/").lstrip("/").casefold(): info for info in infos}
    if "ofd.xml" in names:
        return "ofd"
    mimetype = names.get("mimetype")
    if mimetype is not None and mimetype.compress_type in SAFE_METHODS and not mimetype.flag_bits & 0x1:
        with zf.open(mimetype) as fh:
            value = fh.read(100).decode("ascii", "replace").strip()
        odf = {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}
        if value.startswith("application/vnd.oasis.opendocument."):
            return odf.get(value.rsplit(".", 1)[-1], "zip")
    if "[content_types].xml" in names:
        for prefix, type_ in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(prefix) for n in names):
                return type_
    return "zip"


# --- images ---------------------------------------------------------------------------------

_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
              7: "TRANSVERSE", 8: "ROTATE_90"}


def _image(data: bytes, type_: str, max_pixels: int, thumb_px: int = 0) -> dict:
    from PIL import Image, UnidentifiedImageError

    fmt = _PIL_FORMATS[type_]
    try:
        with warnings.catch_warnings():            # ours is the check that counts (max_pixels); note:
            # catch_warnings swaps the process-wide filters, harmless here but not thread-exact
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:   # over twice Pillow's limit, refused from the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _Unreadable(type_, _bomb(int(found.group(1)) if found else None)) from exc
    except (UnidentifiedImageError, *_IMAGE_ERRORS) as exc:
        raise _Unreadable(type_, f"文件已损坏或不完整（{fmt} 数据无法解析），请重新发送原始文件") from exc
    with im:
        width, height = im.size
        if width < 1 or height < 1:
            raise _Unreadable(type_, f"文件已损坏（{fmt} 图片尺寸为 0），请重新发送原始文件")
        if width * height > max_pixels:
            raise _Unreadable(type_, _bomb(width * height))
        taken_on, orientation = exif_facts(im)
        try:
            if fmt == "JPEG":                       # libjpeg decodes at 1/8 scale: 4000x3000 -> 500x375
                im.draft("RGB" if thumb_px else "L",
                         (min(width, max(width // 8, 128)), min(height, max(height // 8, 128))))
            im.load()
            if orientation in _TRANSPOSE:            # hash the photo as it is shown
                im = im.transpose(getattr(Image.Transpose, _TRANSPOSE[orientation]))
            hashed = dhash(im)
            small = _thumbnail(im, thumb_px) if thumb_px else None
        except Image.DecompressionBombError as exc:     # Pillow checks again on loading some formats
            raise _Unreadable(type_, _bomb(None)) from exc
        except _IMAGE_ERRORS as exc:
            cut = "截断" if "truncated" in str(exc) or isinstance(exc, EOFError) else "有错误"
            raise _Unreadable(type_, f"文件已损坏或不完整（{fmt} 数据{cut}），请重新发送原始文件") from exc
    return {"width": width, "height": height, "taken_on": taken_on, "dhash": hashed, "thumbnail": small}


def _thumbnail(im, px: int) -> bytes:
    small = im.convert("RGB")
    small.thumbnail((px, px))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def _bomb(pixels: int | None) -> str:
    size = ("" if pixels is None else f"（约 {pixels / 1e8:.1f} 亿像素）" if pixels >= 1e8
            else f"（约 {round(pixels / 1e4)} 万像素）")
    return f"图片像素过大{size}，可能是恶意文件，请发送正常尺寸的照片"


# --- PDF ------------------------------------------------------------------------------------

def _pdf(data: bytes) -> dict:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import DependencyError, PyPdfError

    # pypdf asserts, and trips over its own None/NullObject, on some hostile files
    errors = (PyPdfError, DependencyError, ValueError, KeyError, TypeError, IndexError, AttributeError,
              AssertionError, RecursionError, zlib.error, struct.error, OSError, EOFError, OverflowError,
              NotImplementedError)
    limits = dict.fromkeys(("zlib_maximum_output_length", "lzw_maximum_output_length",
                            "run_length_maximum_output_length", "array_based_stream_maximum_output_length"),
                           MAX_PDF_STREAM)
    try:
        with apply_configuration(**limits):        # a context variable: this call only
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    opened = bool(reader.decrypt(""))     # only an owner password: opens for everyone
                except errors:
                    opened = False
                if not opened:
                    raise _Unreadable("pdf", "PDF 文件已加密（设置了打开密码），请发送未加密的文件")
            pages = _count_pages(reader)
    except errors as exc:
        logger.debug("PDF refused: %r", exc)
        raise _Unreadable("pdf", "文件已损坏或不完整（PDF 结构错误），请重新导出或发送原始文件") from exc
    if pages == 0:
        raise _Unreadable("pdf", "PDF 文件中没有任何页面（文件已损坏或为空），请重新导出后发送")
    return {"pages": pages}


def _count_pages(reader) -> int:
    """Leaves of the page tree, walked with an explicit stack: each /Pages node once (a node seen
    again is a loop or a shared subtree, both broken), at most MAX_PDF_NODES steps."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    if not isinstance(root, DictionaryObject):
        raise _Unreadable("pdf", "文件已损坏（PDF 缺少文档目录），请重新导出或发送原始文件")
    stack, seen, pages, steps = [root.get("/Pages")], set(), 0, 0
    streams, decoded = set(), 0
    while stack:
        steps += 1
        ref = stack.pop()
        if isinstance(ref, IndirectObject) and (where := reader.xref_objStm.get(ref.idnum)) and where[0] not in streams:
            streams.add(where[0])                 # pypdf keeps each decoded object stream: count them all
            decoded += len(IndirectObject(where[0], 0, reader).get_object().get_data())
        if steps > MAX_PDF_NODES or decoded > MAX_PDF_DECODED:
            raise _Unreadable("pdf", "PDF 页面结构异常庞大，可能是恶意文件，请重新导出后发送")
        node = ref.get_object() if ref is not None else None
        if not isinstance(node, DictionaryObject) or not node:
            continue
        if "/Kids" in node or node.get("/Type") == "/Pages":
            key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(node)
            if key in seen:
                raise _Unreadable("pdf", "PDF 页面树有循环或重复引用，文件已损坏，请重新导出后发送")
            seen.add(key)
            kids = node.get("/Kids")
            kids = kids.get_object() if kids is not None else ArrayObject()
            if not isinstance(kids, ArrayObject):
                raise _Unreadable("pdf", "文件已损坏（PDF 页面树有错误），请重新导出或发送原始文件")
            stack.extend(reversed(kids))
        elif node.get("/Type", "/Page") == "/Page":
            pages += 1
    return pages
