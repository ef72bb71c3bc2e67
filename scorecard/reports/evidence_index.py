"""佐证材料目录.xlsx (CONTRACT §13): one row per evidence file, for the 测评组 and the office: 项目,
指标, 部门, 文件 (a hyperlink to the binder's copy of a counted file), 类型, 页数/尺寸, 拍摄日期, 状态
and 问题; filters, frozen header, A4 landscape at a legible size. Built from summary.json's
`evidence` alone (the figures are computed once, in the result)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ..base.fsutil import atomic_save_workbook
from ..base.text import display_width, xml_safe
from ..evidence.judge import DOUBTS
from ..office.write import BORDER, FONT, fit_row_heights, header
from ..xlsx.util import print_a4, print_legibly

INDEX_XLSX = "佐证材料目录.xlsx"
TITLES = ("项目", "指标", "部门", "文件", "类型", "页数/尺寸", "拍摄日期", "状态", "问题")
WIDE = {"项目": 16, "指标": 22, "文件": 30, "问题": 48}
KIND_TEXT = {"image": "图片", "document": "文档", "video": "视频"}
NOT_COUNTED = PatternFill("solid", fgColor="FFC7CE")
DOUBTFUL = PatternFill("solid", fgColor="FFE699")


def status_of(entry: dict) -> str:
    """计入 / 计入（存疑） / 未计入, as the index and the 目录 document say it."""
    if not entry.get("counted"):
        return "未计入"
    return "计入（存疑）" if any(f.get("rule") in DOUBTS for f in entry.get("findings") or []) else "计入"


def size_text(entry: dict) -> str:
    if entry.get("pages"):
        return f"{entry['pages']}页"
    if entry.get("width") and entry.get("height"):
        return f"{entry['width']}×{entry['height']}"
    return ""


def index_rows(summary: dict) -> list[dict]:
    """The rows in binder order: by item and indicator (rules order), then department and file."""
    indicators = {i["code"]: i for i in summary.get("indicators", [])}
    items = {i["code"]: i for i in summary.get("items", [])}
    order = {code: n for n, code in enumerate(indicators)}
    dept_order = {d["name"]: n for n, d in enumerate(summary.get("departments", []))}
    rows = []
    for e in summary.get("evidence") or []:
        ind = indicators.get(e.get("indicator") or "")
        item = items.get(ind["item"]) if ind else None
        rows.append({
            "项目": f"{item['code']} {item['name']}" if item else "", "指标": f"{ind['code']} {ind['name']}" if ind else
            (e.get("indicator") or "（未识别指标）"), "部门": e["department"], "文件": e["file"],
            "类型": KIND_TEXT.get(e.get("kind") or "", "") + (f"（{e['type']}）" if e.get("type") else ""),
            "页数/尺寸": size_text(e), "拍摄日期": e.get("taken_on") or "", "状态": status_of(e),
            "问题": "\n".join(f["message"] for f in e.get("findings") or []), "_binder": e.get("binder"),
            "_order": (order.get(e.get("indicator"), len(order)), dept_order.get(e["department"], len(dept_order)),
                       e["file"])})
    rows.sort(key=lambda r: r["_order"])
    return rows


def write_evidence_index(summary: dict, path: Path) -> Path | None:
    """None (nothing written) when the summary has no `evidence`."""
    if summary.get("evidence") is None:
        return None
    rows = index_rows(summary)
    wb = Workbook()
    ws = wb.active
    ws.title = "佐证材料目录"
    header(ws, list(TITLES))
    font, top = Font(name=FONT), Alignment(vertical="top", wrap_text=True)
    link = Font(name=FONT, color="0563C1", underline="single")
    status_col, file_col = TITLES.index("状态") + 1, TITLES.index("文件") + 1
    for r, row in enumerate(rows, 2):
        for c, title in enumerate(TITLES, 1):
            cell = ws.cell(r, c, xml_safe(str(row[title])))
            cell.font, cell.alignment, cell.border = font, top, BORDER
        if row["_binder"]:          # relative to the round folder, where this workbook is
            ws.cell(r, file_col).hyperlink = row["_binder"]
            ws.cell(r, file_col).font = link
        fill = NOT_COUNTED if row["状态"] == "未计入" else DOUBTFUL if row["状态"] != "计入" else None
        if fill is not None:
            ws.cell(r, status_col).fill = fill
    for c, title in enumerate(TITLES, 1):
        longest = max([display_width(title)] + [max((display_width(x) for x in str(r[title]).split("\n")), default=0)
                                               for r in rows])
        ws.column_dimensions[ws.cell(1, c).column_letter].width = min(longest + 2, WIDE.get(title, 14))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(1, len(TITLES)).column_letter}{max(2, len(rows) + 1)}"
    print_a4(ws, landscape=True, page_numbers=True)
    print_legibly(ws)
    fit_row_heights(ws)
    return atomic_save_workbook(wb, path)
