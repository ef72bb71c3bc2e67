"""Geometry of the dashboard's inline SVG charts (看板, CONTRACT §15): where each bar, point and
tick goes, in SVG user units. The template draws the elements from these numbers; colours and
patterns are the stylesheet's (every segment also has a pattern or a label, so a chart reads in
greyscale and without colour vision). Labels inside a chart are short (item codes, gap kinds);
the table beside each chart has the names and the figures.
"""
from __future__ import annotations

import math

WIDTH = 560                 # every chart's viewBox width; it scales to its box (100% wide)
ROW = 30                    # height of one bar row
LABEL = 64                  # room for a row's label on the left
VALUE = 86                  # room for a row's value on the right


def _x(value: float, scale: float, width: float) -> float:
    return round(max(0.0, min(value, scale)) / scale * width, 1) if scale > 0 else 0.0


def gauge(score: float, bonus: float, mx: float, bonus_cap: float, pass_score: float | None) -> dict:
    """One bar from 0: the base score, then the bonus, against the pass line and the maximum."""
    scale = max(mx + bonus_cap, score + bonus, pass_score or 0.0) or 1.0
    left, width = 10, WIDTH - 20
    ticks = sorted({0.0, mx, *([pass_score] if pass_score is not None else [])})
    return {"width": WIDTH, "height": 78, "left": left, "bar_width": width,
            "score_w": _x(score, scale, width), "bonus_x": left + _x(score, scale, width),
            "bonus_w": _x(score + bonus, scale, width) - _x(score, scale, width),
            "pass_x": None if pass_score is None else left + _x(pass_score, scale, width),
            "max_x": left + _x(mx, scale, width),
            "ticks": [{"x": left + _x(t, scale, width), "value": t} for t in ticks]}


def rate_bars(rows: list[tuple[str, float]], reference: float | None) -> dict:
    """Horizontal bars of rates (0..1) on one track; reference: a rate drawn as a dashed line."""
    track = WIDTH - LABEL - VALUE
    bars = [{"label": label, "y": 8 + k * ROW, "w": _x(rate, 1.0, track), "rate": rate,
             "low": reference is not None and rate < reference}
            for k, (label, rate) in enumerate(rows)]
    return {"width": WIDTH, "height": 16 + len(rows) * ROW + 16, "left": LABEL, "track": track, "bars": bars,
            "value_x": LABEL + track + 6,
            "ref_x": None if reference is None else LABEL + _x(reference, 1.0, track)}


def stacked_bars(rows: list[tuple[str, list[int]]], room: int = 92) -> dict:
    """Horizontal bars of counts, each split into segments (severe, then general); room: for the
    row labels on the left (gap kinds, up to four characters)."""
    track = WIDTH - room - VALUE
    scale = max((sum(parts) for _, parts in rows), default=0) or 1
    bars = []
    for k, (label, parts) in enumerate(rows):
        x, segments = room, []
        for n, part in enumerate(parts):
            w = _x(part, scale, track)
            segments.append({"x": round(x, 1), "w": w, "n": n, "count": part})
            x += w
        bars.append({"label": label, "y": 8 + k * ROW, "segments": segments, "total": sum(parts),
                     "end": round(x + 6, 1)})
    return {"width": WIDTH, "height": 16 + len(rows) * ROW, "left": room, "bars": bars}


def share_bar(counts: list[int]) -> dict:
    """One bar of 100%: each count's share, in order (segment n is styled n)."""
    total = sum(counts)
    x, segments = 10.0, []
    for n, count in enumerate(counts):
        w = _x(count, total, WIDTH - 20) if total else 0.0
        segments.append({"x": round(x, 1), "w": w, "n": n, "count": count, "mid": round(x + w / 2, 1)})
        x += w
    return {"width": WIDTH, "height": 60, "segments": segments, "total": total}


def _nice(top: float) -> float:
    """A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at or above top."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= top)


def trend(names: list[str], totals: list[float | None], pass_scores: list[float | None],
          gaps: list[int], closed: list[int]) -> dict:
    """Two charts over rounds (oldest first): the total as a line against the pass line, and the
    open and closed gaps as pairs of bars."""
    left, right, top, bottom = 44, 16, 14, 58
    height = 230
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(len(names), 1)
    xs = [round(left + step * (k + 0.5), 1) for k in range(len(names))]
    rotate = len(names) > 4

    def axis(top_value: float, whole: bool = False) -> tuple[float, list[dict]]:
        scale = _nice(top_value)
        if whole:               # counts: four whole steps
            scale = 4 * math.ceil(scale / 4)
        return scale, [{"value": scale * k / 4, "y": round(top + plot_h - plot_h * k / 4, 1)} for k in range(5)]

    def y(value: float, scale: float) -> float:
        return round(top + plot_h - _x(value, scale, plot_h), 1)

    scale, ticks = axis(max([v for v in totals + pass_scores if v is not None], default=1.0))
    line = [{"x": x, "y": y(v, scale), "value": v} for x, v in zip(xs, totals) if v is not None]
    passes = [{"x": x, "y": y(v, scale)} for x, v in zip(xs, pass_scores) if v is not None]
    labels = [{"x": x, "name": name} for x, name in zip(xs, names)]
    count_scale, count_ticks = axis(float(max(gaps + closed, default=1) or 1), whole=True)
    bar_w = round(min(28.0, step * 0.35), 1)
    pairs = [{"x": x, "open": {"x": round(x - bar_w, 1), "y": y(g, count_scale), "h": _x(g, count_scale, plot_h),
                                "count": g},
              "closed": {"x": x, "y": y(c, count_scale), "h": _x(c, count_scale, plot_h), "count": c}}
             for x, g, c in zip(xs, gaps, closed)]
    base = {"width": WIDTH, "height": height, "left": left, "right": WIDTH - right, "top": top,
            "bottom": top + plot_h, "labels": labels, "rotate": rotate}
    return {"total": {**base, "ticks": ticks, "line": line, "points": " ".join(f"{p['x']},{p['y']}" for p in line),
                      "pass": " ".join(f"{p['x']},{p['y']}" for p in passes)},
            "gaps": {**base, "ticks": count_ticks, "pairs": pairs, "bar_w": bar_w}}
