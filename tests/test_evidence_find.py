"""Where evidence is (CONTRACT.md §13, scorecard/evidence/find.py): 佐证材料 folders beside a
department's workbook, 佐证 zips by name, indicator codes from names, and the hostile cases (links,
FIFOs, GBK names, traversal, encrypted and bomb zips) — all on real files in tmp_path."""
from __future__ import annotations

import os
import struct
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import pytest

from scorecard.evidence.find import (EVIDENCE_FOLDER, Source, TooLarge, find_evidence, indicator_of,
                                     is_evidence_path)

CODES = ["1.1", "1.2", "2.1", "2.2", "2.10"]
DEPARTMENTS = {"办公室": "办公室", "局办公室": "办公室", "综合办": "办公室", "机关党委": "机关党委",
               "党委办": "机关党委", "机关": "机关服务中心", "机关服务中心": "机关服务中心"}
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks, FIFOs and byte names are POSIX here")


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _find(input_dir: Path, workbooks: dict, **kw):
    return find_evidence(input_dir, workbooks, DEPARTMENTS, CODES, **kw)


def _rows(sources):
    return [(s.department, s.path, s.indicator, s.problem) for s in sources]


# Fixed-layout zip headers: (signature, offsets of flags, method, uncompressed size, name length, name)
_HEADERS = ((b"PK\x01\x02", 8, 10, 24, 28, 46), (b"PK\x03\x04", 6, 8, 22, 26, 30))


def _entries(data: bytes, central: bool = True):
    """(offset, raw name, flags) of each central directory (or local) header in data."""
    sig, flag_at, _, _, len_at, name_at = _HEADERS[0 if central else 1]
    at, out = 0, []
    while (at := data.find(sig, at)) >= 0:
        n = struct.unpack_from("<H", data, at + len_at)[0]
        out.append((at, bytes(data[at + name_at:at + name_at + n]), struct.unpack_from("<H", data, at + flag_at)[0]))
        at += 4
    return out


def _patch(path: Path, name: bytes, *, new_name: bytes | None = None, set_flags: int = 0,
           method: int | None = None, size: int | None = None, local: bool = True) -> None:
    """Rewrite a member's header fields in place, in the central directory (and the local header)."""
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at, size_at, len_at, name_at in _HEADERS[:2 if local else 1]:
        for at, raw, flags in _entries(bytes(data), central=sig == b"PK\x01\x02"):
            if raw != name:
                continue
            struct.pack_into("<H", data, at + flag_at, flags | set_flags)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            if size is not None:
                struct.pack_into("<L", data, at + size_at, size)
            if new_name is not None:
                assert len(new_name) == len(name)
                data[at + name_at:at + name_at + len(name)] = new_name
    path.write_bytes(bytes(data))


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# --- indicator_of ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, code", [
    ("1.1_会议纪要.pdf", "1.1"),
    ("1.1-2 活动照片.jpg", "1.1"),          # -2 numbers the photo
    ("1.1 活动照片.jpg", "1.1"),
    ("1.1.jpg", "1.1"),
    ("1.1、会议纪要.docx", "1.1"),
    ("1.1", "1.1"),
    ("指标1.1/照片1.jpg", "1.1"),
    ("指标 1.1/照片1.jpg", "1.1"),
    ("指标1.2_台账.xlsx", "1.2"),
    ("1.1/照片.jpg", "1.1"),
    ("一、领导班子/1.2/现场/照片.jpg", "1.2"),   # the nearest folder that has a code
    ("1.1/1.2_照片.jpg", "1.2"),                 # the file's own name first
    ("2.10_照片.jpg", "2.10"),                   # longest code, not 2.1
    ("2.1_照片.jpg", "2.1"),
    ("１．１_照片.jpg", "1.1"),                  # full-width digits and dot
    ("２．１０－３　照片.jpg", "2.10"),          # full-width hyphen and space too
    ("1.1x.jpg", None),                          # not followed by a separator
    ("1.11_照片.jpg", None),                     # 1.11 is no code; 1.1 is followed by a digit
    ("1.1.3_照片.jpg", None),                    # "1.1.3" is another code, not 1.1
    ("照片1.1.jpg", None),                       # the code must begin the name
    ("3.1_照片.jpg", None),
    ("其他/照片.jpg", None),
])
def test_indicator_of(path, code):
    assert indicator_of(path, CODES) == code


