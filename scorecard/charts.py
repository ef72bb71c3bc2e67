"""Bar charts of score rates for the summary report, as PNG bytes.

matplotlib's object API only (Figure + FigureCanvasAgg): no pyplot, no rcParams changes, so
rendering charts never alters global state of a process that also does other things.

Chinese labels need a CJK font. `find_cjk_font()` finds the font FILE directly (the system's font
folders and fontconfig, scanned afresh, then checked glyph by glyph), never through matplotlib's
font cache, which may predate a font installed later and would then silently draw boxes. Texts
are drawn with FontProperties(fname=...). When no such file exists (or a label has a character
the font lacks) the chart falls back to ASCII labels — item numbers 1..n, department ranks —
rather than drawing tofu boxes.

For many departments the chart shows the first and the last ranks (`pick_departments`), so it
stays readable and quick to draw at hundreds of departments; the full ranking is a table.
"""
from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure



def _writable_config_dir() -> None:
    """matplotlib wants a writable config folder (~/.config/matplotlib) and says so on stderr when
    there is none: a service account whose home is the program folder (the guide's useradd), where
    a cron job would then mail that warning every day. Such a run gets a folder of its own in /tmp."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    folder = os.path.join(base, "matplotlib")
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return
    except OSError:
        pass
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    own = os.path.join(tempfile.gettempdir(), f"scorecard-matplotlib-{uid}")
    os.makedirs(own, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = own


_writable_config_dir()

# matplotlib (0.8 s to import) is imported where a chart is drawn or a font looked up, not with
# this module: a run imports it in the main process while the report pool is already at work.

AUTO = "auto"

# Font files, best first, by a lower-case part of the file name (simplified-Chinese faces first).
CJK_FILES = (
    "notosanscjksc", "notosanssc", "sourcehansanssc", "sourcehansanscn", "notosanscjk-regular",
    "notosanscjk", "msyh", "simhei", "pingfang", "stheiti", "wqy-zenhei", "wqy-microhei",
    "notoserifcjksc", "notoserifcjk-regular", "notoserifcjk", "sourcehanserif", "simsun",
    "droidsansfallback", "uming", "ukai",
)
_PROBE = "测评部门得分率合格线"

BLUE = "#3B6FB6"
RED = "#C0504D"
GREY = "#7F7F7F"
DPI = 200
WIDTH_IN = 6.0          # ~152 mm; the report shows it at 150 mm, so type sizes stay true
BAR_IN = 0.24           # height per bar
MAX_BARS = 16           # beyond this, the department chart shows the first and last ranks
EDGE = 5                # ... this many of each, as the report's top/bottom table


def _candidates() -> list[str]:
    from matplotlib import font_manager

    found = font_manager.findSystemFonts() + font_manager.findSystemFonts(fontext="otf")
    ranked = []
    for path in dict.fromkeys(found):
        name = os.path.basename(path).lower().replace(" ", "")
        for k, key in enumerate(CJK_FILES):
            if key in name:
                ranked.append((k, "bold" in name, path))
                break
    return [p for _, _, p in sorted(ranked)]


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The path of an installed font file with Chinese glyphs, or None."""
    for path in _candidates():
        if _covers(path, _PROBE):
            return path
    return None


@functools.lru_cache(maxsize=16)
def _font_path(font: str) -> str | None:
    """A font file given by path, or by family name through matplotlib's list (for a caller
    who names a family; the automatic choice never goes this way)."""
    from matplotlib import font_manager

    if os.path.isfile(font):
        return font
    for entry in font_manager.fontManager.ttflist:
        if entry.name == font and os.path.isfile(entry.fname):
            return entry.fname
    return None


def _covers(path: str, text: str) -> bool:
    from matplotlib import font_manager

    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ch.isascii() or font.get_char_index(ord(ch)) for ch in text)


def resolve_font(font: str | None, texts: Sequence[str]) -> str | None:
    """The CJK font file to draw texts with ("auto": the first one found; else a path or a family
    name), or None when there is none or it lacks a character of texts: then charts use ASCII."""
    if font == AUTO:
        font = find_cjk_font()
    if not font:
        return None
    path = _font_path(font)
    if path is None or not _covers(path, "".join(texts) + _PROBE):
        return None
    return path


