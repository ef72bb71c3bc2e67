"""Units mode documents (CONTRACT §17): 测评结果汇总.docx (a 通报 to the leadership),
单位反馈/<单位>.docx (each unit's own result), 测评结果.xlsx (全部 + one sheet per group).

Every figure comes from summary.json's `units[]`, `groups[]`, `entries` and `gaps`; this module
only words and lays them out, in the GB/T 9704 styles of reports/docstyle.py.
"""
from __future__ import annotations

import io
import logging
from pathlib import Path

from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ..base.fsutil import atomic_save_workbook, atomic_write_bytes
from ..base.text import unique_filename
from ..xlsx.util import print_a4
from . import docstyle as ds
from .context import cn_date
from .rendercache import content_key
from .unitfacts import fmt, group_name, indicator_rates, reason, verdict, weakest_indicators  # noqa: F401

logger = logging.getLogger(__name__)

RESULT_DOC = "测评结果汇总.docx"
RESULT_XLSX = "测评结果.xlsx"
FEEDBACK_DIR = "单位反馈"
SUBMISSION = {"accepted": "已报送", "returned": "报送后被退回", "missing": "未报送"}
XLSX_TITLES = ("排名", "分组内排名", "单位", "分组", "报送情况", "得分", "加分", "总分", "否决", "结论", "原因")


# --- Word --------------------------------------------------------------------------------------

_BASE: list[bytes] = []


def _doc():
    """A fresh styled document: the styles are applied once and the empty document reopened from
    its bytes for each one (applying them took most of the 0.2 s a feedback document cost)."""
    if not _BASE:
        doc = Document()
        ds.apply_styles(doc)          # the page numbers too (a second call printed “— 1 —— 1 —”)
        buf = io.BytesIO()
        doc.save(buf)
        _BASE.append(buf.getvalue())
    return Document(io.BytesIO(_BASE[0]))


def _table(doc, titles, rows, widths):
    table = doc.add_table(rows=1 + len(rows), cols=len(titles))
    table.style = ds.TABLE_STYLE
    header, center = doc.styles[ds.TABLE_HEADER], doc.styles[ds.TABLE_CENTER]    # looked up once
    for r, values in enumerate([titles, *rows]):
        for cell, value in zip(table.rows[r].cells, values):
            paragraph = cell.paragraphs[0]
            paragraph.style = header if r == 0 else center
            paragraph.add_run(str(value))
    ds.header_row(table.rows[0])
    for row in table.rows[1:]:          # a row is never broken over two pages
        ds.cant_split(row)
    ds.table_layout(table, widths)
    return table


def _save(doc, path: Path) -> Path:
    buf = io.BytesIO()
    doc.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


def result_document(summary: dict, path: Path) -> Path:
    units, groups = summary["units"], summary["groups"]
    pass_score = summary["pass_score"]
    assessed = [u for u in units if u["submission"] == "accepted"]
    passed = [u for u in units if u["passed"]]
    doc = _doc()
    doc.add_paragraph(f"关于{summary.get('round') or ''}{summary.get('title') or '测评'}结果的通报", style=ds.TITLE)
    doc.add_paragraph("各参评单位：", style=ds.ADDRESSEE)
    doc.add_paragraph(
        f"按照{summary.get('title') or '测评'}工作安排，经材料审核和实地考察，现将测评结果通报如下。"
        f"本次共有{len(units)}个单位参评，{len(assessed)}个单位参加测评，合格{len(passed)}个，"
        f"不合格{len(units) - len(passed)}个（合格线{fmt(pass_score)}分，加分上限{fmt(summary.get('bonus_cap'))}分）。")
    doc.add_paragraph("一、拟命名名单", style=ds.HEADING1)
    for g in groups:
        names = [u for u in passed if u["group"] == g["name"]]
        doc.add_paragraph(f"{group_name(g['name'])}（{g['units']}个单位参评，{g['passed']}个合格，"
                          f"平均总分{fmt(g['mean_total'])}分）：" + ("、".join(
                              f"{u['name']}（{fmt(u['total'])}分）" for u in sorted(names, key=lambda u: u["group_rank"]))
                              or "无") + "。")
    doc.add_paragraph("二、未通过测评的单位及原因", style=ds.HEADING1)
    failing = [u for u in units if not u["passed"]]
    if failing:
        _table(doc, ["分组", "单位", "总分", "原因"],
               [[group_name(u["group"]), u["name"], fmt(u["total"]), reason(u, pass_score)] for u in failing],
               [28, 40, 18, 70])
    else:
        doc.add_paragraph("全部参评单位均通过测评。")
    doc.add_paragraph("三、共性薄弱指标", style=ds.HEADING1)
    weak = weakest_indicators(summary)
    if weak:
        _table(doc, ["指标编号", "测评指标", "平均得分率", "未得满分单位数"],
               [[w["code"], w["name"], f"{w['rate'] * 100:.1f}%", f"{w['below']}/{w['units']}"] for w in weak],
               [24, 72, 30, 30])
        doc.add_paragraph("请各单位对照上述薄弱指标举一反三，查漏补缺，巩固创建成果。")
    else:
        doc.add_paragraph("参加测评的单位各项指标均得满分。")
    contact = (summary.get("contact") or {}).get("text")
    if contact:
        doc.add_paragraph(f"（{contact}）", style=ds.NOTE)
    doc.add_paragraph(summary.get("organization") or "", style=ds.SIGNATURE)
    doc.add_paragraph(cn_date(summary.get("as_of") or ""), style=ds.SIGNATURE)
    return _save(doc, path)


