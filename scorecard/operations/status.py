"""What `status` and `export` report: recent runs, mail still to go, the lock, the round folders.

Reads the ledger without changing it (read-only SQLite), so `status` is safe while a run or the
watcher is working. The mail outbox (CONTRACT §9) may not exist yet in a ledger: then there is
simply no mail to report. No pandas, docx or matplotlib here.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ..base.fsutil import try_lock, unlock
from . import ledger as ledger_mod
from .dashboard import location

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class RunRow:
    started: str
    round: str
    outcome: str            # ok | unchanged | failed
    accepted: int | None
    rejected: int | None
    gaps: int | None
    total: float | None
    passed: bool | None
    seconds: float | None
    error: str | None


@dataclass(frozen=True)
class MailRow:
    recipient: str
    kind: str
    department: str
    subject: str
    state: str              # pending | failed
    attempts: int
    last_error: str
    updated: str


@dataclass(frozen=True)
class Status:
    output_dir: Path
    ledger_exists: bool
    runs: list[RunRow] = field(default_factory=list)
    mail_counts: dict[str, int] | None = None          # state -> count; None without an outbox table
    mail: list[MailRow] = field(default_factory=list)  # pending and failed messages
    lock_held: bool = False
    rounds: list[tuple[str, int]] = field(default_factory=list)   # round folder, file count
    followup: list[list[str]] = field(default_factory=list)       # §14: the reminders queued, newest first
    log_file: Path | None = None


def lock_held(output_dir: Path) -> bool:
    """Is `<output>/.lock` held by a running process? Tried with a non-blocking lock, then released."""
    path = Path(output_dir) / LOCK_NAME
    if not path.exists():
        return False
    try:
        handle = open(path, "a+b")
    except OSError:
        return False
    with handle:
        try:
            try_lock(handle)
        except OSError:
            return True
        unlock(handle)
    return False


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def _runs(conn: sqlite3.Connection, limit: int) -> list[RunRow]:
    cols = _columns(conn, "runs")
    if not cols:
        return []

    def col(name):
        return name if name in cols else f"NULL AS {name}"

    rows = conn.execute(
        f"SELECT started, round, {col('outcome')}, accepted, rejected, gaps, total, passed, {col('seconds')}, "
        f"{col('error')} FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [RunRow(started=r["started"], round=r["round"], outcome=r["outcome"] or "ok", accepted=r["accepted"],
                   rejected=r["rejected"], gaps=r["gaps"], total=r["total"],
                   passed=None if r["passed"] is None else bool(r["passed"]), seconds=r["seconds"],
                   error=r["error"]) for r in rows]


def _mail(conn: sqlite3.Connection, limit: int) -> tuple[dict[str, int] | None, list[MailRow]]:
    cols = _columns(conn, "outbox")
    if not cols:
        return None, []
    counts = {state: n for state, n in conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")}
    wanted = ["recipient", "kind", "department", "subject", "state", "attempts", "last_error", "updated"]
    select = ", ".join(c if c in cols else f"NULL AS {c}" for c in wanted)
    order = "id DESC" if "id" in cols else "rowid DESC"
    rows = conn.execute(f"SELECT {select} FROM outbox WHERE state IN ('pending', 'failed') ORDER BY {order} LIMIT ?",
                        (limit,)).fetchall()
    return counts, [MailRow(recipient=r["recipient"] or "", kind=r["kind"] or "", department=r["department"] or "",
                            subject=r["subject"] or "", state=r["state"], attempts=r["attempts"] or 0,
                            last_error=r["last_error"] or "", updated=r["updated"] or "") for r in rows]


FOLLOWUP_LABELS = {"remind": "提醒", "chase": "催办", "escalate": "督办"}


def _followup(conn: sqlite3.Connection, limit: int) -> list[list[str]]:
    """§14: each follow-up step queued (the outbox's facts say which), with its addresses' states."""
    import json

    cols = _columns(conn, "outbox")
    if not {"facts", "kind", "state"} <= cols:
        return []
    steps: dict[tuple, dict] = {}
    for kind, department, facts, state, sent_at in conn.execute(
            "SELECT kind, department, facts, state, sent_at FROM outbox WHERE kind IN ('remind', 'chase', 'escalate') "
            "AND state != 'superseded' ORDER BY id DESC"):
        try:
            f = json.loads(facts or "{}")
        except ValueError:
            f = {}
        key = (kind, department, f.get("step", ""), f.get("due_on", ""))
        entry = steps.setdefault(key, {"states": {}, "sent": "", "cc": len(f.get("cc") or [])})
        entry["states"][state] = entry["states"].get(state, 0) + 1
        entry["sent"] = max(entry["sent"], sent_at or "")
    rows = []
    for (kind, department, step, due_on), e in list(steps.items())[:limit]:
        states = "，".join(f"{MAIL_STATES.get(s, s)} {n}" for s, n in e["states"].items())
        rows.append([FOLLOWUP_LABELS.get(kind, kind), department, due_on, states,
                     "抄送负责人和分管领导" if e["cc"] else "", _when(e["sent"]) if e["sent"] else "-"])
    return rows


def _round_folders(output_dir: Path) -> list[tuple[str, int]]:
    found = []
    if not output_dir.is_dir():
        return found
    for child in sorted(output_dir.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and (child / "summary.json").is_file():
            found.append((child.name, sum(1 for p in child.rglob("*") if p.is_file())))
    return found


def collect(output_dir: Path, *, limit: int = 10) -> Status:
    output_dir = Path(output_dir)
    from ..base.logsetup import log_path

    log = log_path(output_dir)
    common = dict(output_dir=output_dir, lock_held=lock_held(output_dir), rounds=_round_folders(output_dir),
                  log_file=log if log.exists() else None)
    conn = ledger_mod.open_readonly(output_dir)
    if conn is None:
        return Status(ledger_exists=False, **common)
    with closing(conn):
        runs = _runs(conn, limit)
        counts, mail = _mail(conn, limit)
        followup = _followup(conn, limit)
    return Status(ledger_exists=True, runs=runs, mail_counts=counts, mail=mail, followup=followup, **common)


def _when(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(iso)


def _num(value) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


MAIL_STATES = {"pending": "待发送", "failed": "发送失败", "sent": "已发送", "superseded": "已被新版本替代"}


def lines(status: Status) -> list[str]:
    """The operator's Chinese report of a Status (console.table for the tables)."""
    from ..base.console import table
    from ..base.text import fmt_number

    out = [f"输出文件夹：{status.output_dir}"]
    out.append("运行锁：" + ("被占用（有处理任务正在运行）" if status.lock_held else "空闲（没有处理任务在运行）"))
    if not status.ledger_exists:
        out.append("台账：尚无（还没有运行过 run）")
    elif not status.runs:
        out.append("最近的运行：无记录")
    else:
        out.append(f"最近 {len(status.runs)} 次运行（新的在前）：")
        rows = []
        for r in status.runs:
            if r.outcome == "failed":
                outcome = f"失败：{(r.error or '').splitlines()[0] if r.error else '见日志'}"
            else:
                if r.total is None and r.passed is None:      # units mode (§17): a verdict per unit
                    outcome = "完成（按单位分别测评）"
                else:
                    outcome = (f"完成，总分 {fmt_number(r.total) if r.total is not None else '-'}，"
                               + ("达到合格线" if r.passed else "未达合格线"))
                if r.outcome == "unchanged":
                    outcome = "无变化，沿用上次输出（" + outcome + "）"
            rows.append([_when(r.started), r.round, _num(r.accepted), _num(r.rejected), _num(r.gaps),
                         "-" if r.seconds is None else f"{r.seconds:.1f}", outcome])
        out.append(table(["时间", "轮次", "采用", "退回", "问题", "用时(秒)", "结果"], rows, {6: 60}))
    if status.mail_counts is None:
        out.append("邮件：未启用（台账中没有发件箱）")
    else:
        pending, failed = status.mail_counts.get("pending", 0), status.mail_counts.get("failed", 0)
        out.append(f"邮件：待发送 {pending} 封，发送失败 {failed} 封，已发送 {status.mail_counts.get('sent', 0)} 封")
        if status.mail:
            out.append(table(["状态", "收件人", "部门", "主题", "尝试次数", "最后错误"],
                             [[MAIL_STATES.get(m.state, m.state), m.recipient, m.department, m.subject,
                               str(m.attempts), m.last_error] for m in status.mail], {3: 30, 5: 40}))
            if failed or pending:
                out.append("待发送和失败的邮件可用 `python process.py send` 重新发送。")
    if status.followup:
        out.append("督办（提醒、催办、督办，新的在前）：")
        out.append(table(["类型", "部门", "到期日", "邮件", "抄送", "发送时间"], status.followup, {1: 20}))
        out.append("今天到期的内容：`python process.py remind`（不加 --send 只放入发件箱）。")
    if status.rounds:
        out.append("轮次文件夹（不会自动删除）：" + "，".join(f"{name}（{n} 个文件）" for name, n in status.rounds))
    out.append(f"看板（历次测评；各轮文件夹中的看板.html 为该轮）：{location(status.output_dir) or '尚无（运行 run 后生成）'}")
    out.append(f"日志文件：{status.log_file}" if status.log_file else "日志文件：尚无")
    return out
