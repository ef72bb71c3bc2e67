"""Where evidence is (CONTRACT.md §13): the `佐证材料` folders and the `…佐证….zip` files under the
input folder, each file in them with its department and its indicator, found before a byte of it
is read.

A `佐证材料` folder belongs to the department whose workbook sits in the folder directly above it; a
folder above that holds workbooks of two departments, or none, gives a warning and nothing counts.
A zip belongs to the department its file name begins with, wherever it is. Inside a folder every
entry is judged by lstat: symbolic links (and Windows reparse points), FIFOs, sockets, devices,
hidden files and Office's `~$` lock files are skipped, never opened nor followed. A zip is listed
from its central directory, member names decoded per member (UTF-8 when flagged, else GBK as
Chinese Windows writes them); a member that is unsafe (a `..` or absolute path), encrypted, or
compressed in a way not read here, and a zip that is corrupt, holds too many members or declares
too many bytes, is a Source with `problem` set, and is never inflated. `Source.read` inflates a
member as a stream and stops as soon as more than the limit really comes out.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from scorecard.intake.listing import shown

logger = logging.getLogger(__name__)

EVIDENCE_FOLDER = "佐证材料"
ZIP_MARK = "佐证"                    # a zip is evidence when its name contains this
UNREADABLE = "evidence.unreadable"
CHUNK = 64 * 1024                   # a zip member is inflated this much at a time
JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}    # what Windows and macOS leave in folders
SEPARATORS = set("_- .、(,【")        # after NFKC: what may follow a code (full-width ＿－（，　 map here)
_HIDDEN, _REPARSE = 0x2, 0x400      # Windows FILE_ATTRIBUTE_HIDDEN, FILE_ATTRIBUTE_REPARSE_POINT
_ENCRYPTED, _UTF8 = 0x1, 0x800      # zip general purpose flag bits
_METHODS = {zipfile.ZIP_STORED: "存储", zipfile.ZIP_DEFLATED: "deflate"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_PREFIX = re.compile(r"^指标\s*")
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError,
                RuntimeError, ValueError, struct.error, KeyError, OverflowError)

_RESEND = "请把文件放在普通文件夹中，用 Windows 自带的“发送到→压缩(zipped)文件夹”重新压缩后发送，或直接发送佐证材料文件夹"
R_CORRUPT = "压缩包已损坏或不是有效的 ZIP 文件，无法打开；" + _RESEND
R_UNSAFE = "压缩包中的文件路径不安全（含“..”或绝对路径），出于安全考虑未读取；" + _RESEND
R_ENCRYPTED = "压缩包中的文件已加密（设置了密码），无法读取；请发送未加密的压缩包或直接发送文件"
R_METHOD = "压缩包中的文件使用了不支持的压缩方式（{method}），无法读取；" + _RESEND
R_DUPLICATE = "压缩包中有两个同名的文件，无法判断哪一个是佐证材料；" + _RESEND
R_MEMBERS = "压缩包中的文件过多（{count}个，上限{limit}个），出于安全考虑未解压；请分成几个压缩包发送，或直接发送佐证材料文件夹"
R_BOMB = ("压缩包解压后过大（声明共{size:.0f} MB，上限{limit:.0f} MB），出于安全考虑未解压；"
          "请删去无关文件、压缩图片或视频后重新打包，或分成几个压缩包发送")
R_OPEN = "无法打开压缩包（{why}）；请重新发送"


class TooLarge(Exception):
    """More bytes than the caller's limit: a file, or a zip member as it really inflates."""


@dataclass(frozen=True)
class Source:
    """One evidence file: a file on disk inside a 佐证材料 folder, or a member of a 佐证 zip."""

    department: str            # canonical department name
    path: str                  # inside its evidence folder or zip, "/"-separated (the finding's cell)
    indicator: str | None      # the code told from the name (indicator_of), None if none
    size: int                  # bytes (a zip member: its declared uncompressed size)
    origin: Path               # the file on disk, or the zip file
    member: str | None = None  # the zip member's name as zipfile holds it (undecoded), None for a file
    problem: str | None = None  # None, or "evidence.unreadable": never to be read
    reason: str = ""           # Chinese reason for `problem`, saying what to send instead

    def read(self, limit: int) -> bytes:
        """The file's bytes; TooLarge when there are more than `limit` of them (a zip member
        counted as it inflates, 64 KiB at a time, whatever its header says), OSError when it
        cannot be read (gone, not a regular file, a link, a corrupt member, a bad CRC)."""
        if self.problem is not None:
            raise OSError(errno.EPERM, f"{self.problem}: not to be read", self.path)
        if self.member is None:
            return _read_file(self.origin, limit)
        return _read_member(self.origin, self.member, limit)


