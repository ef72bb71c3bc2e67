"""Charts: PNG bytes with a Chinese font and with the ASCII fallback, no global matplotlib state."""
from __future__ import annotations

import copy
import io
import warnings
from pathlib import Path

import matplotlib
import pytest
from PIL import Image

from scorecard.reports import charts
from sample_summary import sample_summary

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def summary():
    return sample_summary()


def ranked(summary):
    return sorted((d for d in summary["departments"] if d["rank"] is not None), key=lambda d: d["rank"])


def draw(fn, *args, **kwargs) -> tuple[bytes, list[str]]:
    """The chart and every warning it raised (matplotlib warns when a glyph is missing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = fn(*args, **kwargs)
    return png, [str(w.message) for w in caught]


@pytest.mark.parametrize("font", ["auto", None])
def test_item_chart_is_png_in_both_font_modes(summary, font):
    png, warned = draw(charts.item_chart, summary["items"], ref=0.9, font=font)
    assert png.startswith(PNG)
    assert not [w for w in warned if "Glyph" in w or "missing" in w]
    image = Image.open(io.BytesIO(png))
    assert image.width == int(charts.WIDTH_IN * charts.DPI)


@pytest.mark.parametrize("font", ["auto", None])
def test_department_chart_is_png_in_both_font_modes(summary, font):
    png, warned = draw(charts.department_chart, ranked(summary), ref=0.9, font=font, titled=False)
    assert png.startswith(PNG)
    assert not [w for w in warned if "Glyph" in w or "missing" in w]


def test_more_bars_make_a_taller_chart(summary):
    few = Image.open(io.BytesIO(charts.department_chart(ranked(summary)[:3], font=None)))
    many = Image.open(io.BytesIO(charts.department_chart(ranked(summary), font=None)))
    assert many.height > few.height and many.width == few.width


def test_a_chinese_font_is_found_on_this_machine():
    family = charts.find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    assert charts.resolve_font("auto", ["各部门自评得分率"]) == family
    assert charts.resolve_font(family, ["办公室"]) == family


def test_fallback_is_chosen_by_parameter_or_missing_glyphs():
    assert charts.resolve_font(None, ["办公室"]) is None
    assert charts.resolve_font("No Such Font Family", ["办公室"]) is None
    if charts.find_cjk_font():
        # A character no CJK font has (a private-use code point) forces the ASCII labels too.
        assert charts.resolve_font("auto", ["\ue000"]) is None


def test_fallback_labels_do_not_need_any_cjk_glyph(summary):
    png, warned = draw(charts.rate_chart, ["办公室", "机关党委"], [0.9, 0.5], title="各部门", ascii_title="Rates",
                       ref=0.8, notes=["", "未报送"], font=None)
    assert png.startswith(PNG) and not warned


def test_charts_leave_matplotlib_global_state_alone(summary):
    before = copy.deepcopy(dict(matplotlib.rcParams))
    charts.item_chart(summary["items"], ref=0.9)
    charts.department_chart(ranked(summary), font=None)
    assert dict(matplotlib.rcParams) == before
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert "pyplot" not in source.replace("no pyplot", "").replace("NO pyplot", "")
    assert "rcParams" not in source.replace("no rcParams changes", "")


def test_empty_and_odd_rates_still_draw():
    assert charts.rate_chart([], [], title=None, ascii_title=None, font=None).startswith(PNG)
    assert charts.rate_chart(["甲"], [None], title=None, ascii_title=None, ref=None).startswith(PNG)
    assert charts.rate_chart(["甲"], [1.3], title="超", ascii_title="over", ref=0.9).startswith(PNG)


def test_cjk_font_is_a_file_found_without_matplotlib_cache(monkeypatch):
    """A stale font cache (built before the CJK font was installed) must not hide the font."""
    from matplotlib import font_manager
    charts.find_cjk_font.cache_clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    try:
        path = charts.find_cjk_font()
        if path is None:
            pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
        assert Path(path).is_file()
        assert charts.resolve_font("auto", ["各部门自评得分率"]) == path
    finally:
        charts.find_cjk_font.cache_clear()


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("font", ["auto", None])
def test_pass_line_label_never_crosses_a_bar_label(font):
    rates = [1.0, 0.95, 0.9, 0.91, 0.89, 0.5]      # labels right at and around the 90% line
    fig = charts.rate_figure(["甲", "乙", "丙", "丁", "戊", "己"], rates, title=None, ascii_title=None,
                             ref=0.9, font=font)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    for text in ax.texts:
        assert not _overlaps(legend, text.get_window_extent(renderer)), text.get_text()


def test_many_departments_show_first_and_last_ranks():
    ranked = [{"name": f"部门{k}", "rank": k, "rate": 1 - k / 400, "submitted": True} for k in range(1, 301)]
    shown, caption = charts.pick_departments(ranked)
    assert [d["rank"] for d in shown] == [1, 2, 3, 4, 5, 296, 297, 298, 299, 300]
    assert "前5名和后5名" in caption and "300" in caption
    assert charts.pick_departments(ranked[:12])[0] == ranked[:12]
