"""Follow-up (CONTRACT §14) walked day by day against a real SMTP server (aiosmtpd on 127.0.0.1),
the date injected: 提醒 before submit_by, 催办 after it, 督办 with the head and the 分管领导 copied
once escalation is due, red gaps, missed days, an outage in the middle, a late submission. What
each address receives is counted: one message per step, nothing twice."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import SMALL_RULES, filled, full_marks
from mailserver import smtp_server
from mailworld import attachments, body, by_address, env_for
from scorecard.followup.remind import remind
from scorecard.mail.outbox import Outbox
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules

RULES = SMALL_RULES.replace(
    "  - name: 登记注册科\n    email: [djk@example.gov.cn]\n",
    "  - name: 登记注册科\n    email: [djk@example.gov.cn]\n    head: 赵科长\n    head_email: [zhao@example.gov.cn]\n"
    "    leader: 局长\n").replace(
    "    email: [bgs@example.gov.cn]\n",
    "    email: [bgs@example.gov.cn]\n    head: 王主任\n    head_email: [wang@example.gov.cn]\n    leader: 局长\n", 1) + """\
schedule:
  submit_by: 2026-12-20
  remind_before: [3, 1]
  chase_after: [1, 3, 7]
  escalate_after: 3
"""
OFFICE, PARTY, REGISTRY = "bgs@example.gov.cn", "dw@example.gov.cn", "djk@example.gov.cn"
HEAD, LEADER, OFFICE_HEAD = "zhao@example.gov.cn", "jz@example.gov.cn", "wang@example.gov.cn"
# 办公室's one gap falls due on 2026-12-22: red from the 23rd, escalated from the 25th.
LOW = {"自评得分": 2, "完成情况": "推进中", "存在问题": "领导小组成员未按期调整", "整改措施": "发文调整到位",
       "责任人": "王主任", "完成时限": dt.date(2026, 12, 22)}


def day(d):
    return dt.date(2026, 12, d)


@pytest.fixture
def world(tmp_path):
    rules = parse_rules(RULES, "rules.yaml")
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    filled(rules, "办公室", rows=full_marks(rules, "办公室", **{"1.1": LOW})).save(inp / "办公室.xlsx")
    filled(rules, "机关党委", rows=full_marks(rules, "机关党委", **{"2.2": {"自评得分": 99}})).save(inp / "机关党委.xlsx")
    run(rules, inp, out, as_of=day(15), clock=lambda: dt.datetime(2026, 12, 15, 9), workers=1)
    return {"rules": rules, "input": inp, "output": out}


def subjects(messages):
    return [m["Subject"] for m in messages]


def test_a_calendar_walked_day_by_day(world):
    rules, out = world["rules"], world["output"]
    with smtp_server() as (server, port):
        env = env_for(port)

        def on(d, send=True):
            found, done = remind(rules, out, day(d), send=send, env=env, clock=lambda: dt.datetime(2026, 12, d, 8))
            return found, done

        def got():
            return by_address(server.received)

        found, done = on(16)                                   # before the first step (12-17)
        assert found == [] and not done.sent
        on(17)                                                 # 3 days before: 提醒 to the two without a workbook
        assert {a: subjects(m) for a, m in got().items()} == {
            PARTY: ["【提醒】请于2026年12月20日前报送第一轮自评表（机关党委）"],
            REGISTRY: ["【提醒】请于2026年12月20日前报送第一轮自评表（登记注册科）"]}
        text = body(got()[PARTY][0])
        assert "距截止还有3天" in text and "审核通过的自评表" in text and "已退回修改" in text
        assert "距截止还有3天" in body(got()[REGISTRY][0]) and "审核通过的" not in body(got()[REGISTRY][0])
        assert list(attachments(got()[REGISTRY][0])) == ["登记注册科.xlsx"]
        on(17)                                                 # the same day twice: nothing again
        on(18)                                                 # the same step still: nothing
        assert len(server.received) == 2
        # 19th (1 day before) and 20th skipped; 21st: the first 催办 only, no 提醒 for the missed step
        on(21)
        assert subjects(got()[REGISTRY])[1:] == ["【催办】第一轮自评表已逾期1天，请尽快报送（登记注册科）"]
        assert len(server.received) == 4 and HEAD not in got() and LEADER not in got()
        # 23rd: 催办 of step 3, and escalation due (3 days): 督办 copied to the head and the 分管领导;
        # 办公室's gap turned red on the 23rd: a 督办 to 办公室 alone (not yet 3 days overdue)
        on(23)
        registry = subjects(got()[REGISTRY])
        assert registry[2:] == ["【催办】第一轮自评表已逾期3天，请尽快报送（登记注册科）",
                                "【督办】关于督促报送第一轮自评表的通知（登记注册科）"]
        assert subjects(got()[HEAD]) == ["【督办】关于督促报送第一轮自评表的通知（登记注册科）"]
        leader = got()[LEADER]
        assert subjects(leader) == ["【督办】关于督促报送第一轮自评表的通知（登记注册科）"]
        assert leader[0]["To"] == REGISTRY and HEAD in leader[0]["Cc"] and LEADER in leader[0]["Cc"]
        assert "抄送：赵科长（部门负责人）、局长（分管领导）" in body(leader[0])
        office = got()[OFFICE]
        assert subjects(office) == ["【督办】关于督促整改1项逾期问题的通知（办公室）"]
        assert "原完成时限：2026年12月22日，已逾期1天" in body(office[0]) and OFFICE_HEAD not in got()
        assert office[0]["Cc"] is None
        count = len(server.received)
        on(24)                                                 # nothing new is due
        assert len(server.received) == count
        # 25th: 办公室's gap 3 days overdue: escalated, its head and 分管领导 copied once
        on(25)
        assert subjects(got()[OFFICE])[1:] == ["【督办】关于督促整改1项逾期问题的通知（办公室）"]
        assert "已逾期3天" in body(got()[OFFICE][1]) and len(got()[OFFICE_HEAD]) == 1
        assert len(got()[LEADER]) == 2
        on(26)
        assert len(server.received) == count + 3
    count = len(server.received)
    # 27th: the mail server is down. The step-7 催办 of 机关党委 and 登记注册科 wait in the outbox.
    found, done = remind(rules, out, day(27), send=True, env=env_for(port), clock=lambda: dt.datetime(2026, 12, 27, 8))
    assert not done.sent and done.pending == 2
    # Then 登记注册科 sends its workbook late; the run on the 28th accepts it.
    filled(rules, "登记注册科").save(world["input"] / "登记注册科.xlsx")
    run(rules, world["input"], out, as_of=day(15), clock=lambda: dt.datetime(2026, 12, 28, 9), workers=1)
    with smtp_server(port, handler=server) as (server, _):
        on(28)      # the server is back: 机关党委's waiting 催办 goes; none to a department that has submitted
        assert len(server.received) == count + 1
        assert subjects(got()[PARTY])[-1] == "【催办】第一轮自评表已逾期7天，请尽快报送（机关党委）"
        assert subjects(got()[REGISTRY])[-1] == "【督办】关于督促报送第一轮自评表的通知（登记注册科）"
        assert all(len({x["Message-ID"] for x in m}) == len(m) for m in got().values())     # nothing twice
    states = {(r.kind, r.recipient, r.state) for r in Outbox(out).rows() if r.kind == "chase"}
    assert ("chase", REGISTRY, "superseded") in states and ("chase", PARTY, "sent") in states


def test_remind_from_the_command_line_then_status_and_the_next_run_list_it(world, tmp_path, monkeypatch, capsys):
    from scorecard import cli

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES, encoding="utf-8")
    out = world["output"]
    with smtp_server() as (server, port):
        for key, value in env_for(port).items():
            monkeypatch.setenv(key, value)
        args = ["remind", "--rules", str(rules_file), "--output", str(out), "--templates", str(tmp_path / "none")]
        assert cli.main(args + ["--as-of", "2026-12-17"]) == 0             # queued, not sent
        assert server.received == []
        assert cli.main(args + ["--as-of", "2026-12-17", "--send"]) == 0
        assert sorted(a for m in server.received for a in m.rcpt_tos) == sorted([PARTY, REGISTRY])
        assert cli.main(args + ["--as-of", "2026-12-18", "--send"]) == 0   # the same step: nothing again
        assert len(server.received) == 2
    capsys.readouterr()
    assert cli.main(["status", "--output", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "督办（提醒、催办、督办" in shown and shown.count("2026-12-17") >= 2 and "已发送 1" in shown
    # The next run lists them in summary.json followup.reminders.
    done = run(world["rules"], world["input"], out, as_of=day(18), clock=lambda: dt.datetime(2026, 12, 18, 9),
               workers=1, force=True)
    import json
    reminders = json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))["followup"]["reminders"]
    assert [(r["kind"], r["department"], r["step"], r["due_on"], r["state"], r["to"]) for r in reminders] == [
        ("提醒", "机关党委", "3", "2026-12-17", "sent", [PARTY]),
        ("提醒", "登记注册科", "3", "2026-12-17", "sent", [REGISTRY])]


def test_the_escalation_notice_is_attached_and_says_what_is_overdue(world):
    import io

    import docx

    rules, out = world["rules"], world["output"]
    with smtp_server() as (server, port):
        remind(rules, out, day(25), send=True, env=env_for(port), clock=lambda: dt.datetime(2026, 12, 25, 8))
        got = by_address(server.received)
    office = [m for m in got[OFFICE] if m["Subject"].startswith("【督办】")][0]
    files = attachments(office)
    assert list(files) == ["办公室_督办通知单.docx"]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(files["办公室_督办通知单.docx"].get_content())).paragraphs]
    assert paragraphs[0] == "关于督促整改逾期问题的通知" and "办公室：" in paragraphs
    assert "抄送：王主任（部门负责人）、局长（分管领导）。" in paragraphs and "特此通知。" in paragraphs
    table = docx.Document(io.BytesIO(files["办公室_督办通知单.docx"].get_content())).tables[0]
    row = [c.text for c in table.rows[1].cells]
    assert row[3] == "2026年12月22日" and row[4] == "3" and "领导小组成员未按期调整" in row[2]
    saved = out / "第一轮" / "督办" / "办公室_督办通知单.docx"
    assert saved.is_file()
    registry = [m for m in got[REGISTRY] if m["Subject"].startswith("【督办】")][0]
    text = [p.text for p in docx.Document(io.BytesIO(
        attachments(registry)["登记注册科_督办通知单.docx"].get_content())).paragraphs]
    assert text[0] == "关于督促报送自评材料的通知" and any("已逾期3天" in t for t in text)


def test_the_notice_numbers_its_pages_once(tmp_path):
    import zipfile

    from scorecard.reports.notice import notice_document

    path = notice_document({"round": "第一轮", "title": "测评", "organization": "某局"}, "办公室", tmp_path / "n.docx",
                           as_of=day(25), red_gaps=[], overdue_days=3, submit_by=day(20), new_deadline=day(30))
    with zipfile.ZipFile(path) as z:
        assert all(z.read(n).decode("utf-8").count(" PAGE ") == 1 for n in z.namelist() if n.startswith("word/footer"))


def test_remind_waits_for_a_run_holding_the_lock(world, tmp_path, monkeypatch):
    """The 09:00 remind of the service meets a run still going: without --wait it exits 75 and sends
    nothing; with --wait it waits for the run, then sends the day's steps once."""
    import threading

    from conftest import lock_held_elsewhere
    from scorecard import cli

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES, encoding="utf-8")
    out = world["output"]
    args = ["remind", "--rules", str(rules_file), "--output", str(out), "--templates", str(tmp_path / "none"),
            "--as-of", "2026-12-17", "--send"]
    with smtp_server() as (server, port):
        for key, value in env_for(port).items():
            monkeypatch.setenv(key, value)
        with lock_held_elsewhere(out) as release:
            assert cli.main(args) == cli.EXIT_LOCKED
            assert cli.main([*args, "--wait", "0.3"]) == cli.EXIT_LOCKED       # gave up
            assert server.received == []
            threading.Timer(0.8, release.set).start()
            assert cli.main([*args, "--wait"]) == cli.EXIT_OK                  # waited, then sent
        assert sorted(a for m in server.received for a in m.rcpt_tos) == sorted([PARTY, REGISTRY])
        assert cli.main(args) == cli.EXIT_OK and len(server.received) == 2    # nothing twice