def feedback_document(summary: dict, u: dict, path: Path, gaps: list[dict] | None = None) -> Path:
    """One unit's 单位反馈; `gaps`: its gaps, when the caller has grouped them already."""
    pass_score = summary["pass_score"]
    groups = {g["name"]: g for g in summary["groups"]}
    doc = _doc()
    doc.add_paragraph(f"{u['name']}{summary.get('round') or ''}测评结果反馈", style=ds.TITLE)
    doc.add_paragraph(f"{u['name']}：", style=ds.ADDRESSEE)
    if u["submission"] != "accepted":
        doc.add_paragraph(f"你单位本轮{SUBMISSION[u['submission']]}，按0分计，不参加排名，测评结论为不合格。"
                          f"请于{cn_date(summary.get('resubmit_by')) or '规定时间'}前按要求报送自评表。")
    else:
        g = groups.get(u["group"], {})
        doc.add_paragraph(
            f"你单位本轮测评得分{fmt(u['score'])}分，特色加分{fmt(u['bonus'])}分"
            + (f"（申报{fmt(u.get('claimed_bonus'))}分，按上限{fmt(summary.get('bonus_cap'))}分计）"
               if float(u.get("claimed_bonus") or 0) > float(u["bonus"]) else "")
            + f"，总分{fmt(u['total'])}分，测评结论为{verdict(u)}。"
            f"在{group_name(u['group'])}{g.get('units', '')}个单位中排名第{u['group_rank']}，全部单位中排名第{u['rank']}。")
        if not u["passed"]:
            doc.add_paragraph(f"未通过原因：{reason(u, pass_score)}。")
    if gaps is None:
        gaps = [x for x in summary.get("gaps", []) if x["department"] == u["name"]]
    doc.add_paragraph("一、问题短板", style=ds.HEADING1)
    if gaps:
        _table(doc, ["指标", "得分/分值", "问题", "整改措施"],
               [[f"{x.get('indicator') or ''} {x.get('indicator_name') or x.get('kind')}",
                 f"{fmt(x.get('score'))}/{fmt(x.get('max'))}" if x.get("indicator") else "-",
                 x.get("problem") or x.get("note") or x.get("kind"), x.get("measure") or ""] for x in gaps],
               [40, 22, 50, 44])
    else:
        doc.add_paragraph("本轮未发现问题短板。")
    doc.add_paragraph("二、下一步工作", style=ds.HEADING1)
    if u["submission"] != "accepted":
        doc.add_paragraph("按模板填写全部指标的自评得分和佐证材料，按时报送。")
    elif u["veto"]:
        doc.add_paragraph("你单位触发一票否决事项，请认真剖析原因，落实整改，整改情况书面报送。")
    else:
        doc.add_paragraph("请对照上表逐项整改，明确责任人和完成时限，整改完成后报送佐证材料，申请销号。"
                          if gaps else "请保持创建成果，持续巩固提升。")
    doc.add_paragraph(summary.get("organization") or "", style=ds.SIGNATURE)
    doc.add_paragraph(cn_date(summary.get("as_of") or ""), style=ds.SIGNATURE)
    return _save(doc, path)


