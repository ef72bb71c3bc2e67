"""Shared fixtures: a small hand-checkable rules file, the bundled rules, and workbook builders."""
from __future__ import annotations

import datetime as dt
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorecard.forms.template import build_template  # noqa: E402
from scorecard.rules import load_rules, parse_rules  # noqa: E402
from scorecard.forms.samples import fill_workbook  # noqa: E402

# Small enough to compute every score by hand: 2 items, 5 indicators (20 points), 3 departments.
SMALL_RULES = """\
version: 1
title: 测试测评
organization: 测试局
round: 第一轮
as_of: 2026-12-31
pass_score: 15
bonus_cap: 3
gap: {ratio: 0.9, severe_ratio: 0.6}
statuses: [已完成, 推进中, 未开始]
departments:
  - name: 办公室
    aliases: [局办公室, 综合办]
    email: [bgs@example.gov.cn]
  - name: 机关党委
    aliases: [党委办]
    email: [dw@example.gov.cn]
  - name: 登记注册科
    email: [djk@example.gov.cn]
leaders:
  - name: 局长
    email: [jz@example.gov.cn]
items:
  - code: "一"
    name: 领导班子建设
    indicators:
      - {code: "1.1", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, departments: [办公室, 机关党委]}
      - {code: "1.2", name: 责任分解, max: 6, method: 听取汇报, criteria: 分解到人, departments: [办公室, 机关党委], combine: mean}
  - code: "二"
    name: 窗口服务
    indicators:
      - {code: "2.1", name: 登记窗口, max: 5, method: 实地考察, criteria: 文明窗口, departments: [登记注册科, 办公室], combine: lead}
      - {code: "2.2", name: 宣传阵地, max: 3, method: 网络媒体调查, criteria: 公众号更新, departments: [机关党委], evidence: optional}
      - {code: "2.10", name: 全员参与, max: 2, method: 问卷调查, criteria: 人人参与, departments: all}
vetoes:
  - {code: V1, name: 严重违纪违法}
  - {code: V2, name: 重大安全事故}
"""


@pytest.fixture
def small_rules():
    return parse_rules(SMALL_RULES, "small.yaml")


@pytest.fixture(scope="session")
def bundled_rules():
    return load_rules(ROOT / "rules.yaml")


def full_marks(rules, department, **overrides):
    """Rows giving full marks on every indicator of the department, with evidence."""
    rows = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": f"{i.name}材料"}
            for i in rules.indicators_of(department)}
    for code, values in overrides.items():
        rows.setdefault(code, {}).update(values)
    return rows


def filled(rules, department, *, rows=None, info=None, vetoes=None, bonuses=None):
    """A department's template filled in properly (full marks unless rows say otherwise)."""
    wb = build_template(rules, department, today=dt.date(2026, 12, 1))
    base_info = {"部门名称": department, "填报人": "张敏", "联系电话": "12345678", "填报日期": dt.date(2026, 12, 20)}
    fill_workbook(wb, info={**base_info, **(info or {})}, rows=rows or full_marks(rules, department),
                  vetoes=vetoes, bonuses=bonuses)
    return wb


@pytest.fixture
def save(tmp_path):
    def _save(wb, name="book.xlsx", folder=None):
        target = (folder or tmp_path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        wb.save(target)
        return target
    return _save


@pytest.fixture
def site(small_rules, tmp_path):
    """A place to run the command line on: rules.yaml, input/ with one filled workbook, out/."""
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES, encoding="utf-8")
    inp, out = tmp_path / "input", tmp_path / "out"
    inp.mkdir()
    filled(small_rules, "办公室").save(inp / "a.xlsx")
    args = ["--rules", str(rules_file), "--input", str(inp), "--output", str(out)]
    return {"rules": rules_file, "inp": inp, "out": out, "args": args}


@contextmanager
def lock_held_elsewhere(output_dir: Path):
    """The run lock of output_dir held by another thread (as by a running process) inside the block.
    Yields the event that releases it early."""
    from scorecard.base.fsutil import run_lock

    held, release = threading.Event(), threading.Event()

    def hold():
        with run_lock(output_dir):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    try:
        yield release
    finally:
        release.set()
        t.join()