def test_the_next_run_says_who_was_escalated_in_the_leaders_mail_and_the_next_steps(world):
    """§14 item 6: once a 督办 copied to the head and the 分管领导 has gone, the summary's
    followup.escalated names the department, and the leaders' mail and 汇总报告's 下一步工作 say so.
    机关党委's late-workbook 督办 copies nobody (no head_email, no leader): not escalated."""
    import json

    from scorecard.mail import messages
    from test_reports import paragraphs_text

    rules, out = world["rules"], world["output"]
    with smtp_server() as (server, port):
        remind(rules, out, day(25), send=True, env=env_for(port), clock=lambda: dt.datetime(2026, 12, 25, 8))
    done = run(rules, world["input"], out, as_of=day(25), clock=lambda: dt.datetime(2026, 12, 25, 9), workers=1)
    summary = json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["followup"]["escalated"] == ["办公室", "登记注册科"]
    [leaders] = [d for d in messages.plan(rules, done.round_dir) if d.kind == "leaders"]
    assert "已发督办通知并抄送部门负责人和分管领导的部门：办公室、登记注册科。" in leaders.text
    assert "（红灯）2条，涉及办公室" in leaders.text
    steps = paragraphs_text(done.round_dir / "汇总报告.docx")
    steps = steps[steps.index("下一步工作"):]
    assert "对登记注册科已发督办通知，抄送部门负责人和分管领导" in steps
    assert "（红灯）" in steps and "对办公室已发督办通知，抄送部门负责人和分管领导" in steps
    assert "对机关党委已发督办通知" not in steps


