"""E-mail delivery end to end, against a real SMTP server (aiosmtpd) on 127.0.0.1: who gets what,
messages every client reads, the outbox's exactly-once guarantee, failures and their recovery."""
from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import sqlite3
from email import policy
from email.parser import BytesParser

import openpyxl
import pytest

from conftest import SMALL_RULES, filled
from mailserver import PASSWORD, USER, Recorder, free_port, make_certificate, smtp_server
from mailworld import (CLOCK, DOCX, LOW_11, LOW_12, ROUND, SENDER, XLSX, attachments, body, by_address,  # noqa: F401
                       clean_env, do_run, env_for, prepared, ran, world, write_office)
from scorecard.mail import messages as mail, mime
from scorecard.mail.delivery import deliver, listing
from scorecard.mail.outbox import FAILED, PENDING, SENT, SUPERSEDED, Outbox
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules
from scorecard.mail.smtp import settings_from


# ---------------------------------------------------------------- messages

def test_messages_every_client_reads(world, small_rules):
    round_dir = ran(world)
    drafts = {(d.kind, d.reader): d for d in mail.plan(small_rules, round_dir)}
    assert set(drafts) == {("report", "办公室"), ("returned", "机关党委"), ("reminder", "登记注册科"), ("leaders", "局长")}
    draft = drafts[("report", "办公室")]
    msg_id = mail.message_id(draft.content_hash, "bgs@example.gov.cn", SENDER)
    raw = mime.message_bytes(mime.build_message(draft, "bgs@example.gov.cn", msg_id))
    raw = mime.readdress(raw, sender=SENDER, date=CLOCK)
    assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.split(b"\r\n\r\n")[0].decode()
    assert "=?utf-8?" in head.split("Subject:")[1].split("\r\nTo:")[0]          # RFC 2047 subject
    # Both encodings of the Chinese file name: RFC 2047 in name/filename, RFC 2231 in filename*.
    assert 'name="=?utf-8?b?' in raw.decode() and 'filename="=?utf-8?b?' in raw.decode()
    assert "filename*=utf-8''%E5%8A%9E%E5%85%AC%E5%AE%A4.docx" in raw.decode()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["Subject"] == "【创建办】第一轮自评测评结果反馈（办公室）"
    assert msg["From"].addresses[0].display_name == "创建办" and msg["To"] == "bgs@example.gov.cn"
    assert msg["Message-ID"] == msg_id and msg["Date"].datetime.year == 2026
    assert msg.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in msg.walk()][1:4] == ["multipart/alternative", "text/plain", "text/html"]
    files = attachments(msg)
    assert list(files) == ["办公室.docx"] and files["办公室.docx"].get_content_type() == DOCX
    assert files["办公室.docx"].get_param("name") == "办公室.docx"
    assert files["办公室.docx"].get_content() == (round_dir / "部门报告" / "办公室.docx").read_bytes()
    # A stable Message-ID: the same content to the same address.
    assert mail.message_id(draft.content_hash, "BGS@example.gov.cn", SENDER) == msg_id
    assert mail.message_id(draft.content_hash, "other@example.gov.cn", SENDER) != msg_id


def test_long_chinese_file_names_fold_and_decode():
    name = "价格监督检查和反不正当竞争科（消费者权益保护科十二三一五投诉举报中心）_退回.xlsx"
    draft = mail.Draft(ROUND, "returned", "x", "x", ("a@b.cn",), "主题" * 30, "正文", "<p>正文</p>",
                       (mail.Attachment(name, b"PK\x03\x04 not really"),))
    raw = mime.message_bytes(mime.build_message(draft, "a@b.cn", "<x@y>"))
    assert all(len(line) <= 90 for line in raw.split(b"\r\n"))
    part = next(BytesParser(policy=policy.default).parsebytes(raw).iter_attachments())
    assert part.get_filename() == name and part.get_param("name") == name
    assert part.get_content_type() == XLSX and part.get_content() == b"PK\x03\x04 not really"


