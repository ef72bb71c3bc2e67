"""E-mail messages built from a round folder: who gets what, the bodies, and the MIME that every
common client reads (Outlook, Foxmail, QQ Mail, NetEase, web mail).

`plan(rules, round_dir)` reads `<round>/summary.json` and the files beside it and returns one
`Draft` per reader (department or leader); `message_bytes(draft, recipient, ...)` turns a draft
into the .eml bytes that are queued and sent. Wording lives in templates/mail/*.j2 (a user's
templates folder is tried first); this module only prepares the values those templates display.

Content identity: Word and Excel files are regenerated on every run, so their zip bytes and
docProps change although nothing a reader sees did. `content_hash` therefore hashes what a reader
sees: a Word file's decompressed members (docProps/* left out, the run's own time neutralised), a
workbook's visible sheets (cell values, comments, fills), plus subject and bodies. The same data
gives the same hash, a changed report a new one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from email import policy as email_policy
from email.utils import parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from ..operations.dashboard import DASHBOARD as DASHBOARD_HTML       # CONTRACT §15: the leaders get the round's 看板 too
from .updates import department_facts, leader_facts
from ..rules import Rules
from ..reports.write import DEFAULT_TEMPLATES, DEPARTMENT_DIR, GAPLIST_XLSX, SUMMARY_TEMPLATE
from ..reports import units as unit_docs
from ..base.text import add_working_days, chinese_date, fmt_number, safe_filename

logger = logging.getLogger(__name__)

REPORT, RETURNED, REMINDER, LEADERS = "report", "returned", "reminder", "leaders"
KINDS = (REPORT, RETURNED, REMINDER, LEADERS)          # the round's own messages (plan)
KIND_LABELS = {REPORT: "部门报告", RETURNED: "退回通知", REMINDER: "报送提醒", LEADERS: "汇总报告",
               "remind": "提醒", "chase": "催办", "escalate": "督办"}      # the last three: §14 (followup)
MIME_TYPES = {
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".html": ("text", "html"),
}
MAIL_DIR = "mail"                    # templates/mail/<kind>.{subject,txt,html}.j2
SUMMARY_DOCX = SUMMARY_TEMPLATE      # the rendered summary report keeps its template's name
MAX_ERRORS_IN_BODY = 20
RESUBMIT_WORKING_DAYS = 3
# SMTP: CRLF line ends, lines folded at 78. Headers stored raw (the attachments' hand-folded
# parameters) are written as they are, never refolded (refolding would re-encode them).
POLICY = email_policy.SMTP.clone(refold_source="none")


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes

    @property
    def mime(self) -> tuple[str, str]:
        return MIME_TYPES.get(Path(self.name).suffix.lower(), ("application", "octet-stream"))


@dataclass(frozen=True)
class Draft:
    """One message for one reader; sent to each of `recipients` as a separate message."""

    round: str
    kind: str
    department: str                 # "" for a leader
    reader: str                     # department or leader name, for the console
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    neutral: tuple[tuple[str, str], ...] = field(default=(), compare=False)   # (run-time text, stand-in) for hashing
    # What concerns this reader (CONTRACT §9), as canonical JSON: when given, it alone is the
    # message's identity, so a change elsewhere (another department's score moving this one's
    # rank) is no new content. Kept in the outbox to say what changed in a replacing message.
    facts: str = ""
    cc: tuple[str, ...] = ()        # §14 督办: copied (the head, the 分管领导); each gets the message too

    @property
    def content_hash(self) -> str:
        return content_hash(self)


class MailTemplateError(Exception):
    """A mail template is missing or broken; names the template file."""


# ---------------------------------------------------------------- who gets what

def plan(rules: Rules, round_dir: Path, *, templates_dir: Path | None = None) -> list[Draft]:
    """Every message the round folder calls for, in a stable order (departments in rules order, then leaders)."""
    summary = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))
    env = _environment(templates_dir)
    round_name = summary["round"]
    neutral = _neutral_pairs(summary)
    as_of = _date(summary["as_of"])
    resubmit_by = _date(summary.get("resubmit_by")) or add_working_days(as_of, RESUBMIT_WORKING_DAYS, rules.holidays,
                                                                        rules.workdays)
    base = {"organization": summary.get("organization") or rules.organization,
            "title": summary.get("title") or rules.title, "round": round_name,
            "as_of": chinese_date(as_of), "resubmit_by": chinese_date(resubmit_by),
            "contact": rules.contact.text if rules.contact else ""}
    ranked = [d for d in summary.get("departments", []) if d.get("rank") is not None]
    # A file still being copied (§3 file.incomplete) may be a department's: nobody is told it is missing yet.
    copying = any(f.get("rule") == "file.incomplete" for sub in summary.get("submissions", [])
                  for f in sub.get("findings") or [])
    # §17 units mode: each unit is told its own verdict (unit_*.j2, 单位反馈 attached), the leaders
    # the 测评结果汇总; the wording of departments mode would speak of one combined total.
    units = {u["name"]: u for u in summary.get("units") or []}
    prefix = "unit_" if units else ""
    drafts = []
    for dept in summary.get("departments", []):
        name = dept["name"]
        rule_dept = next((d for d in rules.departments if d.name == name), None)
        emails = tuple(rule_dept.email) if rule_dept else ()
        state = submission_state(dept, summary.get("submissions", []))
        if not rules.indicators_of(name) and state != "accepted":
            continue                      # nothing to report and nothing to ask for
        if not emails:
            logger.warning("部门“%s”在 rules.yaml 中没有填写邮箱（departments[].email），不发送邮件。", name)
            continue
        context = {**base, "department": name, "head": dept.get("head") or ""}
        if state == "accepted":
            draft = _report(round_dir, summary, dept, ranked, units.get(name))
        elif state == "returned":
            draft = _returned(round_dir, summary, name)
        else:
            draft = _reminder(rules, name, as_of)
        if draft is None:
            continue
        if copying and state == "missing":
            logger.info("有文件正在复制（file.incomplete），本次不向未报送的部门“%s”发提醒。", name)
            continue
        kind, attachments, extra = draft
        drafts.append(_render(env, kind, round_name, name, name, emails, {**context, **extra},
                              attachments, neutral, department_facts(summary, name) if kind == REPORT else "",
                              template=prefix + kind))
    leader_files = _files(round_dir, ([unit_docs.RESULT_DOC, unit_docs.RESULT_XLSX] if units else [SUMMARY_DOCX])
                          + [GAPLIST_XLSX] + ([DASHBOARD_HTML] if (round_dir / DASHBOARD_HTML).is_file() else []))
    if leader_files is not None:
        context = _units_leaders_context(summary) if units else _leaders_context(summary)
        extra = {**context, "attachment_names": [a.name for a in leader_files],
                 "dashboard": DASHBOARD_HTML if any(a.name == DASHBOARD_HTML for a in leader_files) else ""}
        facts = leader_facts(summary)
        for leader in rules.leaders:
            if not leader.email:
                logger.warning("领导“%s”在 rules.yaml 中没有填写邮箱（leaders[].email），不发送邮件。", leader.name)
                continue
            drafts.append(_render(env, LEADERS, round_name, "", leader.name, tuple(leader.email),
                                  {**base, **extra, "leader": leader.name}, leader_files, neutral, facts,
                                  template=("units_" if units else "") + LEADERS))
    return drafts


def submission_state(dept: dict, submissions: list[dict]) -> str:
    """accepted | returned | missing: the summary's `submission` field, or derived from older summaries."""
    if dept.get("submission"):
        return dept["submission"]
    if dept.get("submitted"):
        return "accepted"
    if any(s.get("department") == dept["name"] and s.get("status") == "rejected" for s in submissions):
        return "returned"
    return "missing"


