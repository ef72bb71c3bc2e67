"""佐证材料目录.docx (CONTRACT §13): the binder's table of contents for the 测评组, by item and
indicator: what each department sent (a thumbnail of each counted image, the other files by name),
then what is missing or doubtful. GB/T 9704 styles of reports/docstyle.py.

It must stay mailable: thumbnails are small JPEGs (THUMB_PX on the long side, quality 70, some
15 KB each), so 14 departments x 30 photos stay well under 30 MB."""
from __future__ import annotations

import io
import logging
from pathlib import Path

from docx.shared import Mm

from . import docstyle as ds
from .context import cn, cn_date
from .evidence_index import size_text, status_of
from .units import _doc, _save, _table

logger = logging.getLogger(__name__)

INDEX_DOCX = "佐证材料目录.docx"
THUMB_PX = 360
THUMB_MM = 48
PER_ROW = 3


def thumbnail(path: Path) -> bytes | None:
    """A small JPEG of the image at path, or None when it cannot be made (the file is named instead)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.draft("RGB", (THUMB_PX, THUMB_PX))
            im = im.convert("RGB")
            im.thumbnail((THUMB_PX, THUMB_PX))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=70)
            return buf.getvalue()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        logger.info("no thumbnail for %s: %s", path, exc)
        return None


THUMBS = ".thumbs"       # in the round folder: each image's thumbnail by SHA-256, carried to the next run


def _thumbnail_of(e: dict, round_dir: Path, previous_dir: Path | None) -> bytes | None:
    """The thumbnail of evidence entry e: the previous run's (same content, same name) when there
    is one, else made from the binder's copy; kept in round_dir/.thumbs for the next run."""
    name = f"{e['sha256']}.jpg" if e.get("sha256") else None
    if name and (round_dir / THUMBS / name).is_file():            # made while the file was typed
        return (round_dir / THUMBS / name).read_bytes()
    data = None
    if name and previous_dir is not None and (previous_dir / THUMBS / name).is_file():
        data = (previous_dir / THUMBS / name).read_bytes()
    if data is None:
        data = thumbnail(round_dir / e["binder"])
    if data is not None and name:
        (round_dir / THUMBS).mkdir(exist_ok=True)
        (round_dir / THUMBS / name).write_bytes(data)
    return data


def write_evidence_document(summary: dict, round_dir: Path, path: Path, previous_dir: Path | None = None) -> Path | None:
    """None when the summary has no `evidence`. round_dir: where the binder is (its files are read
    for the thumbnails); previous_dir: the round folder of the last run, whose thumbnails are reused
    (decoding a 12-megapixel photo for one costs some 35 ms)."""
    files = summary.get("evidence")
    if files is None:
        return None
    tallies = summary.get("evidence_summary") or []
    doc = _doc()
    doc.add_paragraph(f"{summary.get('round') or ''}佐证材料目录", style=ds.TITLE)
    counted = [e for e in files if e.get("counted")]
    doubtful = [e for e in counted if status_of(e) != "计入"]
    short = [t for t in tallies if t.get("required") and not t.get("ok")]
    departments = len({e["department"] for e in files})
    doc.add_paragraph(
        f"截至{cn_date(summary.get('as_of'))}，{departments}个部门报送佐证材料{len(files)}个，计入{len(counted)}个，"
        f"未计入{len(files) - len(counted)}个；存疑{len(doubtful)}个；{len(short)}项指标的佐证材料缺失或不足。"
        "材料已按测评项目和指标归档在“佐证材料”文件夹中，文件名以部门名称开头。")
    by_indicator: dict[str, list[dict]] = {}
    for e in files:
        by_indicator.setdefault(e.get("indicator") or "", []).append(e)
    inds = {i["code"]: i for i in summary.get("indicators", [])}
    for k, item in enumerate(summary.get("items", []), 1):
        codes = [c for c, i in inds.items() if i.get("item") == item["code"] and by_indicator.get(c)]
        if not codes:
            continue
        doc.add_paragraph(f"{cn(k)}、{item['name']}", style=ds.HEADING1)
        for n, code in enumerate(codes, 1):
            doc.add_paragraph(f"（{cn(n)}）{code} {inds[code]['name']}", style=ds.HEADING2)
            _indicator(doc, by_indicator[code], round_dir, previous_dir)
    _problems(doc, files, short, summary)
    return _save(doc, path)


def _indicator(doc, entries: list[dict], round_dir: Path, previous_dir: Path | None) -> None:
    by_dept: dict[str, list[dict]] = {}
    for e in entries:
        by_dept.setdefault(e["department"], []).append(e)
    for dept, mine in by_dept.items():
        ok = [e for e in mine if e.get("counted")]
        doc.add_paragraph(f"{dept}：报送{len(mine)}个，计入{len(ok)}个。"
                          + "；".join(f"{_name(e)}（{status_of(e)}）" for e in mine if e.get("kind") != "image"
                                     or not e.get("counted")))
        images = [e for e in ok if e.get("kind") == "image" and e.get("binder")]
        if images:
            _thumbnails(doc, images, round_dir, previous_dir)


def _thumbnails(doc, images: list[dict], round_dir: Path, previous_dir: Path | None) -> None:
    rows = (len(images) + PER_ROW - 1) // PER_ROW
    table = doc.add_table(rows=rows * 2, cols=PER_ROW)
    center = doc.styles[ds.TABLE_CENTER]             # looked up once: each lookup walks the styles part
    for k, e in enumerate(images):
        r, c = divmod(k, PER_ROW)
        picture = table.cell(r * 2, c).paragraphs[0]
        picture.style = center
        data = _thumbnail_of(e, round_dir, previous_dir)
        if data is not None:
            picture.add_run().add_picture(io.BytesIO(data), width=Mm(THUMB_MM))
        caption = table.cell(r * 2 + 1, c).paragraphs[0]
        caption.style = center
        caption.add_run(f"{_name(e)}" + (f"（{e['taken_on']}）" if e.get("taken_on") else ""))
    for row in table.rows:
        ds.cant_split(row)
    ds.table_layout(table, [52] * PER_ROW)


def _problems(doc, files: list[dict], short: list[dict], summary: dict) -> None:
    rows = []
    names = {i["code"]: i["name"] for i in summary.get("indicators", [])}
    for t in short:
        rows.append([t["department"], f"{t['indicator']} {names.get(t['indicator'], '')}",
                     f"缺失或不足：计入{t['files']}个，至少需{t['min_files']}个"])
    for e in files:
        if status_of(e) == "计入":
            continue
        problem = "\n".join(f.get("message", "") for f in e.get("findings") or []) or status_of(e)
        rows.append([e["department"], f"{e.get('indicator') or '（未识别）'}", problem])     # each message names its file
    if not rows:
        doc.add_paragraph("各部门报送的佐证材料均已计入，未发现缺失、重复或存疑的情况。")
        return
    doc.add_paragraph("缺失、存疑和未计入的佐证材料", style=ds.HEADING1)
    _table(doc, ["序号", "部门", "指标", "情况"], [[str(k), *r] for k, r in enumerate(rows, 1)], [12, 30, 30, 84])


def _name(e: dict) -> str:
    size = size_text(e)
    return e["file"].rsplit("/", 1)[-1] + (f"，{size}" if size else "")