def test_content_hash_is_stable_until_the_report_changes(world, small_rules, save):
    def hashes(clock=CLOCK):
        return {(d.kind, d.reader): d for d in mail.plan(small_rules, do_run(small_rules, world, clock).round_dir)}

    first = hashes()
    # Same data, later the same day: every file is regenerated, nothing a reader sees changed.
    assert {k: d.content_hash for k, d in hashes(CLOCK.replace(hour=16, minute=5, second=7)).items()} == \
        {k: d.content_hash for k, d in first.items()}
    # Another day: resubmit_by is fixed at the round's first run, so nothing a reader sees changed
    # and no notice is mailed again.
    later = hashes(dt.datetime(2027, 1, 4, 8, 0))
    assert "2027年1月5日" in later[("reminder", "登记注册科")].text
    assert {k: d.content_hash for k, d in later.items()} == {k: d.content_hash for k, d in first.items()}
    write_office(small_rules, save, world / "input", LOW_12)
    changed = hashes()
    assert changed[("report", "办公室")].content_hash != first[("report", "办公室")].content_hash
    assert changed[("leaders", "局长")].content_hash != first[("leaders", "局长")].content_hash
    for same in (("reminder", "登记注册科"), ("returned", "机关党委")):
        assert changed[same].content_hash == first[same].content_hash


# ---------------------------------------------------------------- delivery against a real server

def test_happy_path_who_gets_what(world, small_rules):
    rd = ran(world)
    with smtp_server() as (server, port):
        done = deliver(small_rules, world / "output", rd, env=env_for(port))
    assert len(done.sent) == 4 and done.pending == 0 and not done.failed
    got = by_address(server.received)
    assert set(got) == {"bgs@example.gov.cn", "dw@example.gov.cn", "djk@example.gov.cn", "jz@example.gov.cn"}
    assert all(len(v) == 1 for v in got.values())
    assert {r.mail_from for r in server.received} == {"cjb@example.gov.cn"}

    report = got["bgs@example.gov.cn"][0]
    assert report["Subject"] == "【创建办】第一轮自评测评结果反馈（办公室）"
    assert attachments(report)["办公室.docx"].get_content() == (rd / "部门报告" / "办公室.docx").read_bytes()
    text = body(report)
    for shown in ("1.1 创建领导机构健全", "领导小组成员未按期调整", "年底前发文调整到位", "王主任", "2027年1月31日"):
        assert shown in text and shown in body(report, "html")

    returned = got["dw@example.gov.cn"][0]
    assert returned["Subject"] == "【创建办】第一轮自评表退回修改通知（机关党委）"
    files = attachments(returned)
    assert list(files) == ["机关党委_退回.xlsx"] and files["机关党委_退回.xlsx"].get_content_type() == XLSX
    assert files["机关党委_退回.xlsx"].get_content() == (rd / "退回" / "机关党委_退回.xlsx").read_bytes()
    text = body(returned)
    assert "自评表!E" in text and "超出范围" in text
    assert "2027年1月5日" in text        # as_of 2026-12-31 (Thursday) + 3 working days

    reminder = got["djk@example.gov.cn"][0]
    assert reminder["Subject"] == "【创建办】请报送第一轮自评表（登记注册科）"
    blank = attachments(reminder)["登记注册科.xlsx"]
    wb = openpyxl.load_workbook(io.BytesIO(blank.get_content()))
    assert "自评表" in wb.sheetnames and "2.1" in [c.value for c in wb["自评表"]["A"]]

    leaders = got["jz@example.gov.cn"][0]
    files = attachments(leaders)
    assert set(files) == {"汇总报告.docx", "问题清单.xlsx", "看板.html"}
    assert files["汇总报告.docx"].get_content() == (rd / "汇总报告.docx").read_bytes()
    assert files["看板.html"].get_content_type() == "text/html"           # CONTRACT §15, UTF-8 as written
    assert files["看板.html"].get_payload(decode=True) == (rd / "看板.html").read_bytes()
    assert files["问题清单.xlsx"].get_content() == (rd / "问题清单.xlsx").read_bytes()
    assert "未报送的部门：登记注册科" in body(leaders) and "已退回修改的部门：机关党委" in body(leaders)

    rows = Outbox(world / "output").rows()
    assert {r.state for r in rows} == {SENT} and all(r.attempts == 1 and r.sent_at for r in rows)
    ids = {r.recipient: r.message_id for r in rows}
    assert all(got[a][0]["Message-ID"] == ids[a] for a in got)