def test_indicator_of_takes_any_iterable_and_returns_the_code_as_given():
    assert indicator_of("１．１_照片.jpg", iter(["１．１", "1.2"])) == "１．１"
    assert indicator_of("2.10_照片.jpg", (c for c in ["2.1", "2.10"])) == "2.10"
    assert indicator_of("2.10_照片.jpg", []) is None


# --- is_evidence_path -------------------------------------------------------------------------

def test_is_evidence_path(tmp_path):
    inp = tmp_path / "input"
    assert is_evidence_path(inp / "佐证材料" / "1.1_x.xlsx", inp)
    assert is_evidence_path(inp / "办公室" / "佐证材料" / "指标1.1" / "台账.xlsx", inp)
    assert is_evidence_path(inp / "办公室" / "佐证材料", inp)
    assert is_evidence_path(inp / "办公室_佐证材料.zip", inp)
    assert is_evidence_path(inp / "sub" / "佐证.ZIP", inp)
    assert not is_evidence_path(inp / "办公室.xlsx", inp)
    assert not is_evidence_path(inp / "办公室.zip", inp)
    assert not is_evidence_path(inp / "佐证材料汇总.xlsx", inp)       # a workbook named so is still a workbook
    assert not is_evidence_path(tmp_path / "佐证材料" / "x.xlsx", inp)  # not under the input folder
    assert not is_evidence_path(inp / "佐证材料.zip" / "x.xlsx", inp)   # a folder named like a zip, holding a workbook


# --- layouts ----------------------------------------------------------------------------------

def test_department_folder_layout(tmp_path):
    inp = tmp_path / "input"
    bgs = _touch(inp / "办公室" / "办公室.xlsx")
    dw = _touch(inp / "机关党委" / "机关党委.xlsx")
    _touch(inp / "办公室" / "佐证材料" / "1.1_会议纪要.pdf", b"%PDF-1.4")
    _touch(inp / "办公室" / "佐证材料" / "指标1.1" / "照片1.jpg", b"\xff\xd8\xff" + b"0" * 10)
    _touch(inp / "办公室" / "佐证材料" / "说明.docx")
    _zip(inp / "办公室" / "佐证材料" / "1.2_办公室_佐证材料.zip", {"1.1_x.jpg": b"x"})  # a file here, not opened
    _touch(inp / "机关党委" / "佐证材料" / "1.2" / "照片.jpg", b"abc")
    sources, warns = _find(inp, {bgs: "办公室", dw: "机关党委"})
    assert warns == []
    assert _rows(sources) == [
        ("办公室", "1.1_会议纪要.pdf", "1.1", None),
        ("办公室", "1.2_办公室_佐证材料.zip", "1.2", None),
        ("办公室", "指标1.1/照片1.jpg", "1.1", None),
        ("办公室", "说明.docx", None, None),
        ("机关党委", "1.2/照片.jpg", "1.2", None),
    ]
    photo = sources[2]
    assert photo.size == 13 and photo.member is None
    assert photo.origin == inp / "办公室" / "佐证材料" / "指标1.1" / "照片1.jpg"
    assert photo.read(100) == b"\xff\xd8\xff" + b"0" * 10
    assert sources[4].read(3) == b"abc"
    with pytest.raises(TooLarge):
        sources[4].read(2)


def test_flat_layout_one_workbook(tmp_path):
    inp = tmp_path / "input"
    wb = _touch(inp / "办公室.xlsx")
    _touch(inp / "佐证材料" / "1.1-2 活动照片.jpg", b"12345")
    sources, warns = _find(inp, {wb: "办公室"})
    assert warns == []
    assert _rows(sources) == [("办公室", "1.1-2 活动照片.jpg", "1.1", None)]
    assert sources[0].size == 5


def test_two_workbooks_of_one_department_share_the_folder(tmp_path):
    inp = tmp_path / "input"
    a, b = _touch(inp / "办公室.xlsx"), _touch(inp / "办公室_修改版.xlsx")
    _touch(inp / "佐证材料" / "1.1_x.pdf")
    sources, warns = _find(inp, {a: "办公室", b: "办公室"})
    assert warns == [] and _rows(sources) == [("办公室", "1.1_x.pdf", "1.1", None)]


