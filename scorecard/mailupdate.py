"""Which messages are new content, and what a replacing message says (CONTRACT.md §9).

A reader is mailed again only when what concerns that reader changed: a department's own scores,
findings, gaps, tracking or returned files; for the leaders, the unit's result or the gap list.
`department_facts` and `leader_facts` are that, as canonical JSON: a department report's identity
in the outbox is its facts, not its Word file, so another department's new score (which moves
this department's rank, printed in its report) is not a change for it.

A message that replaces one already sent to the same address (same round, kind and reader) says
so: `as_update` puts 【更新】 before its subject and a first line saying what changed, worked out
by `what_changed` from the facts of the message sent last.
"""
from __future__ import annotations

import html
import json
from dataclasses import replace

from .text import fmt_number

UPDATE = "【更新】"
# A department's entry fields that follow from other departments (CONTRACT §9: not its own change).
NOT_OWN = ("rank",)
# Not what a reader sees: a file saved again with the same content has new bytes.
NOT_SEEN = ("sha256",)
# What the leaders' messages are about: the unit's result and the gap list (and who reported).
LEADER_KEYS = ("unit", "items", "indicators", "gaps", "closed_gaps", "vetoes", "bonuses", "unsubmitted",
               "returned", "reviews", "rectification")


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def department_facts(summary: dict, name: str) -> str:
    """Everything of the summary that is this department's own: its entry (without its rank), and
    every listed record that names it (entries, gaps with their tracking, closed gaps, its files
    and their findings, verified scores, computed bases, evidence...)."""
    facts: dict = {}
    for key, value in summary.items():
        if key == "departments":
            own = [{k: v for k, v in d.items() if k not in NOT_OWN} for d in value if d.get("name") == name]
        elif isinstance(value, list):
            own = [{k: v for k, v in x.items() if k not in NOT_SEEN} for x in value
                   if isinstance(x, dict) and x.get("department") == name]
        else:
            continue
        if own:
            facts[key] = own
    return _canonical(facts)


def leader_facts(summary: dict) -> str:
    facts = {k: summary.get(k) for k in LEADER_KEYS}
    facts["departments"] = [{k: d.get(k) for k in ("name", "submission", "score", "self_score")}
                            for d in summary.get("departments", [])]
    return _canonical(facts)




def _load(facts: str) -> dict:
    try:
        value = json.loads(facts) if facts else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _gap_changes(old: list, new: list, with_department: bool = False) -> list[str]:
    def label(g):
        where = g.get("indicator") or "部门整体"
        who = f"{g.get('department')} " if with_department and g.get("department") else ""
        return f"{who}{where} {g.get('kind', '')}".strip()
    before = {g.get("key") or label(g): g for g in old}
    after = {g.get("key") or label(g): g for g in new}
    parts = []
    added = [label(g) for k, g in after.items() if k not in before]
    gone = [label(g) for k, g in before.items() if k not in after]
    if added:
        parts.append(f"新增问题{len(added)}条（{'、'.join(added[:5])}{'等' if len(added) > 5 else ''}）")
    if gone:
        parts.append(f"消除问题{len(gone)}条（{'、'.join(gone[:5])}{'等' if len(gone) > 5 else ''}）")
    moved = []
    for k, g in after.items():
        if k in before:
            was = (before[k].get("tracking") or {}).get("status")
            now = (g.get("tracking") or {}).get("status")
            if was and now and was != now:
                moved.append(f"{label(g)} {was}→{now}")
    if moved:
        parts.append("整改状态变化：" + "、".join(moved[:5]) + ("等" if len(moved) > 5 else ""))
    if not parts and [before.get(k) for k in after] != list(after.values()):
        parts.append("问题内容有调整")
    return parts


def _number_change(label: str, old, new) -> list[str]:
    if old == new or new is None:
        return []
    if old is None:
        return [f"{label}{fmt_number(new)}分"]
    return [f"{label}由{fmt_number(old)}分调整为{fmt_number(new)}分"]


def what_changed(kind: str, old_facts: str, new_facts: str) -> str:
    """One Chinese sentence: what differs between the message sent last and this one."""
    old, new = _load(old_facts), _load(new_facts)
    parts: list[str] = []
    if kind == "leaders":
        o, n = old.get("unit") or {}, new.get("unit") or {}
        parts += _number_change("总分", o.get("total"), n.get("total"))
        if o.get("passed") != n.get("passed") and "passed" in n:
            parts.append("测评结论变为" + ("达到合格线" if n.get("passed") else "未达合格线"))
        parts += _gap_changes(old.get("gaps") or [], new.get("gaps") or [], with_department=True)
        if (old.get("unsubmitted") or []) != (new.get("unsubmitted") or []):
            parts.append("未报送部门有变化")
    elif old or new:
        o = (old.get("departments") or [{}])[0]
        n = (new.get("departments") or [{}])[0]
        if o.get("submission") != n.get("submission") and n.get("submission") == "accepted":
            parts.append("本部门报送已通过审核")
        parts += _number_change("得分", o.get("score"), n.get("score"))
        parts += _gap_changes(old.get("gaps") or [], new.get("gaps") or [])
        files_old = {(x.get("file"), x.get("fill_date")) for x in old.get("submissions") or []}
        files_new = [x for x in new.get("submissions") or [] if (x.get("file"), x.get("fill_date")) not in files_old]
        if files_new:
            parts.append("收到新报送文件" + "、".join(f"《{str(x.get('file', '')).rsplit('/', 1)[-1]}》" for x in files_new))
        if (old.get("reviews") or []) != (new.get("reviews") or []):
            parts.append("创建办核定得分有调整")
    return "；".join(parts) if parts else "内容有更新"


def as_update(draft, note: str):
    """The draft as a message replacing one already sent: 【更新】 subject and a first line saying so."""
    line = f"{UPDATE}本邮件更新此前发送的同一通知：{note}。以本邮件为准。"
    body = draft.html
    at = body.find(">", body.find("<body")) + 1 if "<body" in body else 0
    paragraph = f'<p style="color:#c00000;"><b>{html.escape(line)}</b></p>'
    return replace(draft, subject=UPDATE + draft.subject, text=f"{line}\n\n{draft.text}",
                   html=body[:at] + paragraph + body[at:])
