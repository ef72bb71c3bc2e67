"""Delivery: the round folder's messages into the outbox, and the outbox to the mail server.

`deliver(rules, output_dir, round_dir)` is the one call the command line makes (`run --send`,
`send`, `watch --send`): plan the round's messages (mail.py), queue them (outbox.py), then send
what is pending (smtp.py) or, with dry_run, write each as an .eml file under <round>/邮件/.
It never raises for mail trouble: missing settings or an unreachable server leave the messages
pending and the log says, in Chinese, what to do next. Only LockHeld (another run or send holds
the output folder) and MailTemplateError (a broken mail template) reach the caller.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from . import messages as mail, mime
from ..base import stopping
from ..base.fsutil import atomic_write_bytes, run_lock
from ..operations.ledger import Ledger
from .updates import as_update, what_changed
from .outbox import FAILED, PENDING, SENT, SUPERSEDED, Entry, Outbox, Row, too_large_message
from ..rules import Rules, one_address
from .smtp import Connection, PermanentFailure, Settings, StopSending, TemporaryFailure, settings_from
from ..base.text import safe_filename

logger = logging.getLogger(__name__)

EML_DIR = "邮件"
STATE_LABELS = {PENDING: "待发送", SENT: "已发送", FAILED: "发送失败", SUPERSEDED: "已被新版本取代"}


@dataclass
class Delivery:
    """What one deliver() call did, for the console and for tests."""

    round: str | None = None
    queued: int = 0
    unchanged: int = 0
    superseded: int = 0
    sent: list[Row] = field(default_factory=list)
    failed: list[tuple[Row, str]] = field(default_factory=list)
    refused_addresses: set[int] = field(default_factory=set)     # failed rows refused for their address
    retry: list[tuple[Row, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    pending: int = 0
    stopped: str | None = None        # why nothing (more) could be sent


def deliver(rules: Rules, output_dir: Path, round_dir: Path | None = None, *, send: bool = True,
            dry_run: bool = False, templates_dir: Path | None = None, env: Mapping[str, str] | None = None,
            clock: Callable[[], dt.datetime] = dt.datetime.now, honour_backoff: bool = False,
            retry_failed: bool = False) -> Delivery:
    """Queue the round's messages (round_dir, else the round run last) and send what is pending.

    honour_backoff: skip messages whose next_attempt is still to come (watch mode); a command a
    person types (`send`, `run --send`) tries every pending message at once."""
    output_dir = Path(output_dir)
    settings = settings_from(rules.mail, os.environ if env is None else env)
    result = Delivery()
    outbox = Outbox(output_dir)
    with run_lock(output_dir):
        round_dir = round_dir or _latest_round_dir(output_dir)
        if round_dir is not None:
            _queue_round(rules, round_dir, outbox, settings, templates_dir, clock(), result)
        if retry_failed:
            count = outbox.retry_failed(clock())
            if count:
                logger.info("已将 %d 封发送失败的邮件重新列为待发送。", count)
        if dry_run:
            _write_eml(outbox, output_dir, settings, clock, result, dry_run_sender(rules))
        elif send:
            _send(outbox, settings, clock, honour_backoff, result)
        result.pending = outbox.pending_count()
    _log_outcome(result, settings, send and not dry_run)
    return result


def _latest_round_dir(output_dir: Path) -> Path | None:
    rounds = Ledger(output_dir).rounds() if (output_dir / "ledger.sqlite3").exists() else []
    if not rounds:
        return None
    name = max(rounds, key=lambda r: r[2])[0]
    path = output_dir / safe_filename(name)
    return path if (path / "summary.json").is_file() else None


def _queue_round(rules, round_dir, outbox, settings: Settings, templates_dir, now, result: Delivery) -> None:
    try:
        drafts = mail.plan(rules, round_dir, templates_dir=templates_dir)
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("无法读取 %s 的 summary.json（%s），本次不生成新邮件。", round_dir, exc)
        return
    summary_round = json.loads((round_dir / "summary.json").read_text(encoding="utf-8"))["round"]
    _queue_drafts(summary_round, drafts, outbox, settings, now, result, kinds=mail.KINDS)


def deliver_drafts(rules: Rules, output_dir: Path, round_name: str, drafts: list, *, kinds: tuple[str, ...],
                   send: bool = True, env: Mapping[str, str] | None = None,
                   clock: Callable[[], dt.datetime] = dt.datetime.now) -> Delivery:
    """Queue `drafts` as the round's whole plan for `kinds` (what else of those kinds still waits
    is superseded; other kinds are left alone) and send what is pending: the §14 follow-up's way
    into the outbox beside the round's own messages."""
    output_dir = Path(output_dir)
    settings = settings_from(rules.mail, os.environ if env is None else env)
    result = Delivery()
    outbox = Outbox(output_dir)
    with run_lock(output_dir):
        _queue_drafts(round_name, drafts, outbox, settings, clock(), result, kinds=kinds, updates=False)
        if send:
            _send(outbox, settings, clock, False, result)
        result.pending = outbox.pending_count()
    _log_outcome(result, settings, send)
    return result


