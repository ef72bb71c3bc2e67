"""The round at a glance (看板, CONTRACT §15): `<round>/看板.html` and `<output>/看板.html`.

Each is one self-contained HTML file (inline style and SVG, no script, no font, no request) that
opens from disk and as a mail attachment. The figures come from dashboard_view.py (the view
model, computed once from summary.json and the ledger); the template `看板.html.j2` (a user's
templates folder first, then the packaged default) only formats and lays them out. Everything a
department typed reaches it as a context value in an autoescaping environment.

- `write_round(summary, stage, output_dir)`: the round's page, into the staging round folder (it
  appears whole with the folder); its trend is the ledger's rounds up to this one, this run's
  summary standing for the round itself (the ledger records it only after the folder is in place).
- `write_overview(output_dir)`: the page across rounds, newest first, after the ledger has the run.

The run time is on neither page: a rerun with the same data writes the same bytes, so the
leaders' message (which attaches the round's page) is not mailed again for nothing (CONTRACT §9).
Jinja is imported when a page is rendered, not with this module (status only asks where it is).
"""
from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from . import PACKAGE_TEMPLATES
from .errors import ReportError
from .fsutil import atomic_write_text
from .ledger import open_readonly
from .text import chinese_date, fmt_number, safe_filename

DASHBOARD = "看板.html"
TEMPLATE = "看板.html.j2"
logger = logging.getLogger(__name__)

# One query for the trend: the few fields of each stored summary it needs (SQLite parses the JSON).
_HISTORY = """
SELECT name, json_extract(summary, '$.as_of'), json_extract(summary, '$.unit.total'),
       json_extract(summary, '$.unit.passed'), json_extract(summary, '$.unit.veto'),
       json_extract(summary, '$.pass_score'), json_array_length(summary, '$.gaps'),
       json_extract(summary, '$.counts.severe_gaps'), json_array_length(summary, '$.closed_gaps'),
       json_extract(summary, '$.items')
FROM rounds ORDER BY first_run, rowid
"""


def location(output_dir: Path) -> Path | None:
    """The page across rounds, if a run has written it (for `status`)."""
    path = Path(output_dir) / DASHBOARD
    return path if path.is_file() else None


def history(output_dir: Path) -> list[dict]:
    """Every round the ledger holds, oldest first (by first run), as dashboard_view.point gives it."""
    conn = open_readonly(output_dir)
    if conn is None:
        return []
    try:
        with closing(conn):
            rows = conn.execute(_HISTORY).fetchall()
    except sqlite3.OperationalError as exc:     # no rounds table yet (a ledger with only an outbox)
        logger.debug("no round history in the ledger: %s", exc)
        return []
    points = []
    for name, as_of, total, passed, veto, pass_score, gaps, severe, closed, items in rows:
        try:
            items = {i.get("code"): i.get("score") for i in json.loads(items or "[]")}
        except (TypeError, ValueError, AttributeError):
            items = {}
        points.append({"round": name, "as_of": as_of or "", "total": total, "passed": bool(passed),
                       "veto": bool(veto), "pass_score": pass_score, "gaps": gaps or 0,
                       "severe_gaps": severe or 0, "closed": closed or 0, "items": items})
    return points


def _stored_summary(output_dir: Path, round_name: str) -> dict | None:
    conn = open_readonly(output_dir)
    if conn is None:
        return None
    with closing(conn):
        row = conn.execute("SELECT summary FROM rounds WHERE name = ?", (round_name,)).fetchone()
    return json.loads(row[0]) if row else None


# ---------------------------------------------------------------- rendering

def _environment(templates_dir: Path | None):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folders = [str(templates_dir)] if templates_dir is not None else []
    env = Environment(loader=FileSystemLoader([*folders, str(PACKAGE_TEMPLATES)]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=_num, pct=_pct, date=chinese_date, u=_unit, signed=_signed)
    return env


def _num(value) -> str:
    """8.0 -> 8, 3.3333 -> 3.33, None -> —; text as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return fmt_number(value)


def _pct(rate) -> str:
    return f"{fmt_number(round(rate * 100, 1))}%" if isinstance(rate, (int, float)) else "—"


def _signed(value) -> str:
    if not isinstance(value, (int, float)):
        return "—"
    text = fmt_number(value)
    return "持平" if text == "0" else (f"+{text}" if value > 0 else text)


def _unit(value) -> str:
    """An SVG coordinate: at most one decimal."""
    return f"{float(value):.1f}".rstrip("0").rstrip(".") if isinstance(value, (int, float)) else "0"


def render(page: dict, templates_dir: Path | None = None) -> str:
    """The HTML of a page (`{"round": view}` or `{"overview": view}`). Raises ReportError when
    the template is missing or broken."""
    from jinja2 import TemplateError, TemplateNotFound

    try:
        return _environment(templates_dir).get_template(TEMPLATE).render(page=page)
    except TemplateNotFound as exc:
        raise ReportError(TEMPLATE, f"找不到看板模板 {exc.name}") from exc
    except TemplateError as exc:
        raise ReportError(TEMPLATE, f"看板模板无法使用（{exc.message or exc}）") from exc


def write_round(summary: dict, stage: Path, output_dir: Path, templates_dir: Path | None = None) -> Path:
    """<stage>/看板.html for the round of summary; its trend: the ledger's rounds before it, then it."""
    from .dashboard_view import point, round_view

    points = history(output_dir)
    names = [p["round"] for p in points]
    if summary["round"] in names:
        points = points[:names.index(summary["round"])]
    html = render({"round": round_view(summary, points + [point(summary)])}, templates_dir)
    path = Path(stage) / DASHBOARD
    path.write_text(html, encoding="utf-8")
    return path


def write_overview(output_dir: Path, templates_dir: Path | None = None, current: dict | None = None) -> Path | None:
    """<output>/看板.html: every round the ledger holds, newest first, the newest in full.
    current: a summary just recorded (saves reading it back). None when the ledger has no round."""
    from .dashboard_view import overview_view

    output_dir = Path(output_dir)
    points = history(output_dir)
    if not points:
        return None
    newest = points[-1]["round"]
    latest = current if current and current.get("round") == newest else _stored_summary(output_dir, newest)
    links = {p["round"]: f"{safe_filename(p['round'])}/{DASHBOARD}" for p in points
             if (output_dir / safe_filename(p["round"]) / DASHBOARD).is_file()}
    html = render({"overview": overview_view(latest, points, links)}, templates_dir)
    return atomic_write_text(output_dir / DASHBOARD, html)
