"""Sample evidence files (CONTRACT §13) for `make samples`: small seeded photos and a PDF in zips as
departments send them (`<部门>_佐证材料.zip`, names in GBK as Chinese Windows writes them).

For the first indicator whose evidence is photos with a minimum of two or more: its first
department sends enough photos (and a PDF for another of its indicators), the second reuses one of
the first's photos beside its own, the third sends one photo too few. `make run` then shows a
counted binder, a 佐证存疑 (the same photo from two departments) and a 佐证缺失 (需照片2张，现有1张).
"""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from ..base.fsutil import atomic_write_bytes
from ..base.text import safe_filename
from ..rules import Rules


def sample_photo(seed: int, taken: str = "2026:11:12 10:30:00", size=(480, 360)) -> bytes:
    """A small JPEG with a scene of its own (seeded) and an EXIF date, as a phone writes it."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    im = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(14):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.rectangle([x, y, x + rnd.randrange(30, 200), y + rnd.randrange(30, 160)],
                       fill=tuple(rnd.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken
    exif[306] = taken
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80, exif=exif.tobytes())
    return buf.getvalue()


def sample_pdf(pages: int = 2) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def gbk_zip(members: dict[str, bytes]) -> bytes:
    """A zip with GBK member names and no UTF-8 flag. zipfile writes a non-ASCII name as UTF-8 with
    the flag, so each name is written as an ASCII stand-in of its GBK length, then replaced."""
    buf, names = io.BytesIO(), {}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, (name, data) in enumerate(members.items()):
            raw = name.encode("gbk")
            stand_in = f"@{k:03d}".ljust(len(raw), "~").encode()
            names[stand_in] = raw
            info = zipfile.ZipInfo(stand_in.decode(), date_time=(2026, 12, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    data = buf.getvalue()
    for stand_in, raw in names.items():
        data = data.replace(stand_in, raw)
    return data


def write_evidence_samples(rules: Rules, out_dir: Path, skip: set[str] = frozenset()) -> list[Path]:
    """The zips, or nothing when no indicator asks for two photos or more. skip: departments with
    no accepted sample workbook (their evidence would count for nothing)."""
    ind = next((i for i in rules.indicators if i.computed is None and i.evidence.required
                and i.evidence.kinds == ("image",) and i.evidence.min_files >= 2
                and len([d for d in i.departments if d not in skip]) >= 3), None)
    if ind is None:
        return []
    first, second, third = [d for d in ind.departments if d not in skip][:3]
    need = ind.evidence.min_files
    photos = {n: sample_photo(n) for n in range(need + 2)}
    members = {first: {f"{ind.code}-{n + 1} 活动照片.jpg": photos[n] for n in range(need)},
               second: {f"{ind.code}-1 活动照片.jpg": photos[0],                         # the first's, again
                        **{f"指标{ind.code}/照片{n}.jpg": photos[need + n - 1] for n in range(1, need)}},
               third: {f"{ind.code}-{n + 1} 活动照片.jpg": sample_photo(100 + n) for n in range(need - 1)}}   # one short
    other = next((i for i in rules.indicators_of(first) if i.code != ind.code and i.computed is None), None)
    if other is not None:
        members[first][f"{other.code}_会议纪要.pdf"] = sample_pdf()
    written = []
    for dept, files in members.items():
        path = out_dir / f"{safe_filename(dept)}_佐证材料.zip"
        atomic_write_bytes(path, gbk_zip(files))
        written.append(path)
    return written
