"""The small world the e-mail tests share: rules.yaml, three departments' inputs (办公室 accepted
with one gap, 机关党委 rejected, 登记注册科 missing), the output of one run, and helpers to read
what the SMTP server received."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from conftest import SMALL_RULES, filled, full_marks
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules

ROUND = "第一轮"
SENDER = "创建办 <cjb@example.gov.cn>"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLOCK = dt.datetime(2026, 12, 31, 9, 30)
LOW_11 = {"自评得分": 2, "完成情况": "推进中", "存在问题": "领导小组成员未按期调整", "整改措施": "年底前发文调整到位",
          "责任人": "王主任", "完成时限": dt.date(2027, 1, 31)}
LOW_12 = {"自评得分": 3, "完成情况": "推进中", "存在问题": "责任分解不到人", "整改措施": "逐科室签订责任书",
          "责任人": "李科长", "完成时限": dt.date(2027, 2, 28)}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "SMTP_SENDER",
                "SMTP_CAFILE", "SMTP_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """rules.yaml, an input folder (办公室 accepted with one gap, 机关党委 rejected, 登记注册科 missing)
    and the output of one run at CLOCK; each test gets its own copy (`world`)."""
    folder = tmp_path_factory.mktemp("mailworld")
    (folder / "rules.yaml").write_text(SMALL_RULES, encoding="utf-8")
    rules, inp = parse_rules(SMALL_RULES, "small.yaml"), folder / "input"
    inp.mkdir()
    write_office(rules, lambda wb, name, at: wb.save(at / name), inp, LOW_11)
    filled(rules, "机关党委", rows=full_marks(rules, "机关党委", **{"2.2": {"自评得分": 99}})).save(inp / "机关党委.xlsx")
    before = Path.cwd()
    os.chdir(folder)
    try:
        do_run(rules, folder)
    finally:
        os.chdir(before)
    return folder


@pytest.fixture
def world(prepared, tmp_path, monkeypatch):
    # Runs read `input` relative to the world, as an operator does: the reports name input/办公室.xlsx
    # whichever copy of the world a test has.
    shutil.copytree(prepared, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def ran(world) -> Path:
    """The round folder the prepared run wrote (no outbox yet)."""
    return world / "output" / ROUND


def write_office(rules, save, inp, low):
    code = "1.1" if low is LOW_11 else "1.2"
    save(filled(rules, "办公室", rows=full_marks(rules, "办公室", **{code: low})), "办公室.xlsx", inp)


def env_for(port, **extra):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none", "SMTP_SENDER": SENDER,
            **extra}


def do_run(rules, world, clock=CLOCK):
    assert Path.cwd() == world
    return run(rules, Path("input"), Path("output"), clock=lambda: clock)


def by_address(received):
    out = {}
    for r in received:
        for address in r.rcpt_tos:
            out.setdefault(address, []).append(r.message)
    return out


def attachments(msg):
    return {part.get_filename(): part for part in msg.iter_attachments()}


def body(msg, subtype="plain"):
    return msg.get_body(preferencelist=(subtype,)).get_content()
