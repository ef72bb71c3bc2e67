"""The offline bundle (CONTRACT §16, tools/bundle.py, scorecard/installer.py).

The wheel set resolves for every platform and Python it is for; an install from the bundle into a
fresh folder whose path has Chinese characters and spaces, with the network cut (`unshare -rn`),
runs the samples. Building the bundle downloads ~200 MB of wheels once into the cache
(~/.cache/scorecard/wheels/<hash of requirements.txt>, or SCORECARD_WHEEL_CACHE), so CI pays it
once; without network and without that cache, or without a network namespace, these tests skip.
The install and run take about a minute. What is not emulated: install.bat itself (cmd).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from scorecard import installer
from scorecard.version import __version__

sys.path.insert(0, str(ROOT / "tools"))
import bundle  # noqa: E402


BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)     # not this venv's: a fresh one is made


def _sandbox_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def needs_sandbox(test):
    """The install test: only where a process can be given no network (CI here runs as root)."""
    test = pytest.mark.network_sandbox(test)
    return pytest.mark.skipif(not _sandbox_works(), reason="no network namespace (unshare -rn)")(test)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """dist/scorecard-<version>-offline.zip, built into a scratch folder (wheels from the cache)."""
    if not (bundle.cache_dir() / ".complete").is_file():
        try:
            import socket
            socket.create_connection(("pypi.org", 443), timeout=5).close()
        except OSError:
            pytest.skip("no wheel cache and no network to fill it")
    try:
        return bundle.build(tmp_path_factory.mktemp("dist"))
    except bundle.BundleError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def unpacked(built, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("offline") / "创建办 测评工具" / "第 1 版"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(built) as z:
        z.extractall(folder)
    (folder / "install.sh").chmod(0o755)
    return folder


def test_the_bundle_is_named_after_the_one_version(built):
    assert built.name == f"scorecard-{__version__}-offline.zip"
    version = subprocess.run([sys.executable, str(ROOT / "process.py"), "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"scorecard {__version__}"


def test_the_bundle_holds_the_program_and_never_the_offices_own_files(built):
    with zipfile.ZipFile(built) as z:
        names = set(z.namelist())
        bat, guide = z.read("install.bat"), z.read("安装说明.txt")
        mode = z.getinfo("install.sh").external_attr >> 16
    assert {"process.py", "requirements.txt", "README.md", "install.sh", "install.bat", "安装说明.txt",
            "scorecard/cli.py", "scorecard/installer.py", "defaults/rules.yaml", "defaults/templates/汇总报告.docx",
            "defaults/templates/mail/report.txt.j2", "docs/操作手册.md", "deploy/windows/scorecard.cmd",
            "examples/input/办公室.xlsx"} <= names
    # Unzipping a newer bundle over an older one cannot overwrite what the office has made its own.
    assert not any(n == "rules.yaml" or n.startswith(("templates/", "input/", "output/")) for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    assert mode & 0o111
    assert b"\n" not in bat.replace(b"\r\n", b"") and "未找到 Python" in bat.decode("gbk")     # cmd, code page 936
    text = guide.decode("utf-8-sig")
    assert guide.startswith(b"\xef\xbb\xbf") and "\r\n" in text
    for words in ("Python 3.11", "install.bat", "input", "output", "rules.yaml", "升级", "ledger.sqlite3"):
        assert words in text, words
    wheels = [n for n in names if n.startswith("wheels/") and n.endswith(".whl")]
    assert any("win_amd64" in n for n in wheels) and any("manylinux" in n for n in wheels)


@pytest.mark.parametrize("platform,python", bundle.TARGETS)
def test_the_wheel_set_resolves_offline(unpacked, platform, python):
    problem = bundle.resolves(unpacked / "wheels", platform, python, unpacked / "requirements.txt")
    assert problem == "", problem


@needs_sandbox
def test_install_and_run_with_the_network_cut(unpacked):
    def offline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["unshare", "-rn", *args], cwd=unpacked, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHON": BASE_PYTHON})
    p = offline("sh", str(unpacked / "install.sh"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "安装完成" in p.stdout and "规则文件有效" in p.stdout
    assert (unpacked / "rules.yaml").read_bytes() == (unpacked / "defaults" / "rules.yaml").read_bytes()
    assert (unpacked / "input" / "办公室.xlsx").is_file()
    p = offline(str(unpacked / ".venv" / "bin" / "python"), "process.py", "run")
    assert p.returncode == 0, p.stdout + p.stderr
    round_dir = unpacked / "output" / "2026年第四季度"
    summary = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["departments"]) == 14
    assert (round_dir / "汇总报告.docx").stat().st_size > 10_000
    assert len(list((round_dir / "部门报告").glob("*.docx"))) == 14
    assert (unpacked / "output" / "ledger.sqlite3").is_file()


# --- upgrades keep the office's files (scorecard/installer.place_defaults) -----------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_upgrade_keeps_rules_input_output_and_edited_templates(tmp_path):
    app = tmp_path / "创建办 工具"
    (app / "defaults" / "templates" / "mail").mkdir(parents=True)
    (app / "examples" / "input").mkdir(parents=True)
    (app / "defaults" / "rules.yaml").write_text("version: 1  # 1.0\n", encoding="utf-8")
    (app / "defaults" / "templates" / "汇总报告.docx").write_bytes(b"summary 1.0")
    (app / "defaults" / "templates" / "mail" / "report.txt.j2").write_text("mail 1.0", encoding="utf-8")
    (app / "examples" / "input" / "示例.xlsx").write_bytes(b"sample")
    said = installer.place_defaults(app)                        # the first install
    assert (app / "rules.yaml").read_text(encoding="utf-8") == "version: 1  # 1.0\n"
    assert (app / "input" / "示例.xlsx").is_file() and (app / "output").is_dir() and len(said) == 2
    # The office at work: its own rules, one template edited, its submissions, a round and the ledger.
    (app / "rules.yaml").write_text("version: 1  # 本单位\n", encoding="utf-8")
    (app / "templates" / "汇总报告.docx").write_bytes(b"summary, the office's letterhead")
    (app / "input" / "示例.xlsx").unlink()
    (app / "input" / "办公室.xlsx").write_bytes(b"real")
    (app / "output" / "第一轮").mkdir()
    (app / "output" / "ledger.sqlite3").write_bytes(b"ledger")
    kept = {p: _sha(p) for p in (app / "rules.yaml", app / "templates" / "汇总报告.docx",
                                 app / "input" / "办公室.xlsx", app / "output" / "ledger.sqlite3")}
    # Version 1.1 unpacked over it: new defaults, new samples.
    (app / "defaults" / "rules.yaml").write_text("version: 1  # 1.1\n", encoding="utf-8")
    (app / "defaults" / "templates" / "汇总报告.docx").write_bytes(b"summary 1.1")
    (app / "defaults" / "templates" / "mail" / "report.txt.j2").write_text("mail 1.1", encoding="utf-8")
    (app / "defaults" / "templates" / "部门报告.docx").write_bytes(b"department 1.1")
    (app / "examples" / "input" / "示例2.xlsx").write_bytes(b"sample 2")
    said = installer.place_defaults(app)
    assert {p: _sha(p) for p in kept} == kept                   # rules, edited template, input, ledger
    assert (app / "output" / "第一轮").is_dir()
    assert sorted(p.name for p in (app / "input").iterdir()) == ["办公室.xlsx"]          # no samples again
    assert (app / "templates" / "mail" / "report.txt.j2").read_text(encoding="utf-8") == "mail 1.1"  # unedited
    assert (app / "templates" / "部门报告.docx").read_bytes() == b"department 1.1"        # new
    assert any("汇总报告.docx" in line for line in said) and any("rules.yaml" in line for line in said)
    said = installer.place_defaults(app)                        # the installer run twice: same result
    assert {p: _sha(p) for p in kept} == kept


def test_install_sh_refuses_a_python_it_has_no_wheels_for(tmp_path):
    """Python 3.13 alone on the PATH: the bundle has no wheels for it; nothing is created."""
    app, bin_dir = tmp_path / "app", tmp_path / "bin"
    app.mkdir()
    bin_dir.mkdir()
    shutil.copy(ROOT / "deploy" / "offline" / "install.sh", app / "install.sh")
    python313 = shutil.which("python3.13") or "/root/.pyenv/versions/3.13.0/bin/python3.13"
    if not Path(python313).is_file():
        pytest.skip("no Python 3.13 here")
    (bin_dir / "python3").symlink_to(python313)
    p = subprocess.run(["/bin/sh", str(app / "install.sh")], capture_output=True, text=True,
                       env={"PATH": str(bin_dir)})
    assert p.returncode == 1 and "3.11 或 3.12" in p.stderr
    assert not (app / ".venv").exists()


def test_a_wheel_for_an_older_glibc_is_also_tagged_manylinux_2_28(tmp_path):
    wheel = tmp_path / "calc-1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    meta = "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux2014_x86_64\n" \
           "Tag: cp311-cp311-manylinux_2_17_x86_64\n"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("calc/__init__.py", "X = 1\n")
        z.writestr("calc-1.0.dist-info/WHEEL", meta)
        z.writestr("calc-1.0.dist-info/RECORD", "calc/__init__.py,sha256=abc,6\ncalc-1.0.dist-info/WHEEL,sha256=old,9\n"
                                               "calc-1.0.dist-info/RECORD,,\n")
    new = bundle.retag(wheel)
    assert new.name == "calc-1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"
    assert not wheel.exists()
    with zipfile.ZipFile(new) as z:
        wheel_meta = z.read("calc-1.0.dist-info/WHEEL")
        record = z.read("calc-1.0.dist-info/RECORD").decode()
        assert z.read("calc/__init__.py") == b"X = 1\n"
    assert b"Tag: cp311-cp311-manylinux_2_28_x86_64" in wheel_meta and b"manylinux_2_17" in wheel_meta
    digest = base64.urlsafe_b64encode(hashlib.sha256(wheel_meta).digest()).rstrip(b"=").decode()
    assert f"calc-1.0.dist-info/WHEEL,sha256={digest},{len(wheel_meta)}" in record
    assert "calc/__init__.py,sha256=abc,6" in record
    for other in ("calc-1.0-cp311-cp311-win_amd64.whl", "calc-1.0-py3-none-any.whl",
                  "calc-1.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"):
        (tmp_path / other).write_bytes(b"")
        assert bundle.retag(tmp_path / other) == tmp_path / other       # already fine: untouched


def test_make_bundle_is_a_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "bundle:" in makefile and "tools/bundle.py" in makefile
