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

import functools
import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from .. import PACKAGE_TEMPLATES
from ..reports.dashboard_view import overview_view, point, round_view
from ..base.errors import ReportError
from ..base.formatting import percent
from ..base.fsutil import atomic_write_text
from .ledger import Ledger, open_readonly
from ..base.text import chinese_date, fmt_number, safe_filename

DASHBOARD = "看板.html"
TEMPLATE = "看板.html.j2"
logger = logging.getLogger(__name__)

# The trend needs a few fields of every round. Parsing each stored summary for them (tens of MB at
# thousands of departments) is most of the overview's time, so the page across rounds keeps each
# round's point in a table of its own, valid while the round's last_run is the one it was made from;
# a round without a valid point (an older ledger, a run that stopped before the overview) is read
# from its summary, in SQLite, and its point kept the next time the overview is written.
POINTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboard_points (
    round     TEXT PRIMARY KEY,
    last_run  TEXT NOT NULL,
    point     TEXT NOT NULL
)
"""
_ROUNDS = "SELECT name, last_run FROM rounds ORDER BY first_run, rowid"
_KEPT = "SELECT round, last_run, point FROM dashboard_points"
_FROM_SUMMARY = """
SELECT json_extract(summary, '$.as_of', '$.unit.total', '$.unit.passed', '$.unit.veto', '$.pass_score',
                    '$.counts.severe_gaps', '$.items'),
       json_array_length(summary, '$.gaps'), json_array_length(summary, '$.closed_gaps')
FROM rounds WHERE name = ?
"""


def location(output_dir: Path) -> Path | None:
    """The page across rounds, if a run has written it (for `status`)."""
    path = Path(output_dir) / DASHBOARD
    return path if path.is_file() else None


def history(output_dir: Path) -> list[dict]:
    """Every round the ledger holds, oldest first (by first run), as dashboard_view.point gives it."""
    return [p for p, _, _ in _history(output_dir)]


def _history(output_dir: Path, current: dict | None = None) -> list[tuple[dict, str, bool]]:
    """(point, the round's last_run, whether the point was kept) for every round, oldest first.
    current: the summary the ledger has just recorded, so its point is made from it, not read."""
    conn = open_readonly(output_dir)
    if conn is None:
        return []
    with closing(conn):
        try:
            rounds = conn.execute(_ROUNDS).fetchall()
        except sqlite3.OperationalError as exc:     # no rounds table yet (a ledger with only an outbox)
            logger.debug("no round history in the ledger: %s", exc)
            return []
        try:
            kept = {name: (last_run, point) for name, last_run, point in conn.execute(_KEPT)}
        except sqlite3.OperationalError:            # no points kept yet
            kept = {}
        out = []
        for name, last_run in rounds:
            found = kept.get(name)
            if current is not None and current.get("round") == name:
                out.append((point(current), last_run, False))
            elif found is not None and found[0] == last_run:
                out.append((json.loads(found[1]), last_run, True))
            else:
                out.append((_point_from_summary(conn, name), last_run, False))
    return out


def _point_from_summary(conn: sqlite3.Connection, name: str) -> dict:
    values, gaps, closed = conn.execute(_FROM_SUMMARY, (name,)).fetchone()
    as_of, total, passed, veto, pass_score, severe, items = json.loads(values)
    items = {i.get("code"): i.get("score") for i in items or [] if isinstance(i, dict)}
    return {"round": name, "as_of": as_of or "", "total": total, "passed": bool(passed), "veto": bool(veto),
            "pass_score": pass_score, "gaps": gaps or 0, "severe_gaps": severe or 0, "closed": closed or 0,
            "items": items}


def _keep(output_dir: Path, fresh: list[tuple[dict, str]]) -> None:
    """Keep the points just read from summaries (the caller holds the run lock)."""
    if not fresh:
        return
    with closing(Ledger(output_dir).connect()) as conn, conn:
        conn.execute(POINTS_SCHEMA)
        conn.executemany("INSERT OR REPLACE INTO dashboard_points (round, last_run, point) VALUES (?, ?, ?)",
                         [(p["round"], last_run, json.dumps(p, ensure_ascii=False)) for p, last_run in fresh])


def _stored_summary(output_dir: Path, round_name: str) -> dict | None:
    conn = open_readonly(output_dir)
    if conn is None:
        return None
    with closing(conn):
        row = conn.execute("SELECT summary FROM rounds WHERE name = ?", (round_name,)).fetchone()
    return json.loads(row[0]) if row else None


# ---------------------------------------------------------------- rendering

@functools.lru_cache(maxsize=8)
def _environment(templates_dir: str | None):
    """One environment per templates folder and process: the template compiles once (half a second
    for this one), and the loader notices an edited file (auto_reload)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folders = [templates_dir] if templates_dir is not None else []
    env = Environment(loader=FileSystemLoader([*folders, str(PACKAGE_TEMPLATES)]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=_num, pct=_pct, date=chinese_date, u=_unit, signed=_signed, cell=_cell)
    return env


def _num(value):
    """8.0 -> 8, 3.3333 -> 3.33, None -> —; text as it is (autoescaped)."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return _number(value)


@functools.lru_cache(maxsize=4096)
def _number(value: float) -> str:
    """fmt_number, remembered: the heat map formats tens of thousands of cells, mostly the same few scores."""
    return fmt_number(value)


def _cell(value) -> str:
    """A heat-map cell's value as HTML: a number formatted, anything else escaped."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    from markupsafe import escape

    return str(escape("" if value is None else value))


def _pct(rate) -> str:
    """A rate as every document writes it (formatting.percent: one decimal, half-up): 81.3%, 75.0%."""
    return percent(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else "—"


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
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    try:
        env = _environment(str(templates_dir) if templates_dir is not None else None)
        return env.get_template(TEMPLATE).render(page=page)
    except TemplateNotFound as exc:
        raise ReportError(TEMPLATE, f"找不到看板模板 {exc.name}") from exc
    except TemplateSyntaxError as exc:
        raise ReportError(TEMPLATE, f"{exc.filename or TEMPLATE} 第{exc.lineno}行语法错误（{exc.message}）；"
                                    "改正它，或删除它以使用自带的看板模板") from exc
    except TemplateError as exc:
        raise ReportError(TEMPLATE, f"看板使用了不提供的内容（{exc.message or exc}）；改正模板，"
                                    "或删除它以使用自带的看板模板") from exc


def write_round(summary: dict, stage: Path, output_dir: Path, templates_dir: Path | None = None) -> Path:
    """<stage>/看板.html for the round of summary; its trend: the ledger's rounds before it, then it."""
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
    output_dir = Path(output_dir)
    found = _history(output_dir, current)
    if not found:
        return None
    _keep(output_dir, [(p, last_run) for p, last_run, kept in found if not kept])
    points = [p for p, _, _ in found]
    newest = points[-1]["round"]
    latest = current if current and current.get("round") == newest else _stored_summary(output_dir, newest)
    links = {p["round"]: quote(f"{safe_filename(p['round'])}/{DASHBOARD}") for p in points
             if (output_dir / safe_filename(p["round"]) / DASHBOARD).is_file()}
    html = render({"overview": overview_view(latest, points, links)}, templates_dir)
    return atomic_write_text(output_dir / DASHBOARD, html)