def _report(round_dir, summary, dept, ranked, unit: dict | None = None):
    name = dept["name"]
    folder = unit_docs.FEEDBACK_DIR if unit else DEPARTMENT_DIR
    files = _files(round_dir, [f"{folder}/{safe_filename(name)}.docx"])
    if files is None:
        return None
    # A rejected file the department has since corrected (an accepted file came after it) is history.
    returned = [s for s in summary.get("submissions", [])
                if s.get("department") == name and s.get("status") == "rejected" and s.get("returned")
                and not s.get("corrected_by")]
    extra_files = _files(round_dir, [s["returned"] for s in returned]) or ()
    gaps = [g for g in summary.get("gaps", []) if g.get("department") == name]
    extra = {"score": fmt_number(dept.get("score")), "max": fmt_number(dept.get("max")),
             "self_score": fmt_number(dept.get("self_score", dept.get("score"))),
             "rate": _percent(dept.get("rate")), "rank": dept.get("rank") or "", "ranked": len(ranked),
             "gaps": [_gap_line(g, i) for i, g in enumerate(gaps, 1)],
             "returned_files": [Path(s["returned"]).name for s in returned],
             "evidence_problems": _evidence_problems(summary, name),
             "attachment_names": [a.name for a in files + extra_files]}
    if unit:
        extra.update(_unit_context(summary, unit))
    return REPORT, files + extra_files, extra


