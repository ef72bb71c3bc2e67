"""`process.py remind [--as-of DATE] [--send]` (CONTRACT §14): from the round run last and the day,
queue in the §9 outbox each follow-up message that is due (due.py), once per (kind, department,
step, content), and send what is pending.

A message's identity is its step (the `facts` the outbox keeps): running again the same day, or on
a later day before the next step, queues nothing new; a newer step of a department supersedes the
one still waiting (an SMTP outage then sends the step now due, not every step missed). The round's
own messages (reports, 退回, 报送提醒) are left alone, and they leave these alone.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Callable, Mapping

from ..base.text import add_working_days, chinese_date, safe_filename
from ..mail import messages as mail
from ..mail.delivery import Delivery, deliver_drafts, _latest_round_dir
from ..rules import Rules
from .due import CHASE, ESCALATE, FOLLOWUP_KINDS, REMIND, Due, due

logger = logging.getLogger(__name__)

NOTICE_DIR = "督办"             # output/<round>/督办/<部门>_督办通知单.docx
TEMPLATE = {REMIND: "followup_remind", CHASE: "followup_chase", ESCALATE: "followup_escalate"}


def remind(rules: Rules, output_dir: Path, today: dt.date, *, send: bool = False,
           templates_dir: Path | None = None, env: Mapping[str, str] | None = None,
           clock: Callable[[], dt.datetime] = dt.datetime.now) -> tuple[list[Due], Delivery | None]:
    """Queue (and with send, send) the follow-up due on `today` for the round run last.
    Returns what was due and the delivery (None when no round has been run)."""
    output_dir = Path(output_dir)
    round_dir = _latest_round_dir(output_dir)
    if round_dir is None:
        logger.warning("还没有运行过本轮（台账中没有记录），没有可督办的内容。请先运行 process.py run。")
        return [], None
    summary = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))
    found = due(rules, summary, today)
    drafts = [d for d in (_draft(rules, summary, round_dir, x, templates_dir) for x in found) if d is not None]
    result = deliver_drafts(rules, output_dir, summary["round"], drafts, kinds=FOLLOWUP_KINDS, send=send,
                            env=env, clock=clock)
    for x in found:
        logger.info("%s：%s（%s，%s）", mail.KIND_LABELS[x.kind], x.department, _step_text(x), chinese_date(x.due_on))
    if not found:
        logger.info("%s：没有到期的提醒、催办或督办。", chinese_date(today))
    return found, result


def _step_text(x: Due) -> str:
    if x.kind == REMIND:
        return f"截止前 {x.days} 天"
    if x.kind == CHASE:
        return f"逾期 {x.days} 天"
    parts = [f"自评表逾期 {x.days} 天"] if x.step == "submission" else [f"{len(x.red_gaps)} 项问题逾期"]
    return "，".join(parts + (["抄送负责人和分管领导"] if x.escalated else []))


def _draft(rules: Rules, summary: dict, round_dir: Path, x: Due, templates_dir) -> mail.Draft | None:
    dept = rules.department(x.department)
    if dept is None or not dept.email:
        logger.warning("部门“%s”在 rules.yaml 中没有填写邮箱，%s无法发送。", x.department, mail.KIND_LABELS[x.kind])
        return None
    cc: tuple[str, ...] = ()
    cc_names: list[str] = []
    if x.escalated:
        leader = next((ld for ld in rules.leaders if ld.name == dept.leader), None) if dept.leader else None
        cc = tuple(dict.fromkeys((*dept.head_email, *(leader.email if leader else ()))))
        cc_names = [n for n in (f"{dept.head}（部门负责人）" if dept.head and dept.head_email else "",
                                f"{leader.name}（分管领导）" if leader else "") if n]
    new_deadline = add_working_days(x.due_on, rules.resubmit_days, rules.holidays, rules.workdays)
    red = [{"indicator_text": f"{g.indicator} {g.indicator_name}".strip() or g.kind, "problem": g.problem,
            "owner": g.owner, "deadline": chinese_date(g.deadline), "days_overdue": g.days_overdue}
           for g in x.red_gaps]
    context = {"department": x.department, "round": summary["round"],
               "title": summary.get("title") or rules.title,
               "organization": summary.get("organization") or rules.organization,
               "contact": rules.contact.text if rules.contact else "", "state": x.state, "days": x.days,
               "submit_by": chinese_date(x.submit_by) if x.submit_by else "", "due_on": chinese_date(x.due_on),
               "new_deadline": chinese_date(new_deadline), "submission": x.step == "submission",
               "red_gaps": red, "cc_names": cc_names}
    if x.kind == ESCALATE:
        attachments = _notice(summary, round_dir, x, new_deadline, dept, cc_names)
    else:
        attachments = _blank_template(rules, x.department, x.due_on)
    context["attachment_names"] = [a.name for a in attachments]
    facts = json.dumps({"kind": x.kind, "department": x.department, "step": x.step, "due_on": x.due_on.isoformat(),
                        "to": list(dept.email), "cc": list(cc), "gaps": [g.key for g in x.red_gaps]},
                       ensure_ascii=False, sort_keys=True)
    env = mail._environment(templates_dir)
    draft = mail._render(env, x.kind, summary["round"], x.department, x.department, tuple(dept.email), context,
                         attachments, (), facts, template=TEMPLATE[x.kind])
    return mail.Draft(**{**{f: getattr(draft, f) for f in draft.__dataclass_fields__}, "cc": cc})


def _blank_template(rules: Rules, department: str, day: dt.date) -> tuple[mail.Attachment, ...]:
    from ..forms.template import build_template

    buffer = io.BytesIO()
    build_template(rules, department, today=day).save(buffer)     # the step's day: the same bytes each time
    return (mail.Attachment(f"{safe_filename(department)}.xlsx", buffer.getvalue()),)


def _notice(summary: dict, round_dir: Path, x: Due, new_deadline: dt.date, dept, cc_names) -> tuple:
    """The 督办通知单 (reports/notice.py), written to <round>/督办/ and attached."""
    try:
        from ..reports.notice import notice_document
    except ImportError:            # the notice's builder is not in this build yet
        return ()
    folder = round_dir / NOTICE_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{safe_filename(x.department)}_督办通知单.docx"
    red = [{"key": g.key, "indicator": g.indicator, "indicator_name": g.indicator_name, "kind": g.kind,
            "problem": g.problem, "owner": g.owner, "deadline": g.deadline.isoformat()} for g in x.red_gaps]
    notice_document(summary, x.department, path, as_of=x.due_on, red_gaps=red,
                    overdue_days=x.days if x.step == "submission" else None, submit_by=x.submit_by,
                    new_deadline=new_deadline, leader="、".join(cc_names), head=dept.head)
    return (mail.Attachment(path.name, path.read_bytes()),)
