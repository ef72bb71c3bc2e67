"""责任人清单.xlsx (CONTRACT §14): each person's own list of open gaps. A 全部 sheet and one sheet
per department, a row per (责任人, gap), sorted by light (红, 黄, 绿) then 完成时限; A4, filters,
frozen header, the 预警 cell in the light's colour."""
from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..base.fsutil import atomic_save_workbook
from ..base.text import display_width, xml_safe
from ..xlsx.util import print_a4, print_legibly
from .gaplist import LIGHT_FILL
from .write import BORDER, FONT, fit_row_heights, header

OWNER_FILE = "责任人清单.xlsx"
TITLES = ("责任人", "部门", "测评指标", "类型", "程度", "存在问题", "整改措施", "完成时限", "预警", "整改状态")
WIDE = {"存在问题": 34, "整改措施": 30, "测评指标": 22}
_SPLIT = re.compile(r"[、，,；;/\s]+")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
LIGHT_ORDER = {"红": 0, "黄": 1, "绿": 2}
UNNAMED = "（未填写）"


def owners_of(text: str) -> list[str]:
    """The people a 责任人 cell names (王强、李明 / 王强,李明 / 王强 李明); none: （未填写）."""
    names = [n for n in _SPLIT.split(text or "") if n]
    return list(dict.fromkeys(names)) or [UNNAMED]


def owner_rows(summary: dict) -> list[dict]:
    """One row per (责任人, open gap), in the order the people should act on them."""
    order = {d["name"]: k for k, d in enumerate(summary.get("departments", []))}
    rows = []
    for g in summary.get("gaps", []):
        if (g.get("tracking") or {}).get("status") == "已销号":
            continue
        indicator = f"{g.get('indicator') or ''} {g.get('indicator_name') or ''}".strip() or g.get("kind", "")
        for person in owners_of(g.get("owner", "")):
            rows.append({"责任人": person, "部门": g.get("department", ""), "测评指标": indicator,
                         "类型": g.get("kind", ""), "程度": g.get("severity", ""),
                         "存在问题": g.get("problem") or g.get("note") or "", "整改措施": g.get("measure") or "",
                         "完成时限": g.get("deadline") or "", "预警": g.get("light") or "",
                         "整改状态": (g.get("tracking") or {}).get("status") or "未整改"})
    rows.sort(key=lambda r: (LIGHT_ORDER.get(r["预警"], 3), r["完成时限"] == "", r["完成时限"],
                             order.get(r["部门"], len(order)), r["责任人"]))
    return rows


def _sheet(ws, rows: list[dict]) -> None:
    header(ws, list(TITLES))
    font, top = Font(name=FONT), Alignment(vertical="top", wrap_text=True)
    for r in rows:
        ws.append([xml_safe(str(r[t])) for t in TITLES])
    light = TITLES.index("预警") + 1
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.font, cell.alignment, cell.border = font, top, BORDER
        fill = LIGHT_FILL.get(row[light - 1].value)
        if fill is not None:
            row[light - 1].fill = fill
    for k, title in enumerate(TITLES, 1):
        longest = max([display_width(title)] + [display_width(str(r[title])) for r in rows])
        ws.column_dimensions[ws.cell(1, k).column_letter].width = min(longest + 2, WIDE.get(title, 16))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(1, len(TITLES)).column_letter}{max(2, len(rows) + 1)}"
    print_a4(ws, landscape=True, page_numbers=True)
    print_legibly(ws)                   # 9 pt or more on paper: the widest columns wrap
    fit_row_heights(ws)                 # rows as tall as their wrapped text (after the widths are final)


def _title(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name)[:28] or "部门"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}_{n}", n + 1
    used.add(title)
    return title


def write_owner_list(summary: dict, path: Path) -> Path:
    rows = owner_rows(summary)
    wb = Workbook()
    wb.active.title = "全部"
    _sheet(wb.active, rows)
    used = {"全部"}
    order = [d["name"] for d in summary.get("departments", [])]
    for dept in sorted({r["部门"] for r in rows}, key=lambda d: (order.index(d) if d in order else len(order), d)):
        _sheet(wb.create_sheet(_title(dept, used)), [r for r in rows if r["部门"] == dept])
    return atomic_save_workbook(wb, Path(path))