def _evidence_problems(summary: dict, name: str) -> list[dict]:
    """§13: the department's evidence findings (sheet 佐证材料), as its submission carries them."""
    from ..evidence.judge import evidence_findings

    found = evidence_findings(summary).get(name, [])
    return [{"no": k, "where": f.get("cell") or "", "message": f.get("message", "")} for k, f in enumerate(found, 1)]


def _unit_context(summary: dict, unit: dict) -> dict:
    """A unit's own verdict (§17) for unit_report.*.j2: the result's numbers, formatted."""
    group = next((g for g in summary.get("groups") or [] if g["name"] == unit["group"]), {})
    claimed = unit.get("claimed_bonus")
    return {"score": fmt_number(unit["score"]), "bonus": fmt_number(unit["bonus"]),
            "total": fmt_number(unit["total"]), "pass_score": fmt_number(summary.get("pass_score")),
            "claimed_bonus": fmt_number(claimed), "bonus_cap": fmt_number(summary.get("bonus_cap")),
            "bonus_capped": claimed is not None and float(claimed) > float(unit["bonus"]),
            "verdict": unit_docs.verdict(unit), "reason": unit_docs.reason(unit, summary.get("pass_score")),
            "group": unit_docs.group_name(unit["group"]), "group_units": group.get("units", ""),
            "group_rank": unit.get("group_rank") or "", "rank": unit.get("rank") or "",
            "ranked": sum(u.get("rank") is not None for u in summary.get("units") or [])}


def _units_leaders_context(summary: dict) -> dict:
    """The leaders' message in units mode: how many units were assessed and passed, per group."""
    units = summary.get("units") or []
    assessed = [u for u in units if u["submission"] == "accepted"]
    counts = summary.get("counts") or {}
    gaps = summary.get("gaps", [])
    return {"assessed": len(assessed), "not_assessed": len(units) - len(assessed),
            "passed": sum(u["passed"] for u in units), "failed": sum(not u["passed"] for u in assessed),
            "vetoed": sum(bool(u["veto"]) for u in assessed),
            "vetoed_names": [u["name"] for u in assessed if u["veto"]],
            "pass_score": fmt_number(summary.get("pass_score")),
            "groups": [{"name": unit_docs.group_name(g["name"]), "units": g["units"], "passed": g["passed"],
                        "mean_total": fmt_number(g.get("mean_total"))} for g in summary.get("groups") or []],
            "gap_count": counts.get("gaps", len(gaps)),
            "severe_count": counts.get("severe_gaps", sum(g.get("severity") == "严重" for g in gaps))}


def _returned(round_dir, summary, name):
    subs = [s for s in summary.get("submissions", [])
            if s.get("department") == name and s.get("status") == "rejected"]
    with_copy = [s for s in subs if s.get("returned")]
    files = _files(round_dir, [s["returned"] for s in with_copy]) or ()
    listed = []
    for s in subs:
        errors = [f for f in s.get("findings", []) if f.get("severity") == "error"]
        listed.append({"file": Path(s["file"]).name,
                       "returned": Path(s["returned"]).name if s.get("returned") else "",
                       "errors": [{"where": _where(f), "message": f.get("message", "")}
                                  for f in errors[:MAX_ERRORS_IN_BODY]],
                       "error_count": len(errors), "more": max(0, len(errors) - MAX_ERRORS_IN_BODY)})
    claims = [b for s in subs for b in s.get("bonus_claims") or []]
    computed = sum(1 for c in summary.get("computed") or [] if c.get("department") == name)
    return RETURNED, files, {"submissions": listed, "attachment_names": [a.name for a in files],
                             "bonus_claims": bonus_claims_text(claims), "computed_count": computed}


def bonus_claims_text(claims: list[dict]) -> str:
    """“项目”2分、“项目”1.5分: the 特色加分 a returned file claimed (not counted)."""
    return "、".join(f"“{b.get('project', '')}”{fmt_number(b.get('points'))}分" for b in claims)