def test_rerun_sends_nothing_new(world, small_rules):
    with smtp_server() as (server, port):
        deliver(small_rules, world / "output", ran(world), env=env_for(port))
        again = deliver(small_rules, world / "output", do_run(small_rules, world, CLOCK.replace(hour=15)).round_dir,
                        env=env_for(port))
    assert len(server.received) == 4
    assert again.queued == 0 and again.unchanged == 4 and not again.sent


def test_server_down_then_back(world, small_rules, caplog):
    caplog.set_level(logging.INFO, logger="scorecard")
    port = free_port()
    down = deliver(small_rules, world / "output", ran(world), env=env_for(port))
    assert not down.sent and down.pending == 4 and "无法连接邮件服务器" in down.stopped
    assert "python process.py send" in caplog.text
    rows = Outbox(world / "output").rows()
    assert all(r.state == PENDING and r.attempts == 1 and r.next_attempt and "连接被拒绝" in r.last_error for r in rows)
    with smtp_server(port) as (server, _):
        back = deliver(small_rules, world / "output", env=env_for(port))
        twice = deliver(small_rules, world / "output", env=env_for(port))
    assert len(back.sent) == 4 and not twice.sent and len(server.received) == 4


def test_temporary_451_stays_pending_then_goes(world, small_rules):
    handler = Recorder(rcpt_replies=["451 4.7.1 Greylisted, try again later"])
    with smtp_server(handler=handler) as (server, port):
        first = deliver(small_rules, world / "output", ran(world), env=env_for(port),
                        clock=lambda: CLOCK)
        assert len(first.sent) == 3 and len(first.retry) == 1 and "451" in first.retry[0][1]
        waiting = [r for r in Outbox(world / "output").rows() if r.state == PENDING]
        assert len(waiting) == 1 and waiting[0].next_attempt == "2026-12-31T09:35:00"
        # Automatic retries (watch) wait for the backoff; a person's `send` tries at once.
        assert not deliver(small_rules, world / "output", env=env_for(port), clock=lambda: CLOCK,
                           honour_backoff=True).sent
        second = deliver(small_rules, world / "output", env=env_for(port), clock=lambda: CLOCK)
    assert [r.id for r in second.sent] == [waiting[0].id]
    assert sorted(len(v) for v in by_address(server.received).values()) == [1, 1, 1, 1]


def test_permanent_550_for_one_recipient_others_arrive(world, small_rules):
    handler = Recorder(refuse={"dw@example.gov.cn": "550 5.1.1 No such user"})
    with smtp_server(handler=handler) as (server, port):
        done = deliver(small_rules, world / "output", ran(world), env=env_for(port))
        again = deliver(small_rules, world / "output", env=env_for(port))
    assert set(by_address(server.received)) == {"bgs@example.gov.cn", "djk@example.gov.cn", "jz@example.gov.cn"}
    assert len(done.failed) == 1 and "550" in done.failed[0][1] and not again.sent and not again.failed
    failed = [r for r in Outbox(world / "output").rows() if r.state == FAILED]
    assert [r.recipient for r in failed] == ["dw@example.gov.cn"] and "No such user" in failed[0].last_error
    shown = [row for row in listing(world / "output") if row[2] == "发送失败"]
    assert shown and "550" in shown[0][6]


def test_connection_dropped_after_data(world, small_rules):
    handler = Recorder(drop_after_data=1)
    with smtp_server(handler=handler) as (server, port):
        first = deliver(small_rules, world / "output", ran(world), env=env_for(port))
        assert len(first.retry) == 1 and len(first.sent) == 3      # reconnected for the others
        dropped = first.retry[0][0]
        second = deliver(small_rules, world / "output", env=env_for(port))
    assert [r.id for r in second.sent] == [dropped.id]
    arrived = [r.message for r in server.received if dropped.recipient in r.rcpt_tos]
    assert len(arrived) == 1 and arrived[0]["Message-ID"] == dropped.message_id


