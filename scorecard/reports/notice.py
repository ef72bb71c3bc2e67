"""督办通知单 (CONTRACT §14): an official notice to a department (GB/T 9704 layout of the other
documents): its overdue workbook or each red gap with its days overdue, what to do and by when,
抄送 its 分管领导; attached to the 【督办】 message by followup.remind. Days overdue are counted to the
notice's own day (`as_of`: the step's day), so the notice reads the same whenever it is sent."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import docstyle as ds
from .context import cn_date
from .units import _doc, _save, _table


def notice_document(summary: dict, department: str, path: Path, *, as_of: dt.date, red_gaps: list[dict],
                    overdue_days: int | None = None, submit_by: dt.date | None = None,
                    new_deadline: dt.date, leader: str = "", head: str = "") -> Path:
    """red_gaps: gap dicts (summary.json's) whose 完成时限 is before as_of; overdue_days: the
    workbook's days late, when the notice is about it; leader: whom it is copied to (抄送)."""
    doc = _doc()
    title = "关于督促整改逾期问题的通知" if red_gaps else "关于督促报送自评材料的通知"
    doc.add_paragraph(f"{title}", style=ds.TITLE)
    doc.add_paragraph(f"{department}：", style=ds.ADDRESSEE)
    doc.add_paragraph(f"根据{summary.get('round') or ''}{summary.get('title') or '测评'}工作安排，截至{cn_date(as_of.isoformat())}，"
                      + ("你部门存在以下需要督办的事项。" if red_gaps and overdue_days is not None else
                         "你部门以下问题超过完成时限仍未整改销号。" if red_gaps else "你部门仍未报送审核通过的自评表。"))
    last = None
    if overdue_days is not None:
        last = doc.add_paragraph(f"本轮自评表的报送截止日期为{cn_date(submit_by.isoformat()) if submit_by else '规定日期'}，"
                          f"已逾期{overdue_days}天。请于{cn_date(new_deadline.isoformat())}前按模板填写并报送创建办。")
    if red_gaps:
        rows = []
        for n, g in enumerate(red_gaps, 1):
            deadline = dt.date.fromisoformat(g["deadline"])
            rows.append([str(n), f"{g.get('indicator') or ''} {g.get('indicator_name') or g.get('kind') or ''}".strip(),
                         g.get("problem") or "（未填写）", cn_date(g["deadline"]), str((as_of - deadline).days),
                         g.get("owner") or "（未填写）"])
        _table(doc, ["序号", "测评指标", "存在问题", "原完成时限", "逾期天数", "责任人"], rows, [10, 30, 45, 33, 16, 22])
        last = doc.add_paragraph(f"请于{cn_date(new_deadline.isoformat())}前完成上述问题的整改，并将整改情况和佐证材料报创建办，"
                                 "申请核验销号。")
    if last is not None:        # what to do goes over with 特此通知 and the signature: never a page of signature alone
        last.paragraph_format.keep_with_next = True
    doc.add_paragraph("特此通知。").paragraph_format.keep_with_next = True
    organization = summary.get("organization") or ""
    sign = doc.add_paragraph(f"{organization}创建工作办公室", style=ds.SIGNATURE)
    sign.paragraph_format.keep_with_next = True
    doc.add_paragraph(cn_date(as_of.isoformat()), style=ds.SIGNATURE)
    if leader:
        doc.add_paragraph(f"抄送：{leader}。", style=ds.NOTE)
    return _save(doc, path)
