"""A photo's perceptual hash (64-bit dHash), the threshold for near copies, and its EXIF facts.

dhash: the image in grayscale, shrunk to 9x8 with a box filter (each cell the mean of its pixels),
each pixel compared with its right-hand neighbour: 8 rows x 8 comparisons = 64 bits, written as
16 hex digits. inspect() computes it from the JPEG decoded at 1/8 scale, turned upright by the EXIF
orientation. Resizing, recompressing and a uniform change of brightness keep almost every bit; a
different scene changes about half of them.

How SIMILAR_BITS was chosen (measured 2026-12, this machine, Pillow 13.0.0): synthetic photos, each
a sky and ground lit from a random side with lens vignetting, 6-14 random buildings with windows
and 4-12 people/trees (circles), blurred, Gaussian sensor noise (sigma 6), saved as JPEG q90; 60
scenes at 1600x1200 (1,770 pairs) and 8 at 4000x3000. Each compared, through inspect(), with
copies saved as JPEG q90 (Hamming distance to the original's hash, min-max):

    resized to 50%                  0-3         cropped 3% in all (1.5% off each edge)   0-11
    recompressed JPEG quality 60    0-3         cropped 4% in all                         0-11
    brightened 10%                  0-3         cropped 5% in all                         1-13 (one at 13)
    brightened 20%                  0-7         cropped 2.5% each edge + 50% + q60        0-11
    different scenes (1,770 pairs)  min 13, mean 28, max 45 (4000x3000: min 20)

So near copies stay within 11 bits (one 5% crop of 60 reached 13) and no two different scenes came
closer than 13: SIMILAR_BITS = 11, two bits below the closest different pair. Limits, measured in
the same run: cropping 3% off EACH edge gives up to 15 and 5% off each edge up to 18 (10 of 60 above
11), so heavier crops are not caught; photos that are mostly flat background (sky, a white wall)
have many bits decided by noise, and different such scenes came as close as 10 in a variant of the
study whose shapes were small against the frame. The tests rebuild the scene generator and assert
both sides (tests/test_evidence_inspect.py).
"""
from __future__ import annotations

import datetime as dt
import re
import struct
import zlib

SIMILAR_BITS = 11

# What Pillow raises on bad bytes (besides UnidentifiedImageError and DecompressionBombError).
IMAGE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, struct.error,
                zlib.error, ZeroDivisionError, OverflowError)


def dhash(image) -> str:
    """A PIL image -> 16 hex digits: bit set where a cell is brighter than its right neighbour."""
    from PIL import Image

    if image.mode.startswith(("I", "F")):       # 16/32-bit and float: stretched, not clipped, to 0-255
        image = image.convert("F")
        lo, hi = image.getextrema()
        image = image.point(lambda v: (v - lo) * 255 / ((hi - lo) or 1))
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
    px = image.convert("L").resize((9, 8), Image.Resampling.BOX).tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits differ between two dhash strings."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def exif_facts(im) -> tuple[str | None, int | None]:
    """A PIL image's EXIF DateTimeOriginal (36867, in the Exif IFD 0x8769), else DateTime (306), as
    an ISO date; and its orientation tag (274). Broken EXIF loses only these: the picture may be fine."""
    try:
        exif = im.getexif()
        value = exif.get_ifd(0x8769).get(36867) or exif.get(36867) or exif.get(306)
        orientation = exif.get(274)
    except IMAGE_ERRORS:
        return None, None
    return exif_date(value), orientation if isinstance(orientation, int) else None


def exif_date(value) -> str | None:
    """"2026:11:03 09:30:00" -> "2026-11-03"; anything that is not a real date -> None."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    found = re.match(r"\s*(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})(?:[ T\x00]|$)", value)
    if not found:
        return None
    try:
        day = dt.date(*(int(g) for g in found.groups()))
    except ValueError:
        return None
    return day.isoformat() if day.year >= 1900 else None