@pytest.mark.parametrize("tls, mechanism", [("starttls", "PLAIN"), ("ssl", "LOGIN")])
def test_tls_and_auth(world, small_rules, tmp_path, tls, mechanism, caplog):
    caplog.set_level(logging.INFO, logger="scorecard")
    cert = make_certificate(tmp_path)
    other = {"PLAIN": ["LOGIN"], "LOGIN": ["PLAIN"]}[mechanism]
    with smtp_server(tls=tls, cert=cert, auth=True, auth_exclude=other) as (server, port):
        env = env_for(port, SMTP_SECURITY=tls, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD, SMTP_CAFILE=str(cert[0]))
        done = deliver(small_rules, world / "output", ran(world), env=env)
    assert len(done.sent) == 4 and len(server.received) == 4
    assert server.logins and {m for m, _ in server.logins} == {mechanism}
    assert PASSWORD not in caplog.text
    assert PASSWORD.encode() not in (world / "output" / "ledger.sqlite3").read_bytes()


def test_login_refused_and_untrusted_certificate_keep_mail_pending(world, small_rules, tmp_path):
    cert = make_certificate(tmp_path)
    round_dir = ran(world)
    with smtp_server(tls="starttls", cert=cert, auth=True) as (server, port):
        wrong = deliver(small_rules, world / "output", round_dir,
                        env=env_for(port, SMTP_SECURITY="starttls", SMTP_USER=USER, SMTP_PASSWORD="nope",
                                    SMTP_CAFILE=str(cert[0])))
        untrusted = deliver(small_rules, world / "output",
                            env=env_for(port, SMTP_SECURITY="starttls", SMTP_USER=USER, SMTP_PASSWORD=PASSWORD))
    assert not server.received and wrong.pending == untrusted.pending == 4
    assert "SMTP_PASSWORD" in wrong.stopped and "nope" not in wrong.stopped
    assert "SMTP_CAFILE" in untrusted.stopped


def test_missing_settings_keep_mail_pending(world, small_rules):
    done = deliver(small_rules, world / "output", ran(world), env={})
    assert done.pending == 4 and "SMTP_HOST" in done.stopped
    assert all(r.attempts == 0 for r in Outbox(world / "output").rows())


def test_newer_content_supersedes_unsent(world, small_rules, save):
    port = free_port()
    deliver(small_rules, world / "output", ran(world), env=env_for(port))
    write_office(small_rules, save, world / "input", LOW_12)
    changed = deliver(small_rules, world / "output", do_run(small_rules, world).round_dir, env=env_for(port))
    assert changed.queued == 2 and changed.superseded == 2          # 办公室's report and the leader's summary
    with smtp_server(port) as (server, _):
        deliver(small_rules, world / "output", env=env_for(port))
    got = by_address(server.received)
    assert sorted(len(v) for v in got.values()) == [1, 1, 1, 1]
    assert "责任分解不到人" in body(got["bgs@example.gov.cn"][0])
    assert sum(r.state == SUPERSEDED for r in Outbox(world / "output").rows()) == 2


def test_changed_back_content_is_sent_again(world, small_rules, save):
    with smtp_server() as (server, port):
        for low in (LOW_11, LOW_12, LOW_11):
            write_office(small_rules, save, world / "input", low)
            # One clock for every run and send: the order of sends, not their times, decides.
            deliver(small_rules, world / "output", do_run(small_rules, world).round_dir, env=env_for(port),
                    clock=lambda: CLOCK)
    reports = by_address(server.received)["bgs@example.gov.cn"]
    assert ["王主任" in body(m) for m in reports] == [True, False, True]
    assert reports[0]["Message-ID"] == reports[2]["Message-ID"]