# --- names -------------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _prepare(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(normalised, as given) for each code, longest first: "2.10" is tried before "2.1"."""
    pairs = {(_norm(code), code) for code in codes if code and _norm(code)}
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))


def _code_of(name: str, prepared: list[tuple[str, str]]) -> str | None:
    text = _PREFIX.sub("", _norm(name), count=1)
    for norm, code in prepared:
        if not text.startswith(norm):
            continue
        rest = text[len(norm):]
        if not rest:
            return code
        if (rest[0] in SEPARATORS or rest[0].isspace()) and not (rest[0] == "." and rest[1:2].isdigit()):
            return code                 # "1.1.2" is another code, not 1.1 followed by ".2"
    return None


def _indicator(path: str, prepared: list[tuple[str, str]]) -> str | None:
    for part in reversed([p for p in path.replace("\\", "/").split("/") if p]):
        code = _code_of(part, prepared)
        if code is not None:
            return code
    return None


def indicator_of(path: str, codes: Iterable[str]) -> str | None:
    """The code of `codes` that begins the file's own name or, failing that, the name of the
    nearest folder above it in `path` (a path inside the evidence folder): "1.1_会议纪要.pdf",
    "1.1-2 活动照片.jpg" (-2 numbers the file), "1.1 x", "1.1.jpg", "1.1、x", "指标1.1", "指标 1.1",
    "1.1/照片.jpg". A code must be followed by a separator or end the name ("1.1x" is none);
    the longest code that fits wins; full-width digits and dots (１．１) count as their ASCII
    forms. None when no known code begins any name."""
    return _indicator(path, _prepare(codes))


def _skipped_name(name: str) -> bool:
    """Hidden files and folders, Office lock files, what Windows and macOS leave behind."""
    return name.startswith((".", "~$")) or name.lower() in JUNK or name == "__MACOSX"


def _zip_name(name: str) -> bool:
    text = shown(name)
    return text.lower().endswith(".zip") and ZIP_MARK in text[:-4]


def is_evidence_path(path: Path, input_dir: Path) -> bool:
    """True for any path inside a 佐证材料 folder under input_dir (the folder included), and for a
    .zip under it whose file name contains 佐证: neither is a workbook to check."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(input_dir))
    except ValueError:
        return False
    parts = [shown(part).strip() for part in rel.parts]
    return EVIDENCE_FOLDER in parts or (bool(parts) and _zip_name(parts[-1]))


# --- reading -----------------------------------------------------------------------------------

def _open_regular(path: Path) -> int:
    """A descriptor of the regular file at path; never through a symbolic link, never blocking
    on a FIFO swapped in since the listing."""
    if not hasattr(os, "O_NOFOLLOW") and stat.S_ISLNK(os.lstat(path).st_mode):
        raise OSError(errno.ELOOP, "symbolic link not followed", os.fspath(path))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_file(path: Path, limit: int) -> bytes:
    with os.fdopen(_open_regular(path), "rb") as f:
        if os.fstat(f.fileno()).st_size > limit:
            raise TooLarge(f"more than {limit} bytes")
        data = f.read(limit + 1)
    if len(data) > limit:                 # grown since
        raise TooLarge(f"more than {limit} bytes")
    return data


def _read_member(origin: Path, member: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    with os.fdopen(_open_regular(origin), "rb") as f:
        try:
            with zipfile.ZipFile(f) as zf:
                info = zf.getinfo(member)
                if info.flag_bits & _ENCRYPTED or info.compress_type not in _METHODS:
                    raise OSError(errno.EPERM, "encrypted or unsupported compression", member)
                with zf.open(info) as stream:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise TooLarge(f"more than {limit} bytes inflated")
                        chunks.append(chunk)
        except _READ_ERRORS as exc:
            raise OSError(errno.EIO, f"zip member not readable: {exc}", member) from exc
    return b"".join(chunks)


# --- zips --------------------------------------------------------------------------------------

def _unicode_path(info: zipfile.ZipInfo, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field (0x7075), when it matches the stored name."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        if kind == 0x7075 and len(body) >= 5 and body[0] == 1 and struct.unpack_from("<L", body, 1)[0] == zlib.crc32(raw):
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        at += 4 + size
    return None


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it: UTF-8 when flagged (zipfile has decoded it), else
    the bytes zipfile read as cp437 taken again: as UTF-8 when that gives ASCII and CJK only (some
    tools, macOS among them, write UTF-8 unflagged), else as GBK/GB18030 (Chinese Windows), else
    the cp437 text. GBK bytes that happen to be UTF-8 give Greek or Cyrillic letters (图 is
    CD BC, "ͼ" in UTF-8), never CJK, so those are taken as GBK."""
    if info.flag_bits & _UTF8:
        return info.orig_filename
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:          # not what zipfile decoded: keep it
        return info.orig_filename
    unicode = _unicode_path(info, raw)
    if unicode is not None:
        return unicode
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ord(c) < 0x80 or ord(c) >= 0x800 for c in text):
        return text
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return text if text is not None else info.orig_filename