def test_a_department_is_not_escalated_before_its_copy_has_gone():
    from scorecard.operations.ledger import Ledger

    queued = {"kind": "督办", "department": "办公室", "cc": ["wang@example.gov.cn"], "state": "pending"}
    alone = {"kind": "督办", "department": "机关党委", "cc": [], "state": "sent"}
    chased = {"kind": "催办", "department": "登记注册科", "cc": ["x@example.gov.cn"], "state": "sent"}
    assert Ledger.escalated([queued, alone, chased]) == []
    assert Ledger.escalated([dict(queued, state="sent"), alone, dict(queued, state="sent")]) == ["办公室"]


def _notice_with(tmp_path, n: int):
    from scorecard.reports.notice import notice_document

    gaps = [{"indicator": f"1.{k + 1}", "indicator_name": "创建领导机构健全", "problem": "领导小组成员未按期调整，制度未及时修订完善" * 2,
             "deadline": "2026-12-22", "owner": "王主任"} for k in range(n)]
    return notice_document({"round": "第一轮", "title": "省级文明单位创建测评", "organization": "某局"}, "办公室",
                           tmp_path / f"notice{n:02d}.docx", as_of=day(25), red_gaps=gaps,
                           overdue_days=3 if n % 2 else None, submit_by=day(20), new_deadline=day(30),
                           leader="局长（分管领导）")