def _queue_drafts(summary_round: str, drafts: list, outbox: Outbox, settings: Settings, now, result: Delivery, *,
                  kinds: tuple[str, ...], updates: bool = True) -> None:
    """updates: a changed message to an address that had an earlier one says what changed (【更新】)."""
    result.round = summary_round
    entries = []
    for draft in drafts:
        content = draft.content_hash
        # Attachments travel base64-encoded (4/3 of their size): a message that cannot fit is never built.
        estimate = sum(len(a.data) for a in draft.attachments) * 4 // 3
        biggest = max(draft.attachments, key=lambda a: len(a.data), default=None)
        named = (f"最大的附件是“{biggest.name}”（{len(biggest.data) / 1048576:.2f} MB）" if biggest else "")
        for address in dict.fromkeys(a.strip().lower() for a in (*draft.recipients, *draft.cc) if a.strip()):
            stopping.check()
            msg_id = mail.message_id(content, address, settings.sender)
            if estimate > settings.max_bytes:
                entries.append(Entry(draft.round, address, draft.kind, draft.department, draft.reader, content,
                                     msg_id, draft.subject, b"", draft.facts, size=estimate, too_large=named))
                continue
            message = draft
            last = outbox.last_sent(draft.round, address, draft.kind, draft.department, draft.reader)
            if updates and last is not None and last[0] != content:      # it replaces what this address received
                message = as_update(draft, what_changed(draft.kind, last[1], draft.facts))
            eml = mime.message_bytes(mime.build_message(message, address, msg_id))
            entries.append(Entry(draft.round, address, draft.kind, draft.department, draft.reader, content,
                                 msg_id, message.subject, eml, draft.facts, too_large=named))
    queued = outbox.queue(summary_round, entries, now, max_bytes=settings.max_bytes, kinds=kinds)
    result.queued, result.unchanged, result.superseded = queued.new, queued.unchanged, queued.superseded
    for e in queued.too_large:
        logger.warning("发给%s（%s）的%s：%s", e.reader, e.recipient, mail.KIND_LABELS.get(e.kind, e.kind),
                       too_large_message(e.bytes, settings.max_bytes, e.too_large))