def _reminder(rules, name, as_of):
    from ..forms.template import build_template   # openpyxl workbook building, only needed for reminders

    buffer = io.BytesIO()
    # `today` fixed to the round's date so the blank template's content is the same on every run.
    build_template(rules, name, today=as_of).save(buffer)
    files = (Attachment(f"{safe_filename(name)}.xlsx", buffer.getvalue()),)
    extra = {"indicator_count": len(rules.indicators_of(name)), "attachment_names": [files[0].name]}
    return REMINDER, files, extra


def _leaders_context(summary: dict) -> dict:
    unit = summary.get("unit", {})
    gaps = summary.get("gaps", [])
    returned = summary.get("returned")
    if returned is None:
        returned = [d["name"] for d in summary.get("departments", [])
                    if submission_state(d, summary.get("submissions", [])) == "returned"]
    unsubmitted = [n for n in summary.get("unsubmitted", []) if n not in returned]
    counts = summary.get("counts") or {}      # computed once in the result; older summaries lack it
    return {"total": fmt_number(unit.get("total")), "score": fmt_number(unit.get("score")),
            "bonus": fmt_number(unit.get("bonus")), "pass_score": fmt_number(summary.get("pass_score")),
            "passed": bool(unit.get("passed")), "veto": bool(unit.get("veto")),
            "gap_count": counts.get("gaps", len(gaps)),
            "severe_count": counts.get("severe_gaps", sum(g.get("severity") == "严重" for g in gaps)),
            "returned": returned, "unsubmitted": unsubmitted,
            # §14: the red items (完成时限 passed, not signed off) and whose they are
            "red_count": sum(g.get("light") == "红" for g in gaps),
            "red_departments": list(dict.fromkeys(g.get("department", "") for g in gaps if g.get("light") == "红")),
            "escalated": (summary.get("followup") or {}).get("escalated") or [],     # §14: told above them
            "attachment_names": [SUMMARY_DOCX, GAPLIST_XLSX]}


def _gap_line(gap: dict, no: int) -> dict:
    indicator = " ".join(x for x in (gap.get("indicator", ""), gap.get("indicator_name", "")) if x)
    return {"no": no, "kind": gap.get("kind", ""), "severity": gap.get("severity", ""), "indicator": indicator,
            "problem": gap.get("problem") or gap.get("note") or "", "measure": gap.get("measure") or "",
            "owner": gap.get("owner") or "", "deadline": _prose_date(gap.get("deadline")), "note": gap.get("note") or ""}


def _where(finding: dict) -> str:
    sheet, cell = finding.get("sheet") or "", finding.get("cell") or ""
    return f"{sheet}!{cell}" if sheet and cell else sheet or cell


def _files(round_dir: Path, relative: list[str]) -> tuple[Attachment, ...] | None:
    """The files as attachments, or None (with a warning) when one is missing."""
    out = []
    for rel in relative:
        path = round_dir / rel
        try:
            out.append(Attachment(path.name, path.read_bytes()))
        except OSError as exc:
            logger.warning("找不到附件 %s（%s），相应邮件本次不生成；请重新运行 `python process.py run`。",
                           path, exc.strerror or exc)
            return None
    return tuple(out)


# ---------------------------------------------------------------- wording (templates/mail/*.j2)

def _environment(templates_dir: Path | None) -> tuple[Environment, Environment]:
    folders = [str(Path(templates_dir) / MAIL_DIR)] if templates_dir else []
    folders.append(str(DEFAULT_TEMPLATES / MAIL_DIR))
    loader = FileSystemLoader(folders)
    common = {"undefined": StrictUndefined, "keep_trailing_newline": True, "trim_blocks": True,
              "lstrip_blocks": True}
    return Environment(loader=loader, autoescape=False, **common), Environment(loader=loader, autoescape=True, **common)