def test_size_limit_warns_and_holds_the_message(world, small_rules, caplog):
    caplog.set_level(logging.INFO, logger="scorecard")
    small = parse_rules(SMALL_RULES + "mail:\n  max_mb: 0.02\n", "small.yaml")
    round_dir = do_run(small, world).round_dir
    with smtp_server() as (server, port):
        done = deliver(small, world / "output", round_dir, env=env_for(port))
        assert {r.recipient for r in done.sent} == {"djk@example.gov.cn"}      # the blank template is small
        assert "邮件过大" in caplog.text and "mail.max_mb" in caplog.text
        failed = [r for r in Outbox(world / "output").rows() if r.state == FAILED]
        assert len(failed) == 3 and all(r.last_error.startswith("邮件过大") for r in failed)
        bigger = deliver(small_rules, world / "output", round_dir, env=env_for(port))   # default 20 MB
    assert len(bigger.sent) == 3 and len(server.received) == 4


def test_dry_run_writes_eml_and_sends_nothing(world, small_rules):
    round_dir = ran(world)
    with smtp_server() as (server, port):
        done = deliver(small_rules, world / "output", round_dir, dry_run=True, env=env_for(port))
    assert not server.received and len(done.written) == 4 and done.pending == 4
    assert {p.parent for p in done.written} == {round_dir / "邮件"}
    report = next(p for p in done.written if "办公室" in p.name)
    msg = BytesParser(policy=policy.default).parsebytes(report.read_bytes())
    assert msg["Subject"] == "【创建办】第一轮自评测评结果反馈（办公室）" and list(attachments(msg)) == ["办公室.docx"]


