"""Evidence files (CONTRACT §13) at the issue's size: D departments x P phone photos of 4000x3000.

    .venv/bin/python benchmarks/bench_evidence.py                 # 50 departments x 4 photos
    .venv/bin/python benchmarks/bench_evidence.py --departments 14 --photos 30 --quality 85

Prints (1) the cost of typing one 12-megapixel photo (evidence.inspect: content type, size, EXIF
date, the perceptual hash from a draft-mode decode), median of 10, at JPEG qualities 75/85/90;
(2) `process.py run` on the whole input as a fresh process each time: a first run, an unchanged
rerun (no file read again), and a run after one more photo (each photo's type comes from the
ledger's cache by its SHA-256; only the new one is decoded). Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def big_photo(seed: int, quality: int, size=(4000, 3000)) -> bytes:
    """A phone-like 12 MP JPEG: a scene of rectangles over a gradient, with sensor-like noise."""
    import numpy as np
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rnd.randrange(w), rnd.randrange(h)
        draw.rectangle([x, y, x + rnd.randrange(100, 1200), y + rnd.randrange(100, 900)],
                       fill=tuple(rnd.randrange(256) for _ in range(3)))
    noise = np.random.default_rng(seed).integers(-12, 12, (h, w, 3), dtype=np.int16)
    im = Image.fromarray(np.clip(np.asarray(im, dtype=np.int16) + noise, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:11:20 15:30:00"
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def per_photo() -> None:
    from scorecard.evidence.inspect import inspect

    from scorecard.reports.evidence_doc import THUMB_PX

    print("typing one 4000x3000 JPEG (evidence.inspect), median of 10; as a run types it (with the "
          "thumbnail for 佐证材料目录.docx, decoded in colour) / the hash alone (decoded in grey):")
    for quality in (75, 85, 90):
        data = big_photo(1, quality)
        figures = []
        for thumb in (THUMB_PX, 0):
            times = []
            for _ in range(10):
                start = time.process_time()
                result = inspect("照片.jpg", data, thumb_px=thumb)
                times.append(time.process_time() - start)
            assert result.kind == "image" and result.width == 4000 and bool(result.thumbnail) == bool(thumb)
            figures.append(statistics.median(times) * 1000)
        print(f"  quality {quality}: {len(data) / 1e6:.1f} MB, {figures[0]:.0f} ms / {figures[1]:.0f} ms CPU")


RULES = """\
version: 1
title: 佐证材料测试
organization: 测试局
round: 第一轮
as_of: 2026-12-31
pass_score: 10
bonus_cap: 0
departments:
{departments}
items:
  - code: "一"
    name: 项目
    indicators:
      - code: "1.1"
        name: 活动开展
        max: 10
        departments: all
        evidence: {{required: true, kinds: [image], min_files: 2, note: 活动照片}}
"""


def make_input(base: Path, departments: int, photos: int, quality: int) -> tuple[Path, Path]:
    from scorecard.forms.samples import fill_workbook
    from scorecard.forms.template import build_template
    from scorecard.rules import parse_rules

    names = [f"部门{k:03d}" for k in range(departments)]
    rules_file = base / "rules.yaml"
    rules_file.write_text(RULES.format(departments="\n".join(f"  - name: {n}" for n in names)), encoding="utf-8")
    rules = parse_rules(rules_file.read_text(encoding="utf-8"))
    inp = base / "input"
    for k, name in enumerate(names):
        folder = inp / name / "佐证材料"
        folder.mkdir(parents=True)
        wb = build_template(rules, name)
        fill_workbook(wb, info={"部门名称": name, "填报人": "张敏", "联系电话": "1", "填报日期": "2026-12-20"},
                      rows={"1.1": {"自评得分": 10, "完成情况": "已完成", "佐证材料": "照片"}})
        wb.save(inp / name / f"{name}.xlsx")
        for p in range(photos):
            (folder / f"1.1-{p + 1} 活动照片.jpg").write_bytes(big_photo(k * 100 + p, quality))
    return rules_file, inp


def timed_run(rules_file: Path, inp: Path, out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "process.py"), "--quiet", "run", "--rules", str(rules_file),
                    "--input", str(inp), "--output", str(out), *extra], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--departments", type=int, default=50)
    ap.add_argument("--photos", type=int, default=4)
    ap.add_argument("--quality", type=int, default=85)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/scorecard-bench-evidence"))
    args = ap.parse_args()
    per_photo()
    import shutil

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    rules_file, inp = make_input(args.workdir, args.departments, args.photos, args.quality)
    total = sum(p.stat().st_size for p in inp.rglob("*.jpg"))
    out = args.workdir / "output"
    print(f"{args.departments} departments x {args.photos} photos (4000x3000, quality {args.quality}, "
          f"{total / 1e6:.0f} MB), os.cpu_count() = {os.cpu_count()}:")
    first = timed_run(rules_file, inp, out)
    print(f"  first run:              {first:6.1f} s")
    again = timed_run(rules_file, inp, out)
    print(f"  unchanged rerun:        {again:6.1f} s  ({again / first:.0%} of the first)")
    (inp / "部门000" / "佐证材料" / "1.1-9 补充照片.jpg").write_bytes(big_photo(99999, args.quality))
    more = timed_run(rules_file, inp, out)
    print(f"  one more photo:         {more:6.1f} s  ({more / first:.0%} of the first; the others' types from the cache)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
