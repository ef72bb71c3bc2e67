"""`make bundle`: dist/scorecard-<version>-offline.zip, to install on a machine with no internet (CONTRACT §16).

    .venv/bin/python tools/bundle.py [--dist DIR] [--cache DIR]

The zip holds the program, docs and deploy/, the samples (examples/input), rules.yaml and the
templates as defaults/ (scorecard/installer.py copies them into place only where the office has
none, so unpacking a newer bundle over an older one keeps the office's files), requirements.txt,
wheels/ for every TARGET, install.bat, install.sh and 安装说明.txt.

The wheels are downloaded with `pip download --only-binary=:all: --platform ... --python-version
...` into a cache folder keyed by requirements.txt (SCORECARD_WHEEL_CACHE, else
~/.cache/scorecard/wheels), so a second build, and the tests, download nothing. A requirement
published only as a source archive is built into a wheel once, here; it must be pure Python (a
wheel built here for Linux would not install on Windows). Then the set is checked: for each target,
`pip install --dry-run --no-index` must resolve every requirement from wheels/ alone.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorecard.version import __version__  # noqa: E402

# The pip --platform tags of each target: Windows x64, and Linux x86_64 with glibc 2.28 or later, on
# which every manylinux wheel for glibc 2.17 to 2.28 runs (pip 23 does not widen a manylinux_2_28
# platform to the older tags itself: python-calamine publishes manylinux_2_17 wheels only).
LINUX = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + ["manylinux2014_x86_64"]
PLATFORMS = {"win_amd64": ["win_amd64"], "manylinux_2_28_x86_64": LINUX}
# A wheel for an older glibc is also tagged manylinux_2_28 in the bundle (it runs there, PEP 600),
# so that the set resolves for `--platform manylinux_2_28_x86_64` alone, whatever pip checks it.
# FORMAT is part of the cache key: a change of what the bundle does to the wheels downloads anew.
FORMAT = "2"
PYTHONS = ("3.11", "3.12")
TARGETS = [(name, python) for name in PLATFORMS for python in PYTHONS]
OFFLINE = ROOT / "deploy" / "offline"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
MISSING = re.compile(r"No matching distribution found for ([A-Za-z0-9._-]+)==([^\s;]+)")


class BundleError(Exception):
    pass


def bundle_name() -> str:
    return f"scorecard-{__version__}-offline.zip"


def cache_dir(cache: Path | None = None) -> Path:
    """The wheel folder for this requirements.txt: a change of any pin downloads a new set."""
    base = cache or Path(os.environ.get("SCORECARD_WHEEL_CACHE") or Path.home() / ".cache" / "scorecard" / "wheels")
    key = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + FORMAT.encode()).hexdigest()[:16]
    return base / key


def _target_args(platform: str, python: str, tags: list[str] | None = None) -> list[str]:
    args = ["--only-binary=:all:", "--python-version", python, "--implementation", "cp"]
    for tag in PLATFORMS[platform] if tags is None else tags:
        args += ["--platform", tag]
    return args


def _build_from_source(name: str, version: str, built: Path) -> None:
    """A requirement with no wheel at all: build it once here; only a pure-Python wheel will do."""
    print(f"bundle: {name}=={version} has no wheel for every target; building it from source", flush=True)
    before = set(built.glob("*.whl"))
    p = subprocess.run(PIP + ["wheel", "--no-deps", "--no-binary", name, "-w", str(built), f"{name}=={version}"],
                       capture_output=True, text=True)
    made = set(built.glob("*.whl")) - before
    if p.returncode or not made:
        raise BundleError(f"could not build {name}=={version} from source:\n{p.stderr[-2000:]}")
    for wheel in made:
        if not wheel.name.endswith("-none-any.whl"):
            raise BundleError(f"{wheel.name}: built from source with compiled parts, so it would install on "
                              "this machine only; pin a version that publishes wheels for every target")


def download(wheels: Path) -> None:
    """Fill wheels/ for every target (a requirement with no wheel is built once, pure Python)."""
    built = wheels.parent / (wheels.name + ".built")
    built.mkdir(parents=True, exist_ok=True)
    wheels.mkdir(parents=True, exist_ok=True)
    for platform, python in TARGETS:
        for _attempt in range(20):          # one source-only requirement found per attempt
            print(f"bundle: wheels for {platform}, CPython {python}", flush=True)
            p = subprocess.run(PIP + ["download", "-q", "-d", str(wheels), "--find-links", str(built),
                                      *_target_args(platform, python), "-r", str(ROOT / "requirements.txt")],
                               capture_output=True, text=True)
            if p.returncode == 0:
                break
            missing = MISSING.search(p.stderr)
            if missing is None:
                raise BundleError(f"pip download for {platform} / {python} failed:\n{p.stderr[-3000:]}")
            _build_from_source(*missing.groups(), built)
        else:
            raise BundleError(f"pip download for {platform} / {python} kept failing")
    for wheel in built.glob("*.whl"):
        shutil.copy2(wheel, wheels / wheel.name)
    for wheel in sorted(wheels.glob("*.whl")):
        retag(wheel)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def retag(wheel: Path) -> Path:
    """A Linux wheel for glibc older than 2.28 (manylinux_2_17, manylinux2014, ...), also tagged
    manylinux_2_28_x86_64: file name, WHEEL's Tag lines and RECORD. Other wheels are left alone."""
    stem = wheel.name[:-len(".whl")]
    head, platforms = stem.rsplit("-", 1)
    tags = platforms.split(".")
    if LINUX[0] in tags or not any(t in LINUX for t in tags):
        return wheel
    target = wheel.with_name(f"{head}-{'.'.join(tags + [LINUX[0]])}.whl")
    part = target.with_name(target.name + ".part")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as dst:
        members = {info.filename: src.read(info) for info in src.infolist()}
        meta = next(name for name in members if name.endswith(".dist-info/WHEEL"))
        lines = members[meta].decode("utf-8").splitlines()
        extra = sorted({line.rsplit("-", 1)[0] + "-" + LINUX[0] for line in lines if line.startswith("Tag: ")})
        members[meta] = ("\n".join(lines + [t for t in extra if t not in lines]) + "\n").encode("utf-8")
        record = meta[:-len("WHEEL")] + "RECORD"
        rows = []
        for row in members[record].decode("utf-8").splitlines():
            if row.split(",", 1)[0] == meta:
                row = f"{meta},{_record_hash(members[meta])},{len(members[meta])}"
            rows.append(row)
        members[record] = ("\n".join(rows) + "\n").encode("utf-8")
        for name, data in members.items():
            dst.writestr(name, data)
    os.replace(part, target)
    wheel.unlink()
    return target