def test_ambiguous_folder_counts_nothing_and_warns(tmp_path):
    inp = tmp_path / "input"
    a, b = _touch(inp / "办公室.xlsx"), _touch(inp / "机关党委.xlsx")
    _touch(inp / "佐证材料" / "1.1_x.pdf")
    _touch(inp / "佐证材料" / "1.2_y.pdf")
    sources, warns = _find(inp, {a: "办公室", b: "机关党委"})
    assert sources == []
    assert len(warns) == 1
    assert warns[0].startswith("input/佐证材料 所在文件夹中有2个部门的自评表（办公室、机关党委），"
                               "无法判断佐证材料属于哪个部门，请按部门分文件夹存放")
    assert "2个文件本次未计入" in warns[0]


def test_folder_without_workbook_warns_and_empty_folders_are_quiet(tmp_path):
    inp = tmp_path / "input"
    _touch(inp / "杂项" / "佐证材料" / "1.1_x.pdf")
    (inp / "空" / "佐证材料").mkdir(parents=True)                 # nothing in it: nothing to say
    wb = _touch(inp / "办公室" / "办公室.xlsx")
    _touch(inp / "办公室" / "下级" / "佐证材料" / "1.1_y.pdf")     # the folder directly above only
    sources, warns = _find(inp, {wb: "办公室"})
    assert sources == []
    assert sorted(warns) == [
        "input/办公室/下级/佐证材料 所在文件夹中没有自评表，无法判断佐证材料属于哪个部门，请把佐证材料文件夹放在"
        "本部门自评表所在的文件夹中，或压缩后命名为“部门名称_佐证材料.zip”（其中1个文件本次未计入）",
        "input/杂项/佐证材料 所在文件夹中没有自评表，无法判断佐证材料属于哪个部门，请把佐证材料文件夹放在"
        "本部门自评表所在的文件夹中，或压缩后命名为“部门名称_佐证材料.zip”（其中1个文件本次未计入）",
    ]


def test_zips_by_name_and_alias_anywhere(tmp_path):
    inp = tmp_path / "input"
    _zip(inp / "办公室_佐证材料.zip", {"1.1_会议纪要.pdf": b"%PDF", "资料/2.10-1 问卷.pdf": b"%PDF-1.7"})
    _zip(inp / "别的" / "深处" / "党委办佐证.zip", {"指标1.2/照片.jpg": b"jpg"})
    _zip(inp / "机关党委_佐证材料.zip", {"2.2_截图.png": b"png"})        # 机关党委, not 机关 (longest wins)
    _zip(inp / "机关服务中心佐证材料.zip", {"2.1_a.jpg": b"a"})
    _zip(inp / "办公室.zip", {"1.1_x.pdf": b"x"})                           # no 佐证: not evidence
    _zip(inp / "佐证材料.zip", {"1.1_x.pdf": b"x"})                         # no department
    sources, warns = _find(inp, {})
    assert _rows(sources) == [
        ("办公室", "1.1_会议纪要.pdf", "1.1", None),
        ("办公室", "资料/2.10-1 问卷.pdf", "2.10", None),
        ("机关党委", "2.2_截图.png", "2.2", None),
        ("机关党委", "指标1.2/照片.jpg", "1.2", None),
        ("机关服务中心", "2.1_a.jpg", "2.1", None),
    ]
    assert warns == ["input/佐证材料.zip 的文件名不以部门名称开头，无法判断佐证材料属于哪个部门，"
                     "请改名为“部门名称_佐证材料.zip”"]
    first = sources[0]
    assert first.origin == inp / "办公室_佐证材料.zip" and first.member == "1.1_会议纪要.pdf" and first.size == 4
    assert first.read(4) == b"%PDF"
    assert sources[3].origin == inp / "别的" / "深处" / "党委办佐证.zip"


# --- zip members ------------------------------------------------------------------------------