def _send(outbox: Outbox, settings: Settings, clock, honour_backoff: bool, result: Delivery) -> None:
    rows = outbox.due(clock(), honour_backoff=honour_backoff)
    if not rows:
        return
    if not settings.usable:
        result.stopped = _settings_hint(settings)
        return
    refused: list[tuple[Row, PermanentFailure]] = []       # marked once every message has been tried
    with Connection(settings) as conn:
        for n, row in enumerate(rows):
            stopping.check()            # SIGTERM: what is not sent yet stays pending
            if not one_address(row.recipient):      # queued before addresses were checked strictly
                error = f"收件地址“{row.recipient}”不是一个有效的电子邮箱地址，未发送。请改正 rules.yaml 后重新运行"
                outbox.mark_failed(row.id, error, clock())
                result.failed.append((row, error))
                continue
            body = outbox.eml(row.id) if row.size <= settings.max_bytes else b""
            if not body:                # too large (never stored) or a body dropped when it was superseded
                error = too_large_message(row.size, settings.max_bytes)
                outbox.mark_failed(row.id, error, clock())
                result.failed.append((row, error))
                continue
            data = mime.readdress(body, sender=settings.sender, date=clock())
            try:
                conn.send(settings.sender_address, row.recipient, data)
            except TemporaryFailure as exc:
                outbox.mark_retry(row.id, str(exc), clock())
                result.retry.append((row, str(exc)))
                continue
            except PermanentFailure as exc:
                refused.append((row, exc))
                continue
            except StopSending as exc:
                # Nothing more can go now: every message still due records why, and stays pending.
                for left in rows[n:]:
                    outbox.mark_retry(left.id, exc.reason, clock())
                result.stopped = exc.reason
                break
            # The server has it: record at once. A crash just here repeats this one message, same Message-ID.
            outbox.mark_sent(row.id, clock())
            result.sent.append(row)
    if _server_fault(refused, result):
        # Every message refused, for different addresses, nothing accepted: the server's own fault
        # (a 500 for everything), not the addresses'. They all stay pending for the next send.
        for row, exc in refused:
            outbox.mark_retry(row.id, str(exc), clock())
        result.stopped = (f"邮件服务器拒收了全部 {len(refused)} 封邮件（{refused[0][1]}），发往不同的地址都被拒绝，"
                          "这是邮件服务器本身的问题，不是邮箱地址有误。邮件保留在发件箱中；请联系邮件服务器管理员，"
                          "恢复后运行 `python process.py send` 补发")
        return
    for row, exc in refused:
        outbox.mark_failed(row.id, str(exc), clock())
        result.failed.append((row, str(exc)))
        if exc.address:
            result.refused_addresses.add(row.id)


def _server_fault(refused: list, result: Delivery) -> bool:
    return (len(refused) >= 2 and not result.sent and not result.retry and result.stopped is None
            and len({row.recipient for row, _ in refused}) >= 2)


def _settings_hint(settings: Settings) -> str:
    if settings.problems:
        return "邮件设置有误：" + "；".join(settings.problems) + "。请改正后运行 `python process.py send`"
    return (f"未配置邮件服务器（缺少环境变量 {'、'.join(settings.missing)}），邮件已保存在发件箱中。"
            "设置后运行 `python process.py send` 即可发出（设置方法见操作手册第八节“邮件设置”，或 README 的 “E-mail” 一节）")


DRY_RUN_ADDRESS = "scorecard@localhost.invalid"      # RFC 2606: never a real mailbox


def dry_run_sender(rules: Rules) -> str:
    """The From of a dry run's .eml when no sender is set: the office by name, an address that
    cannot be mistaken for a real one (a mail client opens the file with a sender shown)."""
    from email.headerregistry import Address

    return str(Address(display_name=f"{rules.organization}创建办".strip(), addr_spec=DRY_RUN_ADDRESS))


def _write_eml(outbox: Outbox, output_dir: Path, settings: Settings, clock, result: Delivery,
               fallback_sender: str | None = None) -> None:
    """Each pending message as <output>/<round>/邮件/<no>_<kind>_<reader>_<address>.eml; nothing is
    marked sent. From: the configured sender, else fallback_sender (dry_run_sender)."""
    for row in outbox.due(clock(), honour_backoff=False):
        folder = output_dir / safe_filename(row.round) / EML_DIR
        name = safe_filename(f"{row.id:04d}_{mail.KIND_LABELS.get(row.kind, row.kind)}_{row.reader}_{row.recipient}")
        data = mime.readdress(outbox.eml(row.id), sender=settings.sender or fallback_sender, date=clock())
        result.written.append(atomic_write_bytes(folder / f"{name}.eml", data))