def pick_departments(ranked: Sequence[dict], limit: int = MAX_BARS, edge: int = EDGE) -> tuple[list[dict], str]:
    """The departments a chart shows (all up to limit, else the first and last edge ranks) and its caption."""
    ranked = list(ranked)
    if len(ranked) <= limit:
        return ranked, "各部门自评得分率"
    return ranked[:edge] + ranked[-edge:], f"自评得分率前{edge}名和后{edge}名部门（共{len(ranked)}个部门参与排名）"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def rate_chart(labels: Sequence[str], rates: Sequence[float | None], *, title: str | None, ascii_title: str | None,
               ref: float | None = None, ref_label: str = "合格线", notes: Sequence[str] | None = None,
               font: str | None = AUTO, ascii_labels: Sequence[str] | None = None) -> bytes:
    """rate_figure as PNG bytes."""
    fig = rate_figure(labels, rates, title=title, ascii_title=ascii_title, ref=ref, ref_label=ref_label,
                      notes=notes, font=font, ascii_labels=ascii_labels)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def rate_figure(labels: Sequence[str], rates: Sequence[float | None], *, title: str | None, ascii_title: str | None,
                ref: float | None = None, ref_label: str = "合格线", notes: Sequence[str] | None = None,
                font: str | None = AUTO, ascii_labels: Sequence[str] | None = None) -> Figure:
    """Horizontal bars of rates (0..1) with % labels and a reference line; top bar = first label.

    labels are used with a CJK font; without one the bars are labelled ascii_labels (default
    1..n) and the title becomes ascii_title. notes (optional, one per bar) are appended to the value label.
    title None: no title (the Word report puts a caption under the picture).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    # A name typed with a line break or another control character has no glyph in any font.
    labels = [_CONTROL.sub(" ", str(label)).strip() for label in labels]
    title = _CONTROL.sub(" ", title) if title else title
    n = len(labels)
    rates = [max(0.0, float(r)) if r is not None else 0.0 for r in rates]
    notes = list(notes) if notes else [""] * n
    path = resolve_font(font, [title or "", ref_label, *labels, *notes])
    if path is None:
        labels = list(ascii_labels) if ascii_labels else [str(k) for k in range(1, n + 1)]
        title = ascii_title
        notes = [""] * n
        ref_label = "Pass line"
    prop = FontProperties(fname=path) if path else None
    text_kw = {"fontproperties": prop} if prop else {}

    extra = (0.3 if title else 0) + (0.25 if ref is not None else 0)
    fig = Figure(figsize=(WIDTH_IN, 0.55 + extra + BAR_IN * max(n, 1)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(n))
    colours = [RED if ref is not None and r < ref else BLUE for r in rates]
    ax.barh(positions, rates, height=0.62, color=colours)
    ax.set_yticks(positions, labels=labels)
    for tick in ax.get_yticklabels():
        if prop:
            tick.set_fontproperties(prop)
        tick.set_fontsize(9.5)
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
                va="center", ha="left", fontsize=8.5, zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85}, **text_kw)
    if ref is not None:
        # The pass line's label is a legend entry above the plot: it can never cross a bar's label.
        ax.axvline(ref, color=GREY, linestyle="--", linewidth=1, zorder=3)
        handle = Line2D([], [], color=GREY, linestyle="--", linewidth=1)
        legend_kw = {"prop": FontProperties(fname=path, size=9)} if path else {"fontsize": 9}
        ax.legend([handle], [f"{ref_label} {ref * 100:g}%"], loc="lower right", bbox_to_anchor=(1.0, 1.0),
                  frameon=False, borderaxespad=0.2, handlelength=2.2, **legend_kw)
    if title:
        ax.set_title(title, fontsize=12, pad=16, **text_kw)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


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
    ascii_labels = [f"#{d['rank']}" if d.get("rank") is not None else str(k) for k, d in enumerate(departments, 1)]
    return rate_chart([d["name"] for d in departments], [d.get("rate") for d in departments],
                      ascii_labels=ascii_labels,
                      title="各部门自评得分率" if titled else None,
                      ascii_title="Score rate by department (numbered as in the table)" if titled else None,
                      ref=ref, notes=notes, font=font)
