"""Who is mailed again (CONTRACT §9, issue 17): only readers whose own content changed; a message
that replaces one already sent says so (【更新】 and a first line); the commands print how many
messages were sent, queued and failed; a server that refuses everything is not blamed on the
addresses; a department's corrected file sends no stale 退回 copy. Against a real aiosmtpd server."""
from __future__ import annotations

import datetime as dt
import os

from conftest import filled, full_marks
from mailserver import Recorder, free_port, smtp_server
from mailworld import (CLOCK, LOW_11, LOW_12, ROUND, attachments, body, by_address, clean_env, do_run,  # noqa: F401
                       env_for, prepared, ran, world, write_office)
from scorecard.cli import main
from scorecard.delivery import deliver
from scorecard.outbox import FAILED, PENDING, Outbox

DJK_LOW = {"自评得分": 1, "完成情况": "推进中", "存在问题": "窗口标识不全", "整改措施": "统一制作标识",
           "责任人": "赵科长", "完成时限": dt.date(2027, 1, 31)}


def both_accepted(rules, world, save, djk_rows=None):
    """登记注册科 sends a full-marks workbook too, so that two departments are ranked."""
    save(filled(rules, "登记注册科", rows=djk_rows or full_marks(rules, "登记注册科")), "登记注册科.xlsx",
         world / "input")
    return do_run(rules, world).round_dir


def test_one_departments_change_mails_only_it_and_the_leaders(world, small_rules, save):
    with smtp_server() as (server, port):
        deliver(small_rules, world / "output", both_accepted(small_rules, world, save), env=env_for(port))
        first = by_address(server.received)
        assert "排第1位" in body(first["djk@example.gov.cn"][0]) and "排第2位" in body(first["bgs@example.gov.cn"][0])
        server.received.clear()
        # 登记注册科 drops below 办公室: 办公室 moves to first place, nothing of its own changed.
        rows = full_marks(small_rules, "登记注册科", **{"2.1": DJK_LOW})
        round_dir = both_accepted(small_rules, world, save, rows)
        done = deliver(small_rules, world / "output", round_dir, env=env_for(port))
    got = by_address(server.received)
    assert set(got) == {"djk@example.gov.cn", "jz@example.gov.cn"}, set(got)
    assert len(done.sent) == 2
    for address in got:
        msg = got[address][0]
        assert msg["Subject"].startswith("【更新】"), msg["Subject"]
        first_line = body(msg).splitlines()[0]
        assert first_line.startswith("【更新】") and "更新" in first_line
        assert "【更新】" in body(msg, "html")
    djk = body(got["djk@example.gov.cn"][0]).splitlines()[0]
    assert "得分由" in djk and "新增问题1条" in djk and "2.1" in djk
    assert "总分由" in body(got["jz@example.gov.cn"][0]).splitlines()[0]


def test_a_first_message_is_no_update(world, small_rules):
    with smtp_server() as (server, port):
        deliver(small_rules, world / "output", ran(world), env=env_for(port))
    assert not any(r.message["Subject"].startswith("【更新】") for r in server.received)


def test_commands_print_what_they_sent(world, small_rules, monkeypatch, capsys):
    args = ["--rules", str(world / "rules.yaml"), "--output", str(world / "output")]
    handler = Recorder(refuse={"dw@example.gov.cn": "550 5.1.1 No such user"})
    with smtp_server(handler=handler) as (server, port):
        for key, value in env_for(port).items():
            monkeypatch.setenv(key, value)
        assert main(["run", "--input", str(world / "input"), "--send", *args]) == 0
        out = capsys.readouterr().out
        assert "邮件：本次发出 3 封，发件箱中待发送 0 封，发送失败 1 封" in out
        assert main(["send", *args]) == 0
        assert "邮件：本次发出 0 封，发件箱中待发送 0 封，发送失败 0 封" in capsys.readouterr().out
        handler.refuse.clear()
        assert main(["send", "--retry-failed", *args]) == 0
        assert "邮件：本次发出 1 封，发件箱中待发送 0 封，发送失败 0 封" in capsys.readouterr().out


def test_a_server_refusing_everything_is_not_blamed_on_the_addresses(world, small_rules, caplog):
    handler = Recorder(rcpt_replies=["500 5.3.0 Internal server error"] * 4)
    with smtp_server(handler=handler) as (server, port):
        done = deliver(small_rules, world / "output", ran(world), env=env_for(port))
        assert not done.sent and not done.failed and done.pending == 4
        assert "不是邮箱地址有误" in done.stopped and "500" in done.stopped
        assert "请核对 rules.yaml 中的邮箱地址" not in caplog.text
        assert {r.state for r in Outbox(world / "output").rows()} == {PENDING}
        again = deliver(small_rules, world / "output", env=env_for(port))     # the server is fine again
    assert len(again.sent) == 4


def test_one_refused_address_is_still_named(world, small_rules, caplog):
    handler = Recorder(refuse={"dw@example.gov.cn": "550 5.1.1 No such user"})
    with smtp_server(handler=handler) as (server, port):
        done = deliver(small_rules, world / "output", ran(world), env=env_for(port))
    assert [r.recipient for r, _ in done.failed] == ["dw@example.gov.cn"]
    assert "请核对 rules.yaml 中的邮箱地址" in caplog.text
    assert [r.state for r in Outbox(world / "output").rows() if r.recipient == "dw@example.gov.cn"] == [FAILED]


def test_a_corrected_department_gets_no_stale_returned_copy(world, small_rules, save):
    """机关党委 was returned; its corrected file (saved later) is accepted: the report it now gets
    attaches no 退回 copy and does not say another file was rejected."""
    rejected = world / "input" / "机关党委.xlsx"
    old = rejected.stat().st_mtime - 3600
    os.utime(rejected, (old, old))
    save(filled(small_rules, "机关党委"), "机关党委（修改后）.xlsx", world / "input")
    round_dir = do_run(small_rules, world).round_dir
    with smtp_server() as (server, port):
        deliver(small_rules, world / "output", round_dir, env=env_for(port))
    report = by_address(server.received)["dw@example.gov.cn"][0]
    assert list(attachments(report)) == ["机关党委.docx"]
    assert "未通过审核" not in body(report)