def _log_outcome(result: Delivery, settings: Settings, sending: bool) -> None:
    if result.queued or result.superseded:
        extra = f"，{result.superseded} 封旧版本不再发送" if result.superseded else ""
        logger.info("邮件：新生成 %d 封待发邮件%s（内容未变的 %d 封不重复发送）。", result.queued, extra, result.unchanged)
    elif result.unchanged:
        logger.info("邮件：报告内容与已生成的邮件相同，没有新邮件（%d 封）。", result.unchanged)
    if result.written:
        logger.info("试运行：%d 封邮件已写为 .eml 文件，未发送：%s", len(result.written), result.written[0].parent)
    for row in result.sent:
        logger.info("已发送：%s → %s（%s）", mail.KIND_LABELS.get(row.kind, row.kind), row.recipient, row.reader)
    for row, error in result.failed:
        advice = ("请核对 rules.yaml 中的邮箱地址，改正后重新运行；或运行 `python process.py send --retry-failed` 重试"
                  if row.id in result.refused_addresses else
                  "邮件服务器拒收了这封邮件（不是收件地址的问题），请根据原因处理（如附件过大、内容被拦截），"
                  "然后运行 `python process.py send --retry-failed` 重试")
        logger.warning("发送失败：%s → %s（%s）：%s。%s。", mail.KIND_LABELS.get(row.kind, row.kind), row.recipient,
                       row.reader, error, advice)
    for row, error in result.retry:
        logger.warning("暂未发出：%s → %s：%s。邮件保留在发件箱中，稍后运行 `python process.py send` 重试。",
                       mail.KIND_LABELS.get(row.kind, row.kind), row.recipient, error)
    if result.stopped:
        logger.warning("邮件未能发送：%s。", result.stopped.rstrip("。"))
    if sending and result.pending:
        logger.info("发件箱中还有 %d 封待发送邮件；查看：`python process.py send --list`。", result.pending)
    elif sending and not result.pending and (result.sent or result.queued):
        logger.info("邮件已全部发出（%d 封），服务器 %s。", len(result.sent), settings.describe())


def counts_line(result: Delivery) -> str:
    """What a `run --send` or `send` did, for the console (CONTRACT §9: sent, queued, failed)."""
    if result.written:
        return f"邮件：试运行，{len(result.written)} 封写为 .eml 文件（{result.written[0].parent}），未发送。"
    line = f"邮件：本次发出 {len(result.sent)} 封，发件箱中待发送 {result.pending} 封，发送失败 {len(result.failed)} 封。"
    if result.failed or result.pending:          # why is on the console already (a warning of the log)
        line += "查看发件箱：`python process.py send --list`。"
    return line


def listing(output_dir: Path) -> list[list[str]]:
    """The outbox as table rows for `send --list`, newest round first, superseded rows left out."""
    rows = [r for r in Outbox(output_dir).rows() if r.state != SUPERSEDED] if (Path(output_dir) / "ledger.sqlite3").exists() else []
    out = []
    for r in rows:
        if r.state == SENT:
            detail = f"发送于 {(r.sent_at or '')[:19].replace('T', ' ')}"
        elif r.state == PENDING:
            detail = (f"已尝试 {r.attempts} 次：{r.last_error}（下次自动重试 {r.next_attempt}）" if r.last_error
                      else "尚未发送")
        else:
            detail = r.last_error or ""
        out.append([str(r.id), r.round, STATE_LABELS[r.state], mail.KIND_LABELS.get(r.kind, r.kind), r.reader,
                    r.recipient, detail])
    return out


def superseded_count(output_dir: Path) -> int:
    if not (Path(output_dir) / "ledger.sqlite3").exists():
        return 0
    return sum(r.state == SUPERSEDED for r in Outbox(output_dir).rows())