def test_gbk_and_utf8_member_names_in_one_zip(tmp_path):
    z = _zip(tmp_path / "input" / "办公室_佐证材料.zip", {
        "1.1_XXXX.jpg": b"gbk",                # becomes GBK 1.1_照片.jpg, no UTF-8 flag
        "1.2_XX.jpg": b"tu",                   # becomes GBK 1.2_图.jpg: CD BC, which is also valid UTF-8
        "2.1_YYYYYY.jpg": b"raw utf8",         # becomes UTF-8 2.1_照片.jpg without the flag (macOS)
        "2.2_会议.pdf": b"utf8",               # zipfile writes it UTF-8 with the flag
    })
    _patch(z, b"1.1_XXXX.jpg", new_name="1.1_照片.jpg".encode("gbk"))
    _patch(z, b"1.2_XX.jpg", new_name="1.2_图.jpg".encode("gbk"))
    _patch(z, b"2.1_YYYYYY.jpg", new_name="2.1_照片.jpg".encode("utf-8"))
    central = {name: flags for _, name, flags in _entries(z.read_bytes())}
    assert central["1.1_照片.jpg".encode("gbk")] & 0x800 == 0
    assert central["1.2_图.jpg".encode("gbk")] & 0x800 == 0
    assert central["2.1_照片.jpg".encode("utf-8")] & 0x800 == 0
    assert central["2.2_会议.pdf".encode("utf-8")] & 0x800
    sources, warns = _find(tmp_path / "input", {})
    assert warns == []
    assert [(s.path, s.indicator) for s in sources] == [
        ("1.1_照片.jpg", "1.1"), ("1.2_图.jpg", "1.2"), ("2.1_照片.jpg", "2.1"), ("2.2_会议.pdf", "2.2")]
    assert [s.read(100) for s in sources] == [b"gbk", b"tu", b"raw utf8", b"utf8"]
    assert sources[0].member == "1.1_照片.jpg".encode("gbk").decode("cp437")   # as zipfile holds it


def test_unsafe_member_paths_are_unreadable_and_never_read(tmp_path):
    z = _zip(tmp_path / "input" / "办公室_佐证材料.zip", {
        "../../evil.txt": b"evil", "a/../../1.1_b.txt": b"evil", "/etc/passwd": b"evil",
        "C:\\Windows\\1.1_x.txt": b"evil", "ok/1.1_好.jpg": b"ok"})
    sources, _ = _find(tmp_path / "input", {})
    bad = [s for s in sources if s.problem]
    assert sorted(s.path for s in bad) == ["../../evil.txt", "/etc/passwd", "C:\\Windows\\1.1_x.txt", "a/../../1.1_b.txt"]
    assert all(s.problem == "evidence.unreadable" and s.reason.startswith("压缩包中的文件路径不安全") for s in bad)
    for s in bad:
        with pytest.raises(OSError):
            s.read(100)
    assert [(s.path, s.read(10)) for s in sources if not s.problem] == [("ok/1.1_好.jpg", b"ok")]
    assert not (tmp_path / "evil.txt").exists() and z.exists()


def test_encrypted_and_unsupported_compression_members(tmp_path):
    z = _zip(tmp_path / "input" / "综合办_佐证材料.zip",
             {"1.1_secret.pdf": b"s" * 100, "1.2_odd.pdf": b"o" * 100, "2.1_fine.pdf": b"f"})
    _patch(z, b"1.1_secret.pdf", set_flags=0x1)
    _patch(z, b"1.2_odd.pdf", method=12)          # bzip2: not read here
    with zipfile.ZipFile(z) as zf:
        assert zf.getinfo("1.1_secret.pdf").flag_bits & 0x1
    sources, _ = _find(tmp_path / "input", {})
    assert _rows(sources) == [("办公室", "1.1_secret.pdf", "1.1", "evidence.unreadable"),
                              ("办公室", "1.2_odd.pdf", "1.2", "evidence.unreadable"),
                              ("办公室", "2.1_fine.pdf", "2.1", None)]
    assert "已加密" in sources[0].reason and "bzip2" in sources[1].reason
    assert sources[2].read(1) == b"f"


def test_junk_members_are_skipped(tmp_path):
    _zip(tmp_path / "input" / "办公室_佐证材料.zip", {
        "佐证材料/": b"", "佐证材料/1.1/": b"", "佐证材料/1.1/照片.jpg": b"j", "__MACOSX/佐证材料/._照片.jpg": b"m",
        "佐证材料/.DS_Store": b"d", "佐证材料/Thumbs.db": b"t", "佐证材料/desktop.ini": b"i",
        "佐证材料/~$会议纪要.docx": b"l", "佐证材料/.hidden/1.1_x.jpg": b"h", "./1.2_点.jpg": b"p"})
    sources, _ = _find(tmp_path / "input", {})
    assert _rows(sources) == [("办公室", "1.2_点.jpg", "1.2", None), ("办公室", "佐证材料/1.1/照片.jpg", "1.1", None)]


