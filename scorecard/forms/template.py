"""`process.py template`: one standard workbook per department (CONTRACT.md §2).

Pre-filled cells (codes, names, max, criteria) are locked and the sheets protected without a
password, so a department cannot overwrite a code by accident but can still unprotect if it must.
Input cells are unlocked and carry drop-downs. A very hidden `_meta` sheet records the template
version and the rules fingerprint so the reader can warn when an old template comes back.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter

from ..intake import layout as L
from ..base.fsutil import atomic_save_workbook
from ..rules import Rules
from ..base.text import fmt_number, unique_filename
from ..xlsx.util import (one_column_text, print_a4, print_landscape, print_legibly, row_height, stop_date,
                         stop_decimal, stop_list)

FONT = "宋体"
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)
DATE_FORMAT = "yyyy-mm-dd"
BONUS_ROWS = 15

# Column widths in Excel character units (a Chinese character is about 2).
# The contract's columns (指标编号 to 完成时限) add up to what prints on landscape A4 at 84%, 9 pt
# (xlsxutil.print_legibly); 测评标准 and 测评方法, for reference, are on screen only.
SCORE_WIDTHS = {"code": 9, "item": 12, "name": 22, "max": 7, "score": 10, "status": 11, "evidence": 24,
                "problem": 26, "measure": 26, "owner": 10, "deadline": 13, "criteria": 48, "method": 12}


def write_templates(rules: Rules, out_dir: Path, *, today: dt.date | None = None) -> list[Path]:
    """Write <out_dir>/<部门名称>.xlsx for every department; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for department in rules.departments:
        path = out_dir / f"{unique_filename(department.name, used)}.xlsx"     # as reports name theirs
        atomic_save_workbook(build_template(rules, department.name, today=today), path)
        written.append(path)
    return written


def build_template(rules: Rules, department: str, *, today: dt.date | None = None) -> Workbook:
    wb = Workbook()
    guide = wb.active
    guide.title = L.GUIDE
    _guide(guide, rules, department)
    _info(wb.create_sheet(L.INFO), rules, department)
    _scores(wb.create_sheet(L.SCORES), rules, department)
    _vetoes(wb.create_sheet(L.VETOES), rules)
    _bonus(wb.create_sheet(L.BONUS), rules)
    meta = wb.create_sheet(L.META)
    for row in (("template_version", L.TEMPLATE_VERSION), ("rules_fingerprint", rules.fingerprint),
                ("department", department), ("generated", (today or dt.date.today()).isoformat())):
        meta.append(row)
    meta.sheet_state = "veryHidden"
    wb.active = 1
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == L.INFO
        if ws.title != L.META:
            print_a4(ws)
            if ws.title == L.GUIDE:
                one_column_text(ws)
            print_legibly(ws, len(L.SCORE_COLUMNS) if ws.title == L.SCORES else None)
    return wb


def _header(ws, titles, row=1):
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
        cell.border = BORDER
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _protect(ws):
    # No password: this guards against accidents, not against the department. In openpyxl a
    # False flag means "allowed while protected": sorting and filtering still work.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.protection.autoFilter = False
    ws.protection.sort = False


def _guide(ws, rules: Rules, department: str):
    lines = [
        f"{rules.title}——填报说明",
        f"单位：{rules.organization}    部门：{department}    轮次：{rules.round or ''}",
        "",
        "1. 本工作簿包含“基本信息”“自评表”“否决事项”“特色亮点”四张表，请勿删除、重命名工作表，勿修改灰色单元格（指标编号、名称、分值等）。",
        "2. 基本信息：核对部门名称，填写填报人、联系电话和填报日期（日期格式如 2026-12-31）。",
        "3. 自评表：逐项填写“自评得分”（0 至分值之间的数字）和“完成情况”（下拉选择："
        + "、".join(rules.statuses) + "），写明“佐证材料”的名称或存放位置。",
        "4. 自评得分低于分值的指标，必须填写“存在问题”“整改措施”“责任人”和“完成时限”，这些内容将列入全局问题清单，逐一整改销号。",
        "5. 否决事项：逐项选择“是”或“否”（默认“否”），如发生请在“说明”中写明情况。任一事项为“是”将导致一票否决。",
        "6. 特色亮点：如有特色工作可申报加分，每行一项，写明申报分值、说明和佐证材料；全局加分合计不超过"
        + f"{fmt_number(rules.bonus_cap)}分。",
        "7. 填好后保存为 .xlsx 格式（不要设置打开密码），按创建办要求报送。如被退回，退回件首页“问题说明”会逐条列出需修改的单元格（标红），修改后重新报送即可。",
    ]
    for i, text in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(name=FONT, size=14 if i == 1 else 11, bold=i == 1)
    # Width and row heights: one_column_text (build_template), page-wide and as tall as the text.


def _info(ws, rules: Rules, department: str):
    rows = [("部门名称", department), ("填报人", None), ("联系电话", None), ("填报日期", None),
            ("轮次", rules.round or ""), ("测评名称", rules.title)]
    for r, (label, value) in enumerate(rows, start=1):
        a = ws.cell(row=r, column=1, value=label)
        a.font = Font(name=FONT, bold=True)
        a.fill = HEADER_FILL
        a.border = BORDER
        a.alignment = CENTER
        b = ws.cell(row=r, column=2, value=value)
        b.font = Font(name=FONT)
        b.border = BORDER
        b.alignment = WRAP
        if label in L.INFO_LABELS:
            b.protection = UNLOCKED
        else:
            b.fill = LOCKED_FILL
    ws["B4"].number_format = DATE_FORMAT
    ws["B3"].number_format = "@"
    stop_date(ws, "B4", "日期格式", "请按 2026-12-31 的格式填写日期。", prompt="格式如 2026-12-31")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 46
    _protect(ws)


