"""Bar charts of score rates for the summary report, as PNG bytes.

matplotlib's object API only (Figure + FigureCanvasAgg): no pyplot, no rcParams changes, so
rendering charts never alters global state of a process that also does other things.

Chinese labels need a CJK font. `find_cjk_font()` looks for one among the fonts matplotlib knows;
when none is installed (or a label has a character the font lacks) the chart falls back to ASCII
labels — item numbers 1..n, department numbers matching the rows of the ranking table — rather
than drawing tofu boxes.
"""
from __future__ import annotations

import functools
import io
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib import font_manager

AUTO = "auto"

# Family names, best first (simplified-Chinese faces before the same font's other regions).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Microsoft YaHei", "微软雅黑", "SimHei", "黑体", "PingFang SC", "Heiti SC", "STHeiti",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Serif CJK SC", "Source Han Serif SC",
    "SimSun", "宋体", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK JP",
)

BLUE = "#3B6FB6"
RED = "#C0504D"
GREY = "#7F7F7F"
DPI = 200
WIDTH_IN = 6.0          # ~152 mm; the report shows it at 150 mm, so type sizes stay true


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    entries = {f.name: f for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        entry = entries.get(family)
        if entry is not None and _covers(entry.fname, "测评部门得分率合格线"):
            return family
    return None


@functools.lru_cache(maxsize=8)
def _font_path(family: str) -> str | None:
    for entry in font_manager.fontManager.ttflist:
        if entry.name == family:
            return entry.fname
    return None


def _covers(path: str, text: str) -> bool:
    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ch.isascii() or font.get_char_index(ord(ch)) for ch in text)


def resolve_font(font: str | None, texts: Sequence[str]) -> str | None:
    """The CJK family to draw texts with ("auto": the first installed one), or None when there is
    none or it lacks a character of texts: then charts use the ASCII fallback."""
    if font == AUTO:
        font = find_cjk_font()
    if not font:
        return None
    path = _font_path(font)
    if path is None or not _covers(path, "".join(texts)):
        return None
    return font


def rate_chart(labels: Sequence[str], rates: Sequence[float | None], *, title: str | None, ascii_title: str | None,
               ref: float | None = None, ref_label: str = "合格线", notes: Sequence[str] | None = None,
               font: str | None = AUTO) -> bytes:
    """Horizontal bars of rates (0..1) with % labels and a reference line; top bar = first label.

    labels are used with a CJK font; without one the bars are numbered 1..n instead and the
    title becomes ascii_title. notes (optional, one per bar) are appended to the value label.
    title None: no title (the Word report puts a caption under the picture).
    """
    n = len(labels)
    rates = [max(0.0, float(r)) if r is not None else 0.0 for r in rates]
    notes = list(notes) if notes else [""] * n
    family = resolve_font(font, [title or "", ref_label, *labels, *notes])
    if family is None:
        labels = [str(k) for k in range(1, n + 1)]
        title = ascii_title
        notes = [""] * n
        ref_label = "Pass line"
    text_kw = {"fontfamily": family} if family else {}

    fig = Figure(figsize=(WIDTH_IN, 0.6 + (0.3 if title else 0) + 0.28 * max(n, 1)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(n))
    colours = [RED if ref is not None and r < ref else BLUE for r in rates]
    ax.barh(positions, rates, height=0.62, color=colours)
    ax.set_yticks(positions, labels=labels, **text_kw)
    ax.tick_params(axis="y", labelsize=10, length=0)
    ax.tick_params(axis="x", labelsize=9)
    ax.invert_yaxis()
    top = max([1.0, *rates]) * 1.18
    ax.set_xlim(0, top)
    ticks = [t / 10 for t in range(0, 11, 2)]
    ax.set_xticks(ticks, labels=[f"{int(t * 100)}%" for t in ticks])
    ax.set_ylim(n - 0.5, -0.5) if n else ax.set_ylim(0.5, -0.5)
    for y, (rate, note) in enumerate(zip(rates, notes)):
        ax.text(rate + top * 0.01, y, f"{rate * 100:.1f}%" + (f" {note}" if note else ""),
                va="center", ha="left", fontsize=9, zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85}, **text_kw)
    if ref is not None:
        ax.axvline(ref, color=GREY, linestyle="--", linewidth=1)
        ax.text(ref, -0.5, f" {ref_label} {ref * 100:g}%", va="bottom", ha="center", fontsize=9,
                color=GREY, **text_kw)
    if title:
        ax.set_title(title, fontsize=12, pad=16, **text_kw)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def item_chart(items: Sequence[dict], *, ref: float | None = None, font: str | None = AUTO,
               titled: bool = True) -> bytes:
    """Score rate of each item (summary["items"], rules order); bars numbered 1..n without a CJK font."""
    return rate_chart([f"{i['code']} {i['name']}" for i in items], [i.get("rate") for i in items],
                      title="各测评项目得分率" if titled else None,
                      ascii_title="Score rate by item (numbered as in the table)" if titled else None,
                      ref=ref, font=font)


def department_chart(departments: Sequence[dict], *, ref: float | None = None,
                     font: str | None = AUTO, titled: bool = True) -> bytes:
    """Rate of each department in the order given (the ranking table's rows)."""
    notes = ["未报送" if not d.get("submitted") else "" for d in departments]
    return rate_chart([d["name"] for d in departments], [d.get("rate") for d in departments],
                      title="各部门自评得分率" if titled else None,
                      ascii_title="Score rate by department (numbered as in the table)" if titled else None,
                      ref=ref, notes=notes, font=font)
