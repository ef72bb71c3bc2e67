"""Traffic lights on open gaps (CONTRACT §14), on and either side of every line."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import SMALL_RULES, filled, full_marks
from scorecard.rules import parse_rules
from scorecard.scoring.lights import light

AS_OF = dt.date(2026, 12, 31)


@pytest.mark.parametrize("deadline, warn, expected", [
    ("2026-12-30", 3, "红"),          # one day before as_of: overdue
    ("2026-12-31", 3, "黄"),          # on as_of: due today, not yet overdue
    ("2027-01-03", 3, "黄"),          # exactly warn_within days ahead
    ("2027-01-04", 3, "绿"),          # one day more
    ("2027-01-01", 0, "绿"),          # no warning window: only today is 黄
    ("2026-12-31", 0, "黄"),
    ("", 3, "绿"),                    # no 完成时限
])
def test_light_on_and_either_side_of_each_line(deadline, warn, expected):
    assert light(deadline, AS_OF, warn) == expected


def run_round(tmp_path, rules_text, deadline):
    from scorecard.operations.pipeline import run

    rules = parse_rules(rules_text)
    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir(exist_ok=True)
    low = {"自评得分": 3, "完成情况": "推进中", "存在问题": "制度未更新", "整改措施": "修订制度", "责任人": "王强",
           "完成时限": deadline}
    filled(rules, "办公室", rows=full_marks(rules, "办公室", **{"1.1": low})).save(inp / "办公室.xlsx")
    done = run(rules, inp, out, as_of=AS_OF, clock=lambda: dt.datetime(2027, 1, 2, 9), workers=1)
    return json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8")), done


def test_summary_lights_each_open_gap_and_counts_them(tmp_path):
    text = SMALL_RULES + "schedule:\n  submit_by: 2026-12-20\n  warn_within: 5\n"
    summary, _ = run_round(tmp_path, text, dt.date(2027, 1, 4))        # 4 days ahead, inside 5: 黄
    gap = next(g for g in summary["gaps"] if g["kind"] == "低分")
    assert gap["light"] == "黄"
    assert summary["followup"]["submit_by"] == "2026-12-20" and summary["followup"]["warn_within"] == 5
    counted = {k: sum(g.get("light") == k for g in summary["gaps"]) for k in ("红", "黄", "绿")}
    assert summary["followup"]["lights"] == counted and sum(counted.values()) == len(summary["gaps"])
    # 机关党委 and 登记注册科 sent nothing: their 未报送 gaps fall due on resubmit_by, after as_of
    assert {g["light"] for g in summary["gaps"] if g["kind"] == "未报送"} <= {"黄", "绿"}


def test_an_overdue_gap_is_red_and_one_signed_off_has_no_light(tmp_path):
    import openpyxl

    from scorecard.office.gaplist import GAP_SHEET

    summary, done = run_round(tmp_path, SMALL_RULES, dt.date(2026, 12, 1))
    gap = next(g for g in summary["gaps"] if g["kind"] == "低分")
    assert gap["light"] == "红"
    # The office signs it off in 问题清单.xlsx (已销号 with date and verifier): no light on the next run.
    path = done.round_dir / "问题清单.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[GAP_SHEET]
    titles = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, titles.index("问题编号") + 1).value == gap["key"])
    assert ws.cell(row, titles.index("预警") + 1).value == "红"
    for title, value in (("整改状态", "已销号"), ("销号日期", dt.date(2026, 12, 30)), ("核验人", "李明")):
        ws.cell(row, titles.index(title) + 1).value = value
    office = tmp_path / "input" / "问题清单.xlsx"
    wb.save(office)
    from scorecard.operations.pipeline import run
    again = run(parse_rules(SMALL_RULES), tmp_path / "input", tmp_path / "output", as_of=AS_OF,
                clock=lambda: dt.datetime(2027, 1, 3, 9), workers=1)
    summary = json.loads((again.round_dir / "summary.json").read_text(encoding="utf-8"))
    gap = next(g for g in summary["gaps"] if g["key"] == gap["key"])
    assert gap["tracking"]["status"] == "已销号" and "light" not in gap
    assert summary["followup"]["lights"]["红"] == sum(g.get("light") == "红" for g in summary["gaps"])


def test_the_leaders_mail_names_the_red_items_and_whose_they_are(tmp_path):
    from scorecard.mail import messages

    rules = parse_rules(SMALL_RULES)
    _, done = run_round(tmp_path, SMALL_RULES, dt.date(2026, 12, 1))
    leaders = [d for d in messages.plan(rules, done.round_dir) if d.kind == "leaders"]
    # 办公室's row is two gaps (低分, and 逾期: its 完成时限 passed while 推进中); the others are not due yet
    assert leaders and all("超过完成时限仍未销号的问题（红灯）2条，涉及办公室。" in d.text for d in leaders)
    assert all("（红灯）<b>2</b>条，涉及办公室。" in d.html for d in leaders)
