"""The ledger does not grow without bound (issue 18): a superseded message keeps no body, and a
message too large ever to send is refused before it is stored, with a warning naming the attachment."""
from __future__ import annotations

import logging
import sqlite3

from conftest import SMALL_RULES
from mailserver import smtp_server
from mailworld import (LOW_12, clean_env, do_run, env_for, prepared, ran, world, write_office)  # noqa: F401
from scorecard.delivery import deliver
from scorecard.outbox import FAILED, SUPERSEDED, Outbox
from scorecard.rules import parse_rules


def _bodies(output) -> dict[int, int]:
    with sqlite3.connect(output / "ledger.sqlite3") as conn:
        return dict(conn.execute("SELECT id, length(eml) FROM outbox"))


def test_superseded_messages_keep_no_body(world, small_rules, save):
    deliver(small_rules, world / "output", ran(world), env={})
    write_office(small_rules, save, world / "input", LOW_12)
    changed = deliver(small_rules, world / "output", do_run(small_rules, world).round_dir, env={})
    assert changed.superseded == 2
    rows = {r.id: r for r in Outbox(world / "output").rows()}
    sizes = _bodies(world / "output")
    superseded = [i for i, r in rows.items() if r.state == SUPERSEDED]
    assert len(superseded) == 2 and all(sizes[i] == 0 for i in superseded)
    assert all(sizes[i] > 0 for i, r in rows.items() if r.state != SUPERSEDED)
    with smtp_server() as (server, port):
        done = deliver(small_rules, world / "output", env=env_for(port))
    assert len(done.sent) == 4 and not done.failed          # what re-sending needs is kept


def test_a_message_too_large_to_send_is_not_stored(world, small_rules, caplog):
    caplog.set_level(logging.INFO, logger="scorecard")
    small = parse_rules(SMALL_RULES + "mail:\n  max_mb: 0.02\n", "small.yaml")
    round_dir = do_run(small, world).round_dir
    deliver(small, world / "output", round_dir, env={})
    failed = [r for r in Outbox(world / "output").rows() if r.state == FAILED]
    assert len(failed) == 3
    sizes = _bodies(world / "output")
    assert all(sizes[r.id] == 0 and r.size > 0.02 * 1048576 for r in failed)
    assert all("最大的附件是“" in r.last_error for r in failed)
    warned = [rec.getMessage() for rec in caplog.records if "邮件过大" in rec.getMessage()]
    assert warned and all(".docx" in w or ".xlsx" in w for w in warned)
    assert not any(w.startswith("警告：") for w in warned)   # the console adds 警告： once
    with smtp_server() as (server, port):
        bigger = deliver(small_rules, world / "output", round_dir, env=env_for(port))   # default 20 MB
    assert len(bigger.sent) == 4 and len(server.received) == 4