def test_duplicate_member_names(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(tmp_path / "办公室佐证.zip", "w") as zf:
            zf.writestr("1.1_a.jpg", b"first")
            zf.writestr("1.1_a.jpg", b"second")
    sources, _ = _find(tmp_path, {})
    assert [(s.problem, s.reason[:9]) for s in sources] == [("evidence.unreadable", "压缩包中有两个同名"), (None, "")]
    assert sources[1].read(10) == b"second"


def test_too_many_members(tmp_path):
    _zip(tmp_path / "input" / "办公室_佐证材料.zip", {f"1.1_{i}.jpg": b"x" for i in range(6)})
    sources, _ = _find(tmp_path / "input", {}, max_members=5)
    assert _rows(sources) == [("办公室", "办公室_佐证材料.zip", None, "evidence.unreadable")]
    assert sources[0].member is None and "文件过多（6个，上限5个）" in sources[0].reason
    assert sources[0].origin == tmp_path / "input" / "办公室_佐证材料.zip"
    assert len(_find(tmp_path / "input", {}, max_members=6)[0]) == 6


def test_declared_size_bomb(tmp_path):
    z = _zip(tmp_path / "input" / "办公室_佐证材料.zip", {"1.1_a.jpg": b"a", "1.1_b.jpg": b"b"})
    _patch(z, b"1.1_b.jpg", size=0xF0000000, local=False)     # declares 3.75 GB
    sources, _ = _find(tmp_path / "input", {})
    assert _rows(sources) == [("办公室", "办公室_佐证材料.zip", None, "evidence.unreadable")]
    assert "解压后过大" in sources[0].reason and "上限500 MB" in sources[0].reason
    z2 = _zip(tmp_path / "in2" / "办公室_佐证材料.zip", {"1.1_a.jpg": b"a" * 600, "1.1_b.jpg": b"b" * 500})
    assert _rows(_find(z2.parent, {}, max_total=1100)[0]) == [("办公室", "1.1_a.jpg", "1.1", None),
                                                             ("办公室", "1.1_b.jpg", "1.1", None)]
    assert _rows(_find(z2.parent, {}, max_total=1099)[0]) == [("办公室", "办公室_佐证材料.zip", None,
                                                              "evidence.unreadable")]


def test_read_stops_once_more_than_the_limit_inflates(tmp_path):
    big = 5 * 1024 * 1024
    z = _zip(tmp_path / "input" / "办公室_佐证材料.zip", {"1.1_zero.bin": bytes(big), "1.1_liar.bin": bytes(big)})
    _patch(z, b"1.1_liar.bin", size=1000)          # the header says 1000 bytes; it inflates to 5 MB
    sources, _ = _find(tmp_path / "input", {})
    liar, zero = sources
    assert (liar.path, liar.size, zero.path, zero.size) == ("1.1_liar.bin", 1000, "1.1_zero.bin", big)
    with pytest.raises(TooLarge):
        zero.read(1024 * 1024)
    assert len(zero.read(big)) == big
    with pytest.raises(TooLarge):
        zero.read(big - 1)
    with pytest.raises(OSError):                   # never more than it declared, and then the CRC fails
        liar.read(1024 * 1024)


def test_corrupt_zip(tmp_path):
    inp = tmp_path / "input"
    _touch(inp / "办公室_佐证材料.zip", b"PK\x03\x04 this is no zip at all")
    good = _zip(inp / "机关党委_佐证材料.zip", {"1.1_a.jpg": b"a" * 1000})
    (inp / "党委办_佐证.zip").write_bytes(good.read_bytes()[:-30])        # truncated
    sources, warns = _find(inp, {})
    assert warns == []
    assert _rows(sources) == [("办公室", "办公室_佐证材料.zip", None, "evidence.unreadable"),
                              ("机关党委", "1.1_a.jpg", "1.1", None),
                              ("机关党委", "党委办_佐证.zip", None, "evidence.unreadable")]
    assert sources[0].reason.startswith("压缩包已损坏") and sources[0].size == 26
    with pytest.raises(OSError):
        sources[0].read(100)


# --- hostile folders --------------------------------------------------------------------------

@posix_only
def test_symlinks_are_never_followed(tmp_path, monkeypatch):
    inp = tmp_path / "input"
    outside = _touch(tmp_path / "outside" / "1.1_secret.jpg", b"secret")
    _zip(tmp_path / "outside" / "z.zip", {"1.1_x.jpg": b"x"})
    wb = _touch(inp / "办公室" / "办公室.xlsx")
    ev = inp / "办公室" / "佐证材料"
    _touch(ev / "1.1_real.jpg", b"real")
    os.symlink("/etc/passwd", ev / "1.1_passwd.jpg")
    os.symlink(outside.parent, ev / "1.2")
    os.symlink(ev / "1.1_real.jpg", ev / "1.1_inside_link.jpg")    # even inside: a link is skipped
    os.symlink(tmp_path / "nowhere", ev / "1.1_dangling.jpg")
    os.symlink(ev / "loop", ev / "loop")
    wb2 = _touch(inp / "机关党委" / "机关党委.xlsx")
    os.symlink(outside.parent, inp / "机关党委" / "佐证材料")
    os.symlink(tmp_path / "outside" / "z.zip", inp / "办公室_佐证材料.zip")
    touched = []
    real_stat, real_open = os.stat, os.open
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: touched.append(os.fspath(p)) or real_stat(p, *a, **k))
    monkeypatch.setattr(os, "open", lambda p, *a, **k: touched.append(os.fspath(p)) or real_open(p, *a, **k))
    sources, warns = _find(inp, {wb: "办公室", wb2: "机关党委"})
    assert _rows(sources) == [("办公室", "1.1_real.jpg", "1.1", None)] and warns == []
    assert not [p for p in touched if "passwd" in p or "outside" in p or "link" in p or "z.zip" in p
                or "dangling" in p or "loop" in p or "机关党委" in p]
    src = Source("办公室", "1.1_passwd.jpg", "1.1", 0, ev / "1.1_passwd.jpg")   # one made up: read refuses the link
    with pytest.raises(OSError):
        src.read(10_000)


