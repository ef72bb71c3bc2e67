"""The e-mail commands in process (`run --send`, `send`, `send --list`, `--dry-run`), including
the outside scenario: server down, a department's workbook changed, server back, `send` twice."""
from __future__ import annotations

import sqlite3

from mailserver import Recorder, free_port, smtp_server
from mailworld import (LOW_12, ROUND, attachments, body, by_address, clean_env, env_for, prepared,  # noqa: F401
                       world, write_office)
from scorecard.cli import main
from scorecard.outbox import FAILED, PENDING, SENT, Outbox


def cli(world, *args):
    return main([*args, "--rules", str(world / "rules.yaml"), "--output", str(world / "output")])


def cli_run(world, *args):
    return cli(world, "run", "--input", str(world / "input"), *args)


def test_outside_scenario_via_cli(world, small_rules, save, monkeypatch, capsys):
    port = free_port()
    for key, value in env_for(port).items():
        monkeypatch.setenv(key, value)
    with smtp_server(port) as (server, _):
        assert cli_run(world, "--send") == 0
        assert cli_run(world, "--send") == 0
        assert len(server.received) == 4
    capsys.readouterr()
    write_office(small_rules, save, world / "input", LOW_12)
    assert cli_run(world, "--send") == 0                 # server down: the run still completes
    err = capsys.readouterr().err
    assert "无法连接邮件服务器" in err and "python process.py send" in err
    assert (world / "output" / ROUND / "部门报告" / "办公室.docx").is_file()
    with smtp_server(port) as (server, _):
        assert cli(world, "send") == 0
        assert cli(world, "send") == 0
    got = by_address(server.received)
    assert set(got) == {"bgs@example.gov.cn", "jz@example.gov.cn"}          # the changed report, the summary
    assert len(got["bgs@example.gov.cn"]) == 1 and "责任分解不到人" in body(got["bgs@example.gov.cn"][0])
    assert attachments(got["bgs@example.gov.cn"][0])["办公室.docx"].get_content() == \
        (world / "output" / ROUND / "部门报告" / "办公室.docx").read_bytes()


def test_plain_run_then_send_delivers(world, monkeypatch):
    assert cli_run(world) == 0
    assert not (world / "output" / "ledger.sqlite3").exists() or not Outbox(world / "output").rows()
    with smtp_server() as (server, port):
        for key, value in env_for(port).items():
            monkeypatch.setenv(key, value)
        assert cli(world, "send") == 0
    assert len(server.received) == 4


def test_cli_run_send_without_settings_and_list(world, capsys):
    assert cli_run(world, "--send") == 0
    out = capsys.readouterr()
    assert "未配置邮件服务器" in out.err and "SMTP_HOST" in out.err
    assert (world / "output" / ROUND / "汇总报告.docx").is_file()
    assert cli(world, "send", "--list") == 0
    listed = capsys.readouterr().out
    assert "待发送" in listed and "bgs@example.gov.cn" in listed and "合计：待发送 4 封" in listed


def test_cli_dry_run(world, monkeypatch):
    with smtp_server() as (server, port):
        for key, value in env_for(port).items():
            monkeypatch.setenv(key, value)
        assert cli_run(world, "--send", "--dry-run") == 0
        assert cli(world, "send", "--dry-run") == 0
    assert not server.received
    emls = sorted((world / "output" / ROUND / "邮件").glob("*.eml"))
    assert len(emls) == 4
    with sqlite3.connect(world / "output" / "ledger.sqlite3") as conn:
        assert {s for (s,) in conn.execute("SELECT state FROM outbox")} == {PENDING}


def test_send_without_an_output_folder_is_a_usage_error(world, capsys):
    assert main(["send", "--rules", str(world / "rules.yaml"), "--output", str(world / "nowhere")]) == 2
    assert "输出文件夹不存在" in capsys.readouterr().err
    assert not (world / "nowhere").exists()


def test_send_retry_failed_sends_a_refused_message_once_when_the_server_takes_it(world, monkeypatch):
    """§9: a message refused for good (550) stays failed; `send --retry-failed` against a server that
    now takes it sends it once, and leaves nothing failed; a second `send --retry-failed` sends nothing."""
    port = free_port()
    for key, value in env_for(port).items():
        monkeypatch.setenv(key, value)
    refusing = Recorder(refuse={"dw@example.gov.cn": "550 5.1.1 No such user"})
    with smtp_server(port, handler=refusing):
        assert cli_run(world, "--send") == 0
    assert "dw@example.gov.cn" not in by_address(refusing.received) and len(refusing.received) == 3
    assert [r.recipient for r in Outbox(world / "output").rows() if r.state == FAILED] == ["dw@example.gov.cn"]
    with smtp_server(port) as (server, _):
        assert cli(world, "send") == 0                       # a plain send leaves a failed message alone
        assert not server.received
        assert cli(world, "send", "--retry-failed") == 0
        assert cli(world, "send", "--retry-failed") == 0
    assert [r.rcpt_tos for r in server.received] == [["dw@example.gov.cn"]]
    states = {r.recipient: r.state for r in Outbox(world / "output").rows()}
    assert states == dict.fromkeys(("bgs@example.gov.cn", "dw@example.gov.cn", "djk@example.gov.cn",
                                    "jz@example.gov.cn"), SENT)