def _render(envs, kind, round_name, department, reader, recipients, context, attachments, neutral,
            facts: str = "", template: str | None = None) -> Draft:
    """template: the wording's file stem (default the kind; unit_<kind> and units_leaders in §17)."""
    plain, html = envs
    template = template or kind
    try:
        subject = plain.get_template(f"{template}.subject.j2").render(context)
        text = plain.get_template(f"{template}.txt.j2").render(context)
        body = html.get_template(f"{template}.html.j2").render(context)
    except TemplateNotFound as exc:
        raise MailTemplateError(f"找不到邮件模板 {MAIL_DIR}/{exc.name}") from exc
    except TemplateError as exc:          # a user's edited template: syntax, unknown variable, ...
        raise MailTemplateError(f"邮件模板“{kind}”无法使用：{exc}") from exc
    subject = " ".join(subject.split())    # one line: a header cannot hold line breaks
    return Draft(round_name, kind, department, reader, recipients, subject, text, body,
                 tuple(attachments), tuple(neutral), facts)


def _neutral_pairs(summary: dict) -> tuple[tuple[str, str], ...]:
    """The run's own time as reports print it ("2026-12-31 09:30", the date line "2026年12月31日") is
    not content. For hashing, the time becomes a fixed token and the date that of `as_of`, as if
    every run were made on the day the round is judged: a report run on the as_of day and one run
    on a later day then compare equal even where the as_of date is printed too."""
    stamp = summary.get("generated_at") or ""
    pairs = [(stamp, "\0run-time\0")] if stamp else []
    day, as_of = _date(stamp[:10]), _date(summary.get("as_of"))
    if day and as_of and day != as_of:
        pairs.append((chinese_date(day), chinese_date(as_of)))
    return tuple(pairs)


def _prose_date(iso: str | None) -> str:
    """A deadline as prose writes it (2027年3月31日); "" stays ""."""
    return chinese_date(iso)


def _date(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _percent(rate) -> str:
    from ..base.formatting import percent

    return percent(rate)


# ---------------------------------------------------------------- content identity

def content_hash(draft: Draft) -> str:
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    if draft.facts:
        feed("kind", draft.kind.encode("utf-8"))
        feed("facts", draft.facts.encode("utf-8"))
        return digest.hexdigest()
    for label, text in (("kind", draft.kind), ("subject", draft.subject), ("text", draft.text),
                        ("html", draft.html)):
        feed(label, text.encode("utf-8"))
    for att in draft.attachments:
        feed("name", att.name.encode("utf-8"))
        feed("data", _content_digest(att.name, att.data, draft.neutral))
    return digest.hexdigest()


def _content_digest(name: str, data: bytes, neutral: tuple[tuple[str, str], ...]) -> bytes:
    """What a reader sees of a file, so that regenerating it with the same data gives the same digest."""
    if name.lower().endswith(".xlsx"):
        return _xlsx_digest(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return hashlib.sha256(data).digest()
    # A Word file: its members without docProps (created/modified times), the run's own time neutral.
    digest = hashlib.sha256()
    with archive:
        for member_name in sorted(archive.namelist()):
            if member_name.startswith("docProps/"):
                continue
            member = archive.read(member_name)
            if member_name.endswith((".xml", ".rels")):
                for text, stand_in in neutral:
                    member = member.replace(text.encode("utf-8"), stand_in.encode("utf-8"))
            digest.update(f"{member_name}:{len(member)}:".encode("utf-8"))
            digest.update(member)
    return digest.digest()


def _xlsx_digest(data: bytes) -> bytes:
    """A workbook as its reader sees it: every sheet that is not very hidden, with cell values,
    comments and fill colours (the marks on a returned copy). A very hidden sheet holds bookkeeping
    (a copy id, the time it was written) that changes on every run and that no reader sees."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    digest = hashlib.sha256()
    for ws in wb.worksheets:
        if ws.sheet_state == "veryHidden":
            continue
        digest.update(f"sheet:{ws.title}:{ws.sheet_state}\n".encode("utf-8"))
        for row in ws.iter_rows():
            for cell in row:
                fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type else None
                comment = cell.comment.text if cell.comment is not None else None
                if cell.value is None and fill is None and comment is None:
                    continue
                digest.update(repr((cell.coordinate, cell.value, fill, comment)).encode("utf-8"))
    return digest.digest()


def message_id(content: str, recipient: str, sender: str | None) -> str:
    """Stable: the same content to the same address always carries the same Message-ID."""
    token = hashlib.sha256(f"{content}\n{recipient.lower()}".encode()).hexdigest()[:32]
    domain = parseaddr(sender or "")[1].rpartition("@")[2] or "scorecard.invalid"
    return f"<{token}@{domain}>"


# ---------------------------------------------------------------- MIME
