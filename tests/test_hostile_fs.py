"""Hostile file systems and faults (issue 18): nothing hangs, nothing stops every run, every stop
says what to do. FIFOs, device links, GBK names, sparse files, deep trees, link loops, links out of
the input folder, damaged and busy ledgers, full and read-only output folders, killed runs."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, SMALL_RULES, filled
from test_pipeline import CJK, cli

ROUND = "第一轮"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


def summary(out: Path) -> dict:
    return json.loads((out / ROUND / "summary.json").read_text(encoding="utf-8"))


def by_name(s: dict) -> dict:
    return {x["file"].rsplit("/", 1)[-1]: x for x in s["submissions"]}


def process(*args, timeout=120, umask=None, env=None, **kwargs):
    """process.py in its own process, bounded in time (a hang fails the test instead of the suite)."""
    def preexec():
        if umask is not None:
            os.umask(umask)
    return subprocess.run([sys.executable, str(ROOT / "process.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})}, preexec_fn=preexec if os.name != "nt" else None,
                          **kwargs)


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if ".staging-" in p.name or ".old-" in p.name
                  or p.name.endswith(".part"))


# --- what the input folder holds --------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifos_and_device_links_never_block_a_run(site):
    inp, out = site["inp"], site["out"]
    os.mkfifo(inp / "fifo.xlsx")
    os.mkfifo(inp / ".hidden.xlsx")
    os.mkfifo(inp / "~$b.xlsx")
    (inp / "z.xlsx").symlink_to("/dev/zero")
    (inp / "sub").mkdir()
    os.mkfifo(inp / "sub" / "pipe")
    (inp / "to_pipe.xlsx").symlink_to(inp / "sub" / "pipe")
    p = process("run", *site["args"], timeout=60)
    assert p.returncode == 0, p.stderr
    got = by_name(summary(out))
    assert got["a.xlsx"]["status"] == "accepted"
    for name, rule in (("fifo.xlsx", "file.not_regular"), ("pipe", "file.not_regular"),
                       ("to_pipe.xlsx", "file.not_regular"),
                       ("z.xlsx", "file.outside_input")):
        assert got[name]["status"] == "rejected", name
        assert [f["rule"] for f in got[name]["findings"]] == [rule], name
        assert got[name]["returned"] is None and CJK.search(got[name]["findings"][0]["message"])
    assert got[".hidden.xlsx"]["status"] == got["~$b.xlsx"]["status"] == "ignored"
    assert not (out / ROUND / "退回").exists()          # nothing to mark up: no annotated copy


def test_a_fifo_named_like_a_workbook_is_refused(site):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    os.mkfifo(site["inp"] / "b.xlsx")
    p = process("run", *site["args"], timeout=60)
    assert p.returncode == 0, p.stderr
    got = by_name(summary(site["out"]))["b.xlsx"]
    assert [f["rule"] for f in got["findings"]] == ["file.not_regular"] and got["returned"] is None


def test_links_are_followed_only_inside_the_input_folder(site, small_rules, tmp_path):
    inp, out = site["inp"], site["out"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    filled(small_rules, "机关党委").save(elsewhere / "b.xlsx")
    (inp / "out.xlsx").symlink_to(elsewhere / "b.xlsx")           # a file outside
    (inp / "outdir").symlink_to(elsewhere)                        # a folder outside
    (inp / "loop1.xlsx").symlink_to(inp / "loop2.xlsx")
    (inp / "loop2.xlsx").symlink_to(inp / "loop1.xlsx")
    (inp / "dangling.xlsx").symlink_to(inp / "nowhere.xlsx")
    (inp / "real").mkdir()
    filled(small_rules, "登记注册科").save(inp / "real" / "c.xlsx")
    (inp / "inside.xlsx").symlink_to(inp / "real" / "c.xlsx")      # inside: followed
    (inp / "real" / "up").symlink_to(inp)                          # a folder loop through a link
    p = cli("run", *site["args"])
    assert p.returncode == 0, p.stderr
    got = by_name(summary(out))
    assert got["inside.xlsx"]["status"] in ("accepted", "superseded")
    assert got["c.xlsx"]["department"] == "登记注册科"
    for name, rule in (("out.xlsx", "file.outside_input"), ("outdir", "file.outside_input"),
                       ("loop1.xlsx", "file.not_regular"), ("loop2.xlsx", "file.not_regular"),
                       ("dangling.xlsx", "file.not_regular")):
        assert [f["rule"] for f in got[name]["findings"]] == [rule], name
        assert got[name]["status"] == "rejected" and got[name]["returned"] is None, name
        assert "file.vanished" not in json.dumps(got[name])
    assert "机关党委" not in {x["department"] for x in summary(out)["submissions"]}   # never read
    assert not (out / ROUND / "退回").exists()


def test_a_file_name_that_is_not_utf8_is_read(site, small_rules):
    inp, out = site["inp"], site["out"]
    gbk = os.fsdecode(os.fsencode(inp) + b"/" + "机关党委".encode("gbk") + b".xlsx")
    filled(small_rules, "机关党委").save(gbk)
    folder = os.fsdecode(os.fsencode(inp) + b"/" + "子目录".encode("gbk"))
    os.mkdir(folder)
    filled(small_rules, "登记注册科").save(os.path.join(folder, os.fsdecode(b"\xff\xfe.xlsx")))
    p = cli("run", *site["args"])
    assert p.returncode == 0, p.stderr
    s = summary(out)
    got = {x["department"]: x for x in s["submissions"]}
    assert got["机关党委"]["status"] == "accepted" and got["机关党委"]["file"].endswith("机关党委.xlsx")
    assert got["登记注册科"]["status"] == "accepted" and "子目录/" in got["登记注册科"]["file"]
    again = cli("run", *site["args"])
    assert again.returncode == 0 and "未重新处理" in again.stdout     # the key is made of the name's bytes


def test_a_folder_nested_1500_deep_is_walked(site, small_rules):
    inp = site["inp"]
    here = os.getcwd()
    try:
        os.chdir(inp)
        for _ in range(1500):
            os.mkdir("d")
            os.chdir("d")
        filled(small_rules, "机关党委").save("deep.xlsx")
    finally:
        os.chdir(here)
    try:
        started = time.monotonic()
        p = process("run", *site["args"], timeout=120)
        assert p.returncode == 0, p.stderr
        assert time.monotonic() - started < 60
        got = by_name(summary(site["out"]))["deep.xlsx"]
        assert got["status"] == "accepted" and got["file"].split("/").count("d") == 1500
    finally:
        _remove_deep(inp / "d")


def _remove_deep(top: Path) -> None:
    """shutil.rmtree (and so pytest's clean-up) recurses: remove the tree bottom up, iteratively."""
    here = os.getcwd()
    try:
        os.chdir(top)
        depth = 0
        while os.path.isdir("d"):
            os.chdir("d")
            depth += 1
        for _ in range(depth + 1):
            for name in os.listdir("."):
                (shutil.rmtree if os.path.isdir(name) and not os.path.islink(name) else os.unlink)(name)
            os.chdir("..")
        os.rmdir(top)
    finally:
        os.chdir(here)


def test_a_sparse_8gb_file_is_refused_by_its_size_without_being_read(site):
    big = site["inp"] / "big.xlsx"
    with open(big, "wb") as fh:
        fh.truncate(8 * 1024 ** 3)
    started = time.monotonic()
    p = process("run", *site["args"], timeout=60)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - started < 15
    got = by_name(summary(site["out"]))["big.xlsx"]
    assert [f["rule"] for f in got["findings"]] == ["file.too_large"]


def test_hashing_stops_when_a_stop_is_asked_for(tmp_path):
    from scorecard import stopping
    from scorecard.fsutil import file_sha256

    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * (8 << 20))
    stopping.request()
    try:
        with pytest.raises(stopping.StopRequested):
            file_sha256(path)
    finally:
        stopping.clear()
    assert file_sha256(path)