def _in_thread(fn, timeout=10.0):
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:         # noqa: BLE001 - handed back to the test
            out["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "blocked (opened a FIFO?)"
    return out


@posix_only
def test_fifos_are_skipped_without_blocking(tmp_path):
    inp = tmp_path / "input"
    wb = _touch(inp / "办公室.xlsx")
    _touch(inp / "佐证材料" / "1.1_a.jpg", b"a")
    os.mkfifo(inp / "佐证材料" / "1.1_pipe.jpg")
    os.mkfifo(inp / "机关党委_佐证材料.zip")         # a zip by name: would block if opened
    out = _in_thread(lambda: _find(inp, {wb: "办公室"}))
    sources, warns = out["value"]
    assert _rows(sources) == [("办公室", "1.1_a.jpg", "1.1", None)] and warns == []
    # a file swapped for a FIFO after the listing: read refuses it, it does not block
    (inp / "佐证材料" / "1.1_a.jpg").unlink()
    os.mkfifo(inp / "佐证材料" / "1.1_a.jpg")
    out = _in_thread(lambda: sources[0].read(100))
    assert isinstance(out.get("error"), OSError)


def test_hidden_and_lock_files_are_skipped(tmp_path):
    inp = tmp_path / "input"
    wb = _touch(inp / "办公室.xlsx")
    ev = inp / "佐证材料"
    for name in (".hidden.jpg", "~$1.1_会议纪要.docx", "Thumbs.db", "desktop.ini", ".DS_Store",
                 ".git/1.1_x.jpg", "__MACOSX/1.1/._a.jpg", "1.1/.~lock.x#"):
        _touch(ev / name)
    _touch(ev / "1.1" / "a.jpg")
    _touch(inp / ".备份" / "办公室_佐证材料.zip")           # a hidden folder is not looked into
    sources, warns = _find(inp, {wb: "办公室"})
    assert _rows(sources) == [("办公室", "1.1/a.jpg", "1.1", None)] and warns == []


@posix_only
def test_names_that_are_not_utf8_on_disk(tmp_path):
    inp = tmp_path / "input"
    wb = _touch(inp / "办公室.xlsx")
    ev = os.fsencode(inp / EVIDENCE_FOLDER)
    os.makedirs(ev + b"/" + "指标2.1".encode("gbk"))
    for name, data in (("1.2_照片.jpg", b"gbk photo"), ("指标2.1/现场.jpg", b"in a gbk folder")):
        with open(ev + b"/" + name.encode("gbk"), "wb") as f:
            f.write(data)
    try:
        os.listdir(ev)
    except OSError:                            # a file system that refuses such names
        pytest.skip("file system does not keep non-UTF-8 names")
    sources, warns = _find(inp, {wb: "办公室"})
    assert warns == []
    assert _rows(sources) == [("办公室", "1.2_照片.jpg", "1.2", None), ("办公室", "指标2.1/现场.jpg", "2.1", None)]
    assert os.fsencode(sources[0].origin).endswith("1.2_照片.jpg".encode("gbk"))
    assert [s.read(100) for s in sources] == [b"gbk photo", b"in a gbk folder"]
    assert is_evidence_path(sources[1].origin, inp)