def test_password_never_written(world, small_rules, tmp_path):
    env = env_for(free_port(), SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    done = deliver(small_rules, world / "output", ran(world), dry_run=True, env=env)
    assert PASSWORD not in repr(settings_from({}, env)) and PASSWORD not in settings_from({}, env).describe()
    for path in [*done.written, world / "output" / "ledger.sqlite3"]:
        assert PASSWORD.encode() not in path.read_bytes()
        assert base64.b64encode(PASSWORD.encode()) not in path.read_bytes().replace(b"\r\n", b"")


def test_user_mail_template_overrides_the_bundled_one(world, small_rules, tmp_path):
    custom = tmp_path / "mytemplates" / "mail"
    custom.mkdir(parents=True)
    (custom / "reminder.subject.j2").write_text("催报：{{ department }}", encoding="utf-8")
    drafts = mail.plan(small_rules, ran(world), templates_dir=tmp_path / "mytemplates")
    assert {d.subject for d in drafts if d.kind == "reminder"} == {"催报：登记注册科"}


def test_workbook_bookkeeping_is_not_content():
    """A very hidden sheet (copy id, time written) changes on every run; a visible cell is content."""
    def book(copy_id, value):
        wb = openpyxl.Workbook()
        wb.active.title = "问题清单"
        wb.active["A1"] = value
        meta = wb.create_sheet("_meta")
        meta["A1"], meta["B1"] = "copy", copy_id
        meta.sheet_state = "veryHidden"
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    def digest(data):
        return mail.Draft(ROUND, "leaders", "", "局长", ("a@b.cn",), "s", "t", "h",
                          (mail.Attachment("问题清单.xlsx", data),)).content_hash

    assert digest(book("uuid-1", "整改中")) == digest(book("uuid-2", "整改中"))
    assert digest(book("uuid-1", "整改中")) != digest(book("uuid-1", "已销号"))


def test_bundled_rules_and_examples(tmp_path, bundled_rules):
    """The sample corpus: a department with two addresses gets two messages; every file name decodes."""
    from conftest import ROOT

    result = run(bundled_rules, ROOT / "examples" / "input", tmp_path / "output", clock=lambda: CLOCK)
    with smtp_server() as (server, port):
        done = deliver(bundled_rules, tmp_path / "output", result.round_dir, env=env_for(port))
    got = by_address(server.received)
    expected = {a for d in bundled_rules.departments for a in d.email} | {a for ld in bundled_rules.leaders
                                                                          for a in ld.email}
    assert set(got) == expected and len(done.sent) == len(expected) == len(server.received)
    both = [got["xbk@example.gov.cn"][0], got["12315zx@example.gov.cn"][0]]
    assert [list(attachments(m)) for m in both] == [["消费者权益保护科.docx"]] * 2
    assert both[0]["Message-ID"] != both[1]["Message-ID"]
    assert list(attachments(got["djzck@example.gov.cn"][0])) == ["登记注册科_退回.xlsx"]
    assert list(attachments(got["ypqxk@example.gov.cn"][0])) == ["药品医疗器械监管科.xlsx"]


def test_watch_delivers_after_each_run(world, small_rules):
    from scorecard.operations.watch import watch

    with smtp_server() as (server, port):
        runs = watch(small_rules, world / "input", world / "output", max_runs=1, sleep=lambda s: None,
                     on_result=lambda result, seconds: deliver(small_rules, world / "output", result.round_dir,
                                                               env=env_for(port), honour_backoff=True))
    assert runs == 1 and len(server.received) == 4


def test_crash_after_acceptance_repeats_one_message_with_the_same_id(world, small_rules, monkeypatch):
    """The process dies after the server accepted a message and before the outbox recorded it."""
    real = Outbox.mark_sent

    def die_once(self, row_id, now):
        monkeypatch.setattr(Outbox, "mark_sent", real)
        raise KeyboardInterrupt        # the operator's Ctrl+C, a power cut: nothing of ours runs after it

    monkeypatch.setattr(Outbox, "mark_sent", die_once)
    with smtp_server() as (server, port):
        with pytest.raises(KeyboardInterrupt):
            deliver(small_rules, world / "output", ran(world), env=env_for(port))
        deliver(small_rules, world / "output", env=env_for(port))
    ids = [r.message["Message-ID"] for r in server.received]
    assert len(ids) == 5 and len(set(ids)) == 4 and ids[0] == ids[1]


def test_plan_again_supersedes_what_no_longer_applies(world, small_rules, save):
    """机关党委's file was returned; it sends a good one before the server is back: the stale 退回
    notice is never sent, its report is."""
    port = free_port()
    deliver(small_rules, world / "output", ran(world), env=env_for(port))
    save(filled(small_rules, "机关党委"), "机关党委.xlsx", world / "input")
    again = deliver(small_rules, world / "output", do_run(small_rules, world).round_dir, env=env_for(port))
    assert again.superseded >= 1
    with smtp_server(port) as (server, _):
        deliver(small_rules, world / "output", env=env_for(port))
    kinds = [m["X-Scorecard-Kind"] for m in by_address(server.received)["dw@example.gov.cn"]]
    assert kinds == ["report"]


def test_a_shared_mailbox_gets_each_departments_report(world, save):
    shared = parse_rules(SMALL_RULES.replace("dw@example.gov.cn", "bgs@example.gov.cn"), "small.yaml")
    save(filled(shared, "机关党委"), "机关党委.xlsx", world / "input")
    with smtp_server() as (server, port):
        done = deliver(shared, world / "output", do_run(shared, world).round_dir, env=env_for(port))
    subjects = sorted(m["Subject"] for m in by_address(server.received)["bgs@example.gov.cn"])
    assert len(done.sent) == 4 and subjects == ["【创建办】第一轮自评测评结果反馈（办公室）",
                                                "【创建办】第一轮自评测评结果反馈（机关党委）"]


def test_outbox_created_first_by_another_module(world, small_rules):
    """`status` (another module) may create the table with only the shared columns."""
    with sqlite3.connect(world / "output" / "ledger.sqlite3") as conn:
        conn.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, round TEXT, recipient TEXT, kind TEXT, "
                     "department TEXT, content_hash TEXT, message_id TEXT, subject TEXT, state TEXT, attempts INTEGER, "
                     "last_error TEXT, created TEXT, updated TEXT, next_attempt TEXT, sent_at TEXT, "
                     "UNIQUE (round, recipient, kind, content_hash))")
    with smtp_server() as (server, port):
        done = deliver(small_rules, world / "output", ran(world), env=env_for(port))
    assert len(done.sent) == 4 and len(server.received) == 4