# --- Excel -------------------------------------------------------------------------------------

def _sheet(ws, units, pass_score) -> None:
    ws.append(list(XLSX_TITLES))
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor=ds.HEADER_FILL)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for u in units:
        ws.append([u["rank"], u["group_rank"], u["name"], group_name(u["group"]), SUBMISSION[u["submission"]],
                   u["score"], u["bonus"], u["total"], "是" if u["veto"] else "否", verdict(u), reason(u, pass_score)])
    for col, width in zip("ABCDEFGHIJK", (6, 8, 24, 14, 12, 8, 7, 8, 6, 8, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:K{max(1, ws.max_row)}"
    print_a4(ws, landscape=True)


def _ordered(units):
    return sorted(units, key=lambda u: (u["rank"] is None, u["rank"] or 0, u["name"]))


def result_workbook(summary: dict, path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "全部"
    _sheet(ws, _ordered(summary["units"]), summary["pass_score"])
    used = {"全部"}
    for g in summary["groups"]:
        title = unique_filename(group_name(g["name"]).replace("/", "_")[:28], used)
        _sheet(wb.create_sheet(title), sorted(
            [u for u in summary["units"] if u["group"] == g["name"]],
            key=lambda u: (u["group_rank"] is None, u["group_rank"] or 0, u["name"])), summary["pass_score"])
    return atomic_save_workbook(wb, path)


def feedback_jobs(summary: dict, out_dir: Path, version: bytes = b"") -> list[tuple[str, str, str]]:
    """(unit, path, render key) for every unit's 单位反馈 in out_dir/单位反馈/; the key covers all a
    document shows (its unit, its gaps, its group, the round's facts) and `version` (the code's),
    so a rerun renders again only the units whose document changed."""
    if not summary.get("units"):
        return []
    folder = Path(out_dir) / FEEDBACK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    gaps = gaps_by_unit(summary)
    groups = {g["name"]: g for g in summary.get("groups") or []}
    facts = {k: summary.get(k) for k in ("round", "organization", "pass_score", "bonus_cap", "resubmit_by", "as_of")}
    used: set = set()
    jobs = []
    for u in summary["units"]:
        key = content_key(version, {"unit": u, "gaps": gaps.get(u["name"], []), "facts": facts,
                                    "group_units": groups.get(u["group"], {}).get("units")})
        jobs.append((u["name"], str(folder / f"{unique_filename(u['name'], used)}.docx"), key))
    return jobs


def gaps_by_unit(summary: dict) -> dict[str, list[dict]]:
    gaps: dict[str, list[dict]] = {}
    for g in summary.get("gaps", []):         # grouped once: 10,000 units x their gaps
        gaps.setdefault(g["department"], []).append(g)
    return gaps


def render_feedback(summary: dict, jobs: list[tuple[str, str, str]], gaps: dict[str, list[dict]] | None = None) -> None:
    """Write the 单位反馈 of jobs (feedback_jobs' triples), here or in a worker process."""
    units = {u["name"]: u for u in summary["units"]}
    gaps = gaps_by_unit(summary) if gaps is None else gaps
    for name, path, _ in jobs:
        feedback_document(summary, units[name], Path(path), gaps.get(name, []))


def write_round_documents(summary: dict, out_dir: Path) -> list[Path]:
    """测评结果汇总.docx and 测评结果.xlsx (the leaders'), in out_dir."""
    out_dir = Path(out_dir)
    return [result_document(summary, out_dir / RESULT_DOC), result_workbook(summary, out_dir / RESULT_XLSX)]


def write_unit_documents(summary: dict, out_dir: Path) -> list[tuple[Path, str | None]]:
    """All §17 documents into out_dir (the staging round folder), each with the unit it is for
    (None: the leaders'), in this process; nothing in departments mode. (write_reports renders the
    单位反馈 through its pool and render cache instead.)"""
    if not summary.get("units"):
        return []
    written: list[tuple[Path, str | None]] = [(p, None) for p in write_round_documents(summary, out_dir)]
    jobs = feedback_jobs(summary, out_dir)
    render_feedback(summary, jobs)
    written += [(Path(path), name) for name, path, _ in jobs]
    logger.info("units mode: %d documents written", len(written))
    return written