def _scores(ws, rules: Rules, department: str):
    columns = L.SCORE_COLUMNS + L.SCORE_EXTRA
    _header(ws, [c.title for c in columns])
    index = {c.key: i for i, c in enumerate(columns, start=1)}
    inputs = {"score", "status", "evidence", "problem", "measure", "owner", "deadline"}
    indicators = rules.indicators_of(department)
    for r, ind in enumerate(indicators, start=2):
        values = {"code": ind.code, "item": f"{ind.item} {ind.item_name}", "name": ind.name, "max": ind.max,
                  "criteria": _criteria(ind), "method": ind.method}
        for key, col in index.items():
            cell = ws.cell(row=r, column=col, value=values.get(key))
            cell.border = BORDER
            cell.font = Font(name=FONT)
            cell.alignment = CENTER if key in ("code", "max", "score", "status", "owner", "deadline") else WRAP
            if key in inputs:
                cell.protection = UNLOCKED
            else:
                cell.fill = LOCKED_FILL
        ws.cell(row=r, column=index["code"]).number_format = "@"
        ws.cell(row=r, column=index["deadline"]).number_format = DATE_FORMAT
        ws.row_dimensions[r].height = 48
        if ind.computed is not None:
            _computed_row(ws, r, index, ind)
    last = max(2, len(indicators) + 1)
    col = {k: get_column_letter(v) for k, v in index.items()}
    # Every check stops a bad value (errorStyle "stop"): Excel refuses it rather than warning.
    stop_list(ws, f"{col['status']}2:{col['status']}{last}", _list_formula(rules.statuses), "完成情况",
              "请从下拉列表中选择。", prompt="请从下拉列表中选择")
    # A decimal between 0 and the row's own 分值 (a relative reference, so one rule serves every row).
    stop_decimal(ws, f"{col['score']}2:{col['score']}{last}", f"{col['max']}2", "自评得分",
                 "自评得分应为 0 到分值之间的数字。", prompt="填写 0 到分值之间的数字")
    stop_date(ws, f"{col['deadline']}2:{col['deadline']}{last}", "完成时限", "请填写日期，格式如 2026-12-31。",
              prompt="填写日期，格式如 2026-12-31")
    for key, letter in col.items():
        ws.column_dimensions[letter].width = SCORE_WIDTHS.get(key, 12)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    for r, ind in enumerate(indicators, start=2):
        texts = {"name": ind.name, "criteria": _criteria(ind), "item": f"{ind.item} {ind.item_name}"}
        ws.row_dimensions[r].height = max(48, *(row_height(t, SCORE_WIDTHS[k]) for k, t in texts.items()))
    print_landscape(ws, 1)
    ws.oddHeader.center.text = f"{rules.title} 自评表（{department}）"
    _protect(ws)


COMPUTED_FILL = PatternFill("solid", fgColor="E2EFDA")


def _criteria(ind) -> str:
    """测评标准, and (§13) the evidence the indicator asks for when its rule says more than the default:
    the kinds, the minimum and the note, and where the files go."""
    rule = ind.evidence
    if ind.computed is not None or not rule.required or (rule.min_files == 1 and rule.kinds == ("any",)
                                                         and not rule.note):
        return ind.criteria
    return (f"{ind.criteria}\n【佐证材料】{rule.text}。文件放入“佐证材料”文件夹，文件名以“{ind.code}”开头"
            if ind.criteria else f"【佐证材料】{rule.text}")


def _computed_row(ws, r: int, index: dict[str, int], ind) -> None:
    """A computed indicator (§12): nothing to fill. Every cell locked, the basis in 佐证材料."""
    from ..intake.datasets import method_words

    for key, col in index.items():
        cell = ws.cell(row=r, column=col)
        cell.protection = Protection(locked=True)
        cell.fill = COMPUTED_FILL
    ws.cell(row=r, column=index["evidence"]).value = (
        f"【由数据计算，无需自评】{method_words(ind.computed)}")


def _vetoes(ws, rules: Rules):
    _header(ws, [c.title for c in L.VETO_COLUMNS])
    for r, veto in enumerate(rules.vetoes, start=2):
        for c, value in enumerate((veto.code, veto.name, L.NO, None), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border = BORDER
            cell.font = Font(name=FONT)
            cell.alignment = CENTER if c in (1, 3) else WRAP
            if c >= 3:
                cell.protection = UNLOCKED
            else:
                cell.fill = LOCKED_FILL
        ws.row_dimensions[r].height = 32
    last = max(2, len(rules.vetoes) + 1)
    stop_list(ws, f"C2:C{last}", f'"{L.YES},{L.NO}"', "是否发生", "请选择“是”或“否”。", allow_blank=False)
    for letter, width in zip("ABCD", (8, 50, 11, 50)):
        ws.column_dimensions[letter].width = width
    _protect(ws)


def _bonus(ws, rules: Rules):
    _header(ws, [c.title for c in L.BONUS_COLUMNS])
    for r in range(2, BONUS_ROWS + 2):
        for c in range(1, len(L.BONUS_COLUMNS) + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = BORDER
            cell.font = Font(name=FONT)
            cell.alignment = WRAP
    stop_decimal(ws, f"B2:B{BONUS_ROWS + 1}", fmt_number(rules.bonus_cap), "申报加分",
                 f"申报加分应为 0 到 {fmt_number(rules.bonus_cap)} 之间的数字。")
    for letter, width in zip("ABCD", (30, 10, 50, 36)):
        ws.column_dimensions[letter].width = width


def _list_formula(values) -> str:
    # An inline list; rules.py refuses statuses with commas or over Excel's 255-character limit.
    return '"' + ",".join(values) + '"'