def wheel_set(cache: Path | None = None) -> Path:
    """The cached wheel folder for requirements.txt, downloaded (and checked) once."""
    wheels = cache_dir(cache)
    if (wheels / ".complete").is_file():
        return wheels
    work = Path(tempfile.mkdtemp(prefix=".partial-", dir=_mkdir(wheels.parent)))
    try:
        download(work / "wheels")
        for platform, python in TARGETS:
            problem = resolves(work / "wheels", platform, python)
            if problem:
                raise BundleError(f"the wheel set does not resolve for {platform} / {python}:\n{problem}")
        (work / "wheels" / ".complete").write_text("\n".join(f"{p} {v}" for p, v in TARGETS) + "\n")
        shutil.rmtree(wheels, ignore_errors=True)
        os.replace(work / "wheels", wheels)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return wheels


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolves(wheels: Path, platform: str, python: str, requirements: Path | None = None) -> str:
    """"" when every requirement resolves from wheels/ alone for the target, else pip's complaint.
    The target's one platform tag (win_amd64, manylinux_2_28_x86_64), as a checker would give it."""
    with tempfile.TemporaryDirectory() as target:
        p = subprocess.run(PIP + ["install", "--dry-run", "-q", "--no-index", "--find-links", str(wheels),
                                  "--ignore-installed", "--target", target, *_target_args(platform, python, [platform]),
                                  "-r", str(requirements or ROOT / "requirements.txt")],
                           capture_output=True, text=True)
    return "" if p.returncode == 0 else (p.stderr or p.stdout)[-3000:]


def _project_files() -> list[tuple[Path, str]]:
    """(source, name in the zip) for everything but the wheels."""
    def tree(folder: str, into: str | None = None) -> list[tuple[Path, str]]:
        base = ROOT / folder
        return [(p, f"{into or folder}/{p.relative_to(base).as_posix()}") for p in sorted(base.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]

    files = [(ROOT / name, name) for name in ("process.py", "requirements.txt", "README.md")]
    files += tree("scorecard") + tree("docs") + tree("deploy") + tree("examples/input")
    files += [(ROOT / "rules.yaml", "defaults/rules.yaml")] + tree("templates", "defaults/templates")
    return [(src, name) for src, name in files if not name.startswith("deploy/offline/")]


def _text(name: str, *, encoding: str = "utf-8", crlf: bool = False) -> bytes:
    text = (OFFLINE / name).read_text(encoding="utf-8")
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode(encoding)


def build(dist: Path, cache: Path | None = None) -> Path:
    wheels = wheel_set(cache)
    dist.mkdir(parents=True, exist_ok=True)
    path = dist / bundle_name()
    part = path.with_name(path.name + ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
        for src, name in _project_files():
            z.write(src, name)
        for wheel in sorted(wheels.glob("*.whl")):
            z.write(wheel, f"wheels/{wheel.name}", compress_type=zipfile.ZIP_STORED)   # already compressed
        install_sh = zipfile.ZipInfo("install.sh", date_time=(2026, 1, 1, 0, 0, 0))
        install_sh.external_attr = 0o100755 << 16
        z.writestr(install_sh, _text("install.sh"), zipfile.ZIP_DEFLATED)
        z.writestr("install.bat", _text("install.bat", encoding="gbk", crlf=True))     # cmd reads code page 936
        z.writestr("安装说明.txt", _text("安装说明.txt", encoding="utf-8-sig", crlf=True))  # Notepad, any Windows
    os.replace(part, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the offline install bundle.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="folder to write into (default: dist)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="wheel cache folder (default: $SCORECARD_WHEEL_CACHE or ~/.cache/scorecard/wheels)")
    args = parser.parse_args(argv)
    try:
        path = build(args.dist, args.cache)
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    print(f"bundle: wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