def test_the_notice_never_breaks_a_row_and_keeps_what_to_do_with_its_signature(tmp_path):
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(_notice_with(tmp_path, 6))
    rows = document.tables[0].rows
    assert all(r._tr.trPr is not None and r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rows)
    texts = [p.text for p in document.paragraphs]
    end = texts.index("特此通知。")
    kept = document.paragraphs[end - 1]
    assert kept.text.startswith("请于") and kept.paragraph_format.keep_with_next
    assert document.paragraphs[end].paragraph_format.keep_with_next


@pytest.mark.skipif(not __import__("shutil").which("soffice") or not __import__("shutil").which("pdftotext"),
                    reason="needs LibreOffice and poppler-utils")
def test_the_notice_as_printed_has_what_to_do_on_the_page_of_its_signature(tmp_path):
    """Printed by LibreOffice with 1 to 8 overdue items (the page breaks fall in the table, after
    it and before the closing): the page with the signature always holds the sentence saying what
    to do, never the closing and the signature alone."""
    import subprocess

    notices = [_notice_with(tmp_path, n) for n in range(1, 9)]
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, notices)],
                   check=True, capture_output=True, timeout=600)
    for notice in notices:
        text = subprocess.run(["pdftotext", str(notice.with_suffix(".pdf")), "-"], capture_output=True, text=True,
                              check=True).stdout
        page = next(p for p in text.split("\f") if "特此通知" in p)
        assert "请于" in page.replace(" ", ""), f"{notice.name}: the signature without what to do"