def _unsafe(name: str) -> bool:
    """An absolute path, a drive, a NUL, or a part that climbs out (`..`, `.. `, `...`)."""
    text = name.replace("\\", "/")
    if "\x00" in text or text.startswith("/") or _DRIVE.match(text):
        return True
    return any(".." in part and not part.strip(". ") for part in text.split("/"))


def _skipped_member(info: zipfile.ZipInfo, parts: list[str]) -> bool:
    if not parts or info.is_dir() or info.filename.endswith(("/", "\\")):
        return True
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        return True                     # a symbolic link stored by a Unix zip
    return any(_skipped_name(part) for part in parts)


def _declared_entries(f) -> int | None:
    """The member count the end-of-central-directory record declares, read before zipfile parses
    a central directory of a million entries; None when there is no such record or it is zip64."""
    end = f.seek(0, os.SEEK_END)
    tail = min(end, 22 + 0xFFFF)
    f.seek(end - tail)
    data = f.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    count = struct.unpack_from("<H", data, at + 10)[0]
    return None if count == 0xFFFF else count


def _zip_sources(zip_path: Path, department: str, prepared, max_members: int, max_total: int) -> list[Source]:
    display = shown(zip_path.name)
    try:
        size = os.lstat(zip_path).st_size
    except OSError:
        size = 0

    def whole(reason: str) -> list[Source]:
        return [Source(department, display, _indicator(display, prepared), size, zip_path,
                       problem=UNREADABLE, reason=reason)]

    try:
        fd = _open_regular(zip_path)
    except OSError as exc:
        return whole(R_OPEN.format(why=exc.strerror or type(exc).__name__))
    with os.fdopen(fd, "rb") as f:
        try:
            count = _declared_entries(f)
            if count is not None and count > max_members:
                return whole(R_MEMBERS.format(count=count, limit=max_members))
            f.seek(0)
            with zipfile.ZipFile(f) as zf:
                infos = zf.infolist()
        except (OSError, *_READ_ERRORS) as exc:
            logger.debug("zip not opened: %s", type(exc).__name__)
            return whole(R_CORRUPT)
    if len(infos) > max_members:
        return whole(R_MEMBERS.format(count=len(infos), limit=max_members))
    declared = sum(info.file_size for info in infos)
    if declared > max_total:
        return whole(R_BOMB.format(size=declared / 2**20, limit=max_total / 2**20))
    last = {info.filename: i for i, info in enumerate(infos)}     # what getinfo() would give
    out = []
    for i, info in enumerate(infos):
        name = _member_name(info)
        problem_reason = ""
        if _unsafe(name):
            path = name
            problem_reason = R_UNSAFE
        else:
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
            if _skipped_member(info, parts):
                continue
            path = "/".join(parts)
            if info.flag_bits & _ENCRYPTED:
                problem_reason = R_ENCRYPTED
            elif info.compress_type not in _METHODS:
                problem_reason = R_METHOD.format(method=_method_name(info.compress_type))
            elif last[info.filename] != i:
                problem_reason = R_DUPLICATE
        out.append(Source(department, path, _indicator(path, prepared), info.file_size, zip_path, member=info.filename,
                          problem=UNREADABLE if problem_reason else None, reason=problem_reason))
    logger.debug("zip listed: %d members, %d sources", len(infos), len(out))
    return out


def _method_name(method: int) -> str:
    return {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 99: "AES 加密",
            93: "zstd", 95: "xz", 98: "PPMd"}.get(method, f"第{method}种")


# --- folders -----------------------------------------------------------------------------------