def test_421_is_temporary_and_the_others_still_go(world, small_rules):
    handler = Recorder(rcpt_replies=["421 4.7.0 Too many messages, closing connection"])
    with smtp_server(handler=handler) as (server, port):
        first = deliver(small_rules, world / "output", ran(world), env=env_for(port))
        assert len(first.retry) == 1 and len(first.sent) == 3
        deliver(small_rules, world / "output", env=env_for(port))
    assert sorted(len(v) for v in by_address(server.received).values()) == [1, 1, 1, 1]


def test_a_message_of_exactly_the_size_limit_is_sent_one_byte_more_is_held(world, small_rules):
    """mail.max_mb lowered after the messages were queued: at sending, a message of exactly the limit
    goes, a larger one is held as failed (邮件过大)."""
    deliver(small_rules, world / "output", ran(world), send=False, env=env_for(free_port()))
    sizes = sorted({r.size for r in Outbox(world / "output").rows()})
    assert len(sizes) > 1
    limit = sizes[0]
    lowered = parse_rules(SMALL_RULES + f"mail:\n  max_mb: {limit / (1024 * 1024)!r}\n", "small.yaml")
    with smtp_server() as (server, port):
        done = deliver(lowered, world / "output", env=env_for(port))
    rows = Outbox(world / "output").rows()
    assert {r.state for r in rows if r.size == limit} == {SENT}
    assert {r.state for r in rows if r.size > limit} == {FAILED}
    assert all(r.last_error.startswith("邮件过大") for r in rows if r.state == FAILED)
    assert len(server.received) == len(done.sent) == sum(r.size == limit for r in rows)


def test_one_address_spelt_twice_gets_one_message(world):
    """§9 never twice to the same address: an address listed twice in other letter cases is one."""
    twice = parse_rules(SMALL_RULES.replace("email: [bgs@example.gov.cn]", "email: [bgs@example.gov.cn, BGS@Example.gov.cn]"),
                        "small.yaml")
    with smtp_server() as (server, port):
        done = deliver(twice, world / "output", do_run(twice, world).round_dir, env=env_for(port))
    assert len(by_address(server.received)["bgs@example.gov.cn"]) == 1 and len(done.sent) == 4


def test_each_attempt_is_counted(world, small_rules):
    port = free_port()
    deliver(small_rules, world / "output", ran(world), env=env_for(port))            # server down
    with smtp_server(port):
        deliver(small_rules, world / "output", env=env_for(port))
    assert {(r.state, r.attempts) for r in Outbox(world / "output").rows()} == {(SENT, 2)}


def test_send_takes_the_round_run_last(world, small_rules):
    """`send` without a round queues the messages of the round run last, not of an earlier one."""
    do_run(small_rules, world)
    later = run(small_rules, world / "input", world / "output", round_name="第二轮", clock=lambda: CLOCK.replace(hour=11))
    with smtp_server() as (server, port):
        deliver(small_rules, world / "output", env=env_for(port))
    assert {r.round for r in Outbox(world / "output").rows()} == {"第二轮"}
    assert later.round_dir.name == "第二轮" and all("第二轮" in r.message["Subject"] for r in server.received)


def test_content_that_comes_back_before_anything_was_sent_is_sent(world, small_rules, save):
    """A report changed while the server was down, then changed back: the first content was
    superseded unsent; coming back, it is queued again and sent once (the second is superseded)."""
    port = free_port()
    deliver(small_rules, world / "output", ran(world), env=env_for(port))          # LOW_11 queued, server down
    for low in (LOW_12, LOW_11):
        write_office(small_rules, save, world / "input", low)
        deliver(small_rules, world / "output", do_run(small_rules, world).round_dir, env=env_for(port))
    with smtp_server(port) as (server, _):
        deliver(small_rules, world / "output", env=env_for(port))
    reports = by_address(server.received)["bgs@example.gov.cn"]
    assert len(reports) == 1 and "王主任" in body(reports[0])
    assert sorted(len(v) for v in by_address(server.received).values()) == [1, 1, 1, 1]