# --- cells longer than Excel allows ------------------------------------------------------------

def _long_cell_book(path: Path, rules, length: int, rich: bool = False, entities: bool = False):
    """A department's workbook whose H5 holds `length` characters (written into the XML itself:
    openpyxl cuts a longer string to Excel's limit), as one text or as two rich-text runs."""
    import zipfile

    wb = filled(rules, "办公室")
    wb["自评表"]["H5"] = "LONGCELL"
    wb.save(path)
    half = length // 2
    char = "&#38382;" if entities else "问"
    text = ("<r><rPr><b/></rPr><t>" + char * half + "</t></r><r><t>" + "题" * (length - half) + "</t></r>"
            if rich else "<t>" + char * length + "</t>")
    with zipfile.ZipFile(path) as zf:
        parts = {info: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts.items():
            if b"LONGCELL" in data:
                data = data.replace(b"<t>LONGCELL</t>", text.encode()).replace(b"LONGCELL", text.encode())
            zf.writestr(info, data)
    return path


def test_a_cell_over_32767_characters_is_refused_while_streaming(small_rules, tmp_path, monkeypatch):
    from scorecard import workbook
    from scorecard.checking import check_file

    for entities in (False, True):      # exactly Excel's limit: accepted, however the XML spells it
        ok = check_file(_long_cell_book(tmp_path / "ok.xlsx", small_rules, 32767, entities=entities), small_rules)
        assert "cell.too_long" not in [f.rule for f in ok.findings], entities

    def no_reader(*args, **kwargs):
        raise AssertionError("the strings were built: the reader ran on a refused file")

    monkeypatch.setattr(workbook, "_calamine_sheets", no_reader)
    monkeypatch.setattr(workbook, "_openpyxl_book", no_reader)
    for name, length, rich, entities in (("long.xlsx", 1_000_000, False, False), ("edge.xlsx", 32768, False, False),
                                         ("escaped.xlsx", 32768, False, True), ("rich.xlsx", 40000, True, False)):
        c = check_file(_long_cell_book(tmp_path / name, small_rules, length, rich, entities), small_rules)
        assert [f.rule for f in c.findings] == ["cell.too_long"], name
        assert "32,767" in c.findings[0].message and CJK.search(c.findings[0].message)


def test_a_long_cell_is_rejected_with_bounded_memory(small_rules, tmp_path):
    """A 1M-character cell in a subprocess: the peak stays far below what building the strings
    took (1,246 MB), and the annotated copy does not re-parse the file."""
    path = _long_cell_book(tmp_path / "long.xlsx", small_rules, 1_000_000)
    code = ("import resource, sys; sys.path.insert(0, sys.argv[1]);"
            "from scorecard.rules import parse_rules; from scorecard.checking import check_file;"
            "from conftest import SMALL_RULES;"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            "c = check_file(__import__('pathlib').Path(sys.argv[2]), parse_rules(SMALL_RULES, 'r.yaml'));"
            "print(c.findings[0].rule, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    resource = pytest.importorskip("resource")
    assert resource
    p = subprocess.run([sys.executable, "-c", code, str(ROOT), str(path)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT / "tests", env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    rule, grown_kb = p.stdout.split()
    assert rule == "cell.too_long", p.stderr
    assert int(grown_kb) < 100 * 1024, grown_kb           # KiB on Linux


# --- folders -----------------------------------------------------------------------------------

def test_an_output_folder_that_is_or_is_inside_or_contains_the_input_is_a_usage_error(site, tmp_path):
    inp = site["inp"]
    base = ["--rules", str(site["rules"])]
    for output, input_dir in ((inp, inp), (inp / "out", inp), (tmp_path, inp)):
        p = cli("run", *base, "--input", str(input_dir), "--output", str(output))
        assert p.returncode == 2, (output, p.stderr)
        assert "输出文件夹" in p.stderr and "--output" in p.stderr
    assert not (inp / "out").exists() and not (inp / "ledger.sqlite3").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("mask, folder, file", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_outputs_follow_the_umask(site, mask, folder, file):
    p = process("run", *site["args"], umask=mask)
    assert p.returncode == 0, p.stderr
    out = site["out"]
    paths = [out, *out.rglob("*")]
    assert any(p.name == "核定表.xlsx" for p in paths) and any(p.name == "问题清单.xlsx" for p in paths)
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (folder if path.is_dir() else file), (path, oct(mode))


# --- the ledger --------------------------------------------------------------------------------

def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif how == "truncated":
        path.write_bytes(data[:len(data) // 3])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "missing":
        path.unlink()


@pytest.mark.parametrize("how", ["garbage", "truncated", "empty", "missing"])
def test_a_damaged_ledger_stops_with_exit_3_and_the_way_back(site, small_rules, how):
    out = site["out"]
    assert cli("run", *site["args"]).returncode == 0
    filled(small_rules, "机关党委").save(site["inp"] / "b.xlsx")
    assert cli("run", *site["args"]).returncode == 0
    assert (out / "ledger.last-good.sqlite3").is_file()
    before = sorted(p.name for p in (out / ROUND).rglob("*"))
    ledger = out / "ledger.sqlite3"
    _damage(ledger, how)
    p = process("run", *site["args"])
    assert p.returncode == 3, p.stderr
    assert "Traceback" not in p.stderr and "台账" in p.stderr and str(ledger) in p.stderr
    assert "ledger restore" in p.stderr
    assert sorted(p.name for p in (out / ROUND).rglob("*")) == before      # nothing rewritten
    if how != "missing":
        assert ledger.stat().st_size == (0 if how == "empty" else ledger.stat().st_size)   # not rebuilt
    assert process("status", "--output", str(out)).returncode in (0, 3)
    r = process("ledger", "restore", "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert "已用备份" in r.stdout
    if how != "missing":
        assert list(out.glob("ledger.sqlite3.damaged-*"))                 # kept aside, not deleted
    again = cli("run", *site["args"])
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(ledger) as conn:                                   # the history is back
        assert conn.execute("SELECT count(*) FROM runs WHERE outcome = 'ok'").fetchone()[0] >= 2


def test_the_watcher_says_the_ledger_is_damaged_and_once_exits_3(site):
    assert cli("run", *site["args"]).returncode == 0
    (site["out"] / "ledger.sqlite3").write_bytes(b"not a database at all" * 100)
    (site["inp"] / "a.xlsx").touch()
    p = cli("watch", "--once", "--settle", "0", "--interval", "0.05", *site["args"])
    assert p.returncode == 3, p.stderr
    assert "ledger restore" in p.stderr and "Traceback" not in p.stderr


def test_restore_without_a_backup_says_what_to_do(site):
    site["out"].mkdir()
    p = process("ledger", "restore", "--output", str(site["out"]))
    assert p.returncode == 3 and "没有可用的台账备份" in p.stderr


def test_a_ledger_held_by_another_writer_waits_then_exits_75(site):
    out = site["out"]
    assert cli("run", *site["args"]).returncode == 0
    holder = sqlite3.connect(out / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        p = process("run", "--force", *site["args"], env={"SCORECARD_LEDGER_WAIT": "1"}, timeout=60)
        took = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert p.returncode == 75, p.stderr
    assert "占用" in p.stderr and "Traceback" not in p.stderr and took < 30
    assert cli("run", *site["args"]).returncode == 0


# --- output folders that cannot be written -------------------------------------------------------

@contextmanager
def _tmpfs(where: Path, size: str, *, read_only: bool = False):
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _can_mount() -> bool:
    return ROOT_USER and shutil.which("mount") is not None and sys.platform.startswith("linux")


@pytest.mark.skipif(not _can_mount(), reason="a full disk is made with a small tmpfs, which needs root")
def test_a_full_disk_exits_4_and_leaves_nothing_behind(site, tmp_path):
    stops = 0
    for size in ("64k", "160k", "320k", "640k", "1m"):
        with _tmpfs(tmp_path / f"small-{size}", size) as mount:
            out = mount / "out"
            p = process("run", *site["args"][:-1], str(out))
            assert p.returncode in (0, 4), (size, p.returncode, p.stderr)
            assert "Traceback" not in p.stderr and "Logging error" not in p.stderr, size
            if p.returncode == 4:
                stops += 1
                assert "磁盘空间不足" in p.stderr and "Errno" not in p.stderr, size
                assert len([line for line in p.stderr.splitlines() if line.startswith("错误：")]) == 1
            assert leftovers(out) == [], size
            if (out / ROUND).exists():
                assert not list((out / ROUND).rglob("*.part")), size
            if p.returncode == 4:           # space freed: the next run completes (no half-made ledger)
                subprocess.run(["mount", "-o", "remount,size=16m", str(mount)], check=True)
                again = process("run", *site["args"][:-1], str(out))
                assert again.returncode == 0, (size, again.stderr)
    assert stops >= 2


def test_disk_full_while_writing_reports_exits_4(site, monkeypatch):
    """The same stop without root: the write fails as on a full disk."""
    import errno

    import scorecard.stages

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(scorecard.stages, "write_reports", full)
    p = cli("run", *site["args"])
    assert p.returncode == 4 and "磁盘空间不足" in p.stderr
    assert leftovers(site["out"]) == [] and not (site["out"] / ROUND).exists()


def test_a_read_only_output_folder_exits_4(site, tmp_path):
    out = site["out"]
    assert cli("run", *site["args"]).returncode == 0
    (site["inp"] / "a.xlsx").touch()
    if _can_mount():
        ro = tmp_path / "ro"
        with _tmpfs(ro, "20m"):
            shutil.copytree(out, ro / "out")
            subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
            p = process("run", "--force", *site["args"][:-1], str(ro / "out"))
    elif ROOT_USER:
        pytest.skip("root ignores permissions and cannot mount here")
    else:
        for path in [out, *out.rglob("*")]:
            if path.is_dir():
                path.chmod(0o555)
        try:
            p = process("run", "--force", *site["args"])
        finally:
            for path in [out, *out.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
    assert p.returncode == 4, (p.returncode, p.stderr)
    assert "输出目录不可写" in p.stderr
    assert "Logging error" not in p.stderr and "Traceback" not in p.stderr


# --- killed runs ---------------------------------------------------------------------------------

@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_five_kills_while_a_round_is_staged_then_a_clean_run(site, small_rules):
    inp, out = site["inp"], site["out"]
    for name in ("机关党委", "登记注册科"):
        filled(small_rules, name).save(inp / f"{name}.xlsx")
    assert cli("run", *site["args"]).returncode == 0
    kills = 0
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, str(ROOT / "process.py"), "run", "--force", *site["args"]],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(".staging-" in p.name for p in out.iterdir()):
                time.sleep(0.05 * attempt)          # killed at a different moment each time
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.005)
        proc.wait(30)
    assert kills >= 3, "the runs ended before a round folder was staged"
    p = cli("run", "--force", *site["args"])
    assert p.returncode == 0, p.stderr
    assert leftovers(out) == []
    assert summary(out)["round"] == ROUND
    assert not [p for p in (out / ROUND).rglob("*.part")]


def test_rendering_stops_between_reports_when_a_stop_is_asked_for():
    from scorecard import reports, stopping

    stopping.request()
    try:
        with pytest.raises(stopping.StopRequested):
            reports._render_departments([("办公室", "unused.docx")], b"")
    finally:
        stopping.clear()


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM")
def test_sigterm_stops_a_run_and_leaves_the_previous_outputs(site, small_rules):
    """Many files to hash and read: the first SIGTERM stops the run within seconds, nothing swapped in."""
    inp, out = site["inp"], site["out"]
    assert cli("run", *site["args"]).returncode == 0
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (out / ROUND).rglob("*"))
    book = (inp / "a.xlsx").read_bytes()
    for n in range(300):
        (inp / f"copy{n:03d}.xlsx").write_bytes(book)
    proc = subprocess.Popen([sys.executable, str(ROOT / "process.py"), "run", "--workers", "1", *site["args"]],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 20
    assert proc.returncode != 0 and "Traceback" not in err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (out / ROUND).rglob("*")) == before
    assert leftovers(out) == []


def test_what_a_killed_run_left_is_cleaned_and_a_half_swapped_round_put_back(tmp_path):
    from scorecard.fsutil import clean_left_behind

    out = tmp_path / "out"
    (out / ".第一轮.staging-0a1b2c").mkdir(parents=True)
    (out / ".第一轮.staging-0a1b2c" / "汇总报告.docx").write_bytes(b"")
    (out / ".第二轮.old-9f8e7d").mkdir()                      # killed between the swap's two renames
    (out / ".第二轮.old-9f8e7d" / "summary.json").write_text("{}", encoding="utf-8")
    (out / "第三轮").mkdir()
    (out / ".第三轮.old-123456").mkdir()                      # the new round is in place: the old copy goes
    (out / "第三轮" / ".核定表.xlsx.x1y2.part").write_bytes(b"half")
    (out / ".ledger.last-good.sqlite3.part").write_bytes(b"half")
    (out / "ledger.sqlite3").write_bytes(b"kept")
    clean_left_behind(out)
    assert sorted(p.name for p in out.iterdir()) == ["ledger.sqlite3", "第三轮", "第二轮"]
    assert (out / "第二轮" / "summary.json").is_file() and not list((out / "第三轮").iterdir())