def _entries(folder: Path) -> Iterator[tuple[os.DirEntry, os.stat_result]]:
    """The folder's entries in name order with their lstat, skipping the unreadable, links,
    reparse points and what is hidden: nothing is followed, nothing opened."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        logger.debug("folder not listed: %s", exc.strerror or type(exc).__name__)
        return
    for entry in entries:
        if _skipped_name(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue                    # gone since it was listed
        if stat.S_ISLNK(st.st_mode) or getattr(st, "st_file_attributes", 0) & (_HIDDEN | _REPARSE):
            continue
        yield entry, st


def _walk(root: Path) -> Iterator[tuple[Path, tuple[str, ...], os.stat_result]]:
    """Every regular file below root, depth first in name order, with its names below root."""
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    seen: set[tuple[int, int]] = set()
    while stack:
        folder, rel = stack.pop()
        subfolders = []
        for entry, st in _entries(folder):
            if stat.S_ISDIR(st.st_mode):
                if st.st_ino:
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                subfolders.append((Path(entry.path), rel + (entry.name,)))
            elif stat.S_ISREG(st.st_mode):
                yield Path(entry.path), rel + (entry.name,), st
            # FIFOs, sockets, devices: never opened
        stack.extend(reversed(subfolders))


def _discover(input_dir: Path) -> tuple[list[Path], list[Path]]:
    """The 佐证材料 folders (not looked into here) and the 佐证 zips outside them."""
    folders, zips = [], []
    stack = [Path(input_dir)]
    while stack:
        folder = stack.pop()
        subfolders = []
        for entry, st in _entries(folder):
            if stat.S_ISDIR(st.st_mode):
                (folders if shown(entry.name).strip() == EVIDENCE_FOLDER else subfolders).append(Path(entry.path))
            elif stat.S_ISREG(st.st_mode) and _zip_name(entry.name):
                zips.append(Path(entry.path))
        stack.extend(reversed(subfolders))
    return folders, zips


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _zip_department(name: str, spellings: list[tuple[str, str]]) -> str | None:
    stem = _norm(shown(name))[:-4]
    for spelling, department in spellings:
        if stem.startswith(spelling):
            return department
    return None


def find_evidence(input_dir: Path, workbooks: Mapping[Path, str], departments: Mapping[str, str],
                  codes: Iterable[str], *, max_members: int = 2000,
                  max_total: int = 500 * 1024 * 1024) -> tuple[list[Source], list[str]]:
    """Every evidence file under input_dir with its department, in order of department then path,
    and warnings (Chinese) about evidence that belongs to no department.

    workbooks: each submitted workbook's path -> its department; departments: every spelling
    (name and alias) -> canonical name; codes: the indicator codes; max_members, max_total: a zip
    with more members, or declaring more bytes in all, is one unreadable Source (never inflated).
    """
    input_dir = Path(input_dir)
    prepared = _prepare(codes)
    spellings = sorted(((_norm(s), d) for s, d in departments.items() if s and _norm(s)),
                       key=lambda pair: (-len(pair[0]), pair[0]))
    beside: dict[str, set[str]] = {}
    for workbook, department in workbooks.items():
        if department:
            beside.setdefault(_key(Path(workbook).parent), set()).add(department)

    def where(path: Path) -> str:
        try:
            return shown(Path(input_dir.name) / path.relative_to(input_dir))
        except ValueError:
            return shown(path)

    sources: list[Source] = []
    warnings: list[str] = []
    folders, zips = _discover(input_dir)
    for folder in folders:
        files = list(_walk(folder))
        owners = beside.get(_key(folder.parent), set())
        if len(owners) == 1:
            department = next(iter(owners))
            for path, rel, st in files:
                shown_rel = shown("/".join(rel))
                sources.append(Source(department, shown_rel, _indicator(shown_rel, prepared), st.st_size, path))
        elif files and owners:
            warnings.append(f"{where(folder)} 所在文件夹中有{len(owners)}个部门的自评表（{'、'.join(sorted(owners))}），"
                            f"无法判断佐证材料属于哪个部门，请按部门分文件夹存放（其中{len(files)}个文件本次未计入）")
        elif files:
            warnings.append(f"{where(folder)} 所在文件夹中没有自评表，无法判断佐证材料属于哪个部门，"
                            f"请把佐证材料文件夹放在本部门自评表所在的文件夹中，或压缩后命名为“部门名称_佐证材料.zip”"
                            f"（其中{len(files)}个文件本次未计入）")
    for zip_path in zips:
        department = _zip_department(zip_path.name, spellings)
        if department is None:
            warnings.append(f"{where(zip_path)} 的文件名不以部门名称开头，无法判断佐证材料属于哪个部门，"
                            f"请改名为“部门名称_佐证材料.zip”")
            continue
        sources.extend(_zip_sources(zip_path, department, prepared, max_members, max_total))
    sources.sort(key=lambda s: (s.department, s.path, os.fsencode(s.origin), s.member or ""))
    logger.debug("evidence: %d folders, %d zips, %d sources", len(folders), len(zips), len(sources))
    return sources, warnings
