"""rules.yaml: loading, every schema check with file, line and key, and the bundled rules."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, SMALL_RULES
from scorecard import rules as R
from scorecard.rules import RulesError, parse_rules


def problems(text):
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return info.value.problems


def line_of(text, needle):
    """The last line containing needle (a duplicate is reported where it appears again)."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if needle in line][-1]


def test_small_rules_load(small_rules):
    assert [i.code for i in small_rules.indicators] == ["1.1", "1.2", "2.1", "2.2", "2.10"]
    assert small_rules.total_max == 20
    assert small_rules.indicator("2.10").departments == ("办公室", "机关党委", "登记注册科")   # `all`
    assert small_rules.indicator("1.2").combine == "mean"
    assert small_rules.indicator("2.2").evidence_required is False
    assert small_rules.department(" 局 办公室 ").name == "办公室"
    assert small_rules.department("综合办").name == "办公室"
    assert small_rules.department("财务科") is None


@pytest.mark.parametrize("old,new,key,words", [
    ("pass_score: 15", "pass_scor: 15", "pass_scor", "pass_score"),                       # did-you-mean
    ("    name: 领导班子建设", "    name: 领导班子建设\n    weight: 3", "items[0].weight", "未知"),
    ('code: "1.2"', 'code: "1.1"', "items[0].indicators[1].code", "重复"),
    ("departments: [机关党委], evidence", "departments: [财务科], evidence", "items[1].indicators[1].departments[0]", "未在"),
    ("max: 6", "max: 0", "items[0].indicators[1].max", "大于 0"),
    ("max: 5", "max: -2", "items[1].indicators[0].max", "大于 0"),
    ("pass_score: 15", "pass_score: 24", "pass_score", "高于"),
    ("aliases: [党委办]", "aliases: [局办公室]", "departments[1].aliases[0]", "重复"),
    ("combine: mean", "combine: average", "items[0].indicators[1].combine", "mean"),
    ("method: 听取汇报", "method: 开会", "items[0].indicators[1].method", "测评方法"),
    ("  - {code: V2, name: 重大安全事故}", "  - {code: V1, name: 重大安全事故}", "vetoes[1].code", "重复"),
    ("as_of: 2026-12-31", "as_of: 年底", "as_of", "日期"),
    ("version: 1", "version: 2", "version", "版本"),
])
def test_each_problem_names_line_and_key(old, new, key, words):
    text = SMALL_RULES.replace(old, new)
    assert text != SMALL_RULES
    found = problems(text)
    match = [p for p in found if p.key == key]
    assert match, [str(p) for p in found]
    assert words in match[0].message
    assert match[0].file == "bad.yaml"
    first_line = new.splitlines()[-1].strip()
    assert match[0].line == line_of(text, first_line), str(match[0])


def test_duplicate_yaml_key_and_several_problems_at_once():
    text = SMALL_RULES.replace("title: 测试测评", "title: 测试测评\ntitle: 又一个").replace("max: 6", "max: 0")
    found = problems(text)
    keys = {p.key for p in found}
    assert {"title", "items[0].indicators[1].max"} <= keys


def test_yaml_syntax_error_has_a_line():
    found = problems(SMALL_RULES.replace("pass_score: 15", "pass_score: [15"))
    assert found[0].line is not None and "YAML" in found[0].message


def test_missing_required_and_password_refused():
    text = SMALL_RULES.replace("pass_score: 15\n", "") + "mail:\n  host: smtp.example.gov.cn\n  password: secret\n"
    keys = {p.key for p in problems(text)}
    assert {"pass_score", "mail.password"} <= keys
    assert parse_rules(SMALL_RULES.replace("title: 测试测评\n", "")).title == "自评测评"     # optional


def test_bundled_rules_match_the_campaign(bundled_rules):
    r = bundled_rules
    assert len(r.items) == 6 and len(r.indicators) == 27 and r.total_max == 100
    assert r.pass_score == 90 and r.bonus_cap == 10
    assert len(r.departments) >= 8 and len(r.vetoes) >= 3 and r.leaders
    assert all(i.criteria and i.departments for i in r.indicators)
    assert all(d.email and d.aliases for d in r.departments)
    assert all(e.endswith("@example.gov.cn") for d in r.departments for e in d.email)


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "process.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


def test_check_rules_cli(tmp_path):
    good = cli("check-rules")
    assert good.returncode == 0, good.stderr
    assert "1.1" in good.stdout and "27 项指标" in good.stdout
    bad = tmp_path / "rules.yaml"
    bad.write_text(SMALL_RULES.replace("pass_score: 15", "pass_scor: 15"), encoding="utf-8")
    p = cli("check-rules", "--rules", str(bad))
    assert p.returncode == 1
    assert f"{bad}:{line_of(bad.read_text(encoding='utf-8'), 'pass_scor')}: pass_scor" in p.stderr
    assert "pass_score" in p.stderr          # the hint
    missing = cli("check-rules", "--rules", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "找不到" in missing.stderr


def test_every_problem_is_reported_at_once():
    """An indicator without departments is reported even when other sections have problems too."""
    text = (SMALL_RULES.replace("departments: [机关党委], evidence", "departments: [], evidence")
            .replace("pass_score: 15", "pass_score: 15\nbonus_cap: -1").replace("bonus_cap: 3\n", "")
            .replace("[bgs@example.gov.cn]", "[bgs@example]"))
    found = {(p.key, p.message[:6]) for p in problems(text)}
    keys = {k for k, _ in found}
    assert "items[1].indicators[1].departments" in keys       # 至少指定一个责任部门
    assert "bonus_cap" in keys
    assert "departments[0].email[0]" in keys


@pytest.mark.parametrize("address,ok", [
    ("bgs@example.gov.cn", True), ("a.b-c@x.cn", True), ("bgs@example", False), ("@example.cn", False),
    ("a b@example.cn", False), ("a@@example.cn", False), ("bgs.example.cn", False)])
def test_addresses_are_checked_the_same_way_for_departments_and_leaders(address, ok):
    for old in ("[bgs@example.gov.cn]", "[jz@example.gov.cn]"):
        text = SMALL_RULES.replace(old, f"['{address}']")
        if ok:
            parse_rules(text, "ok.yaml")
        else:
            assert any("不是有效的电子邮箱地址" in p.message for p in problems(text)), (old, address)


def test_head_and_resubmit_days():
    text = SMALL_RULES.replace("    email: [bgs@example.gov.cn]", "    email: [bgs@example.gov.cn]\n    head: 张主任")
    rules = parse_rules(text + "resubmit_days: 5\n", "ok.yaml")
    assert rules.departments[0].head == "张主任" and rules.departments[1].head == ""
    assert rules.resubmit_days == 5 and parse_rules(SMALL_RULES).resubmit_days == 3
    assert [p.key for p in problems(SMALL_RULES + "resubmit_days: 1.5\n")] == ["resubmit_days"]


# ---------------------------------------------------------------- issue 17: Tabs, the holiday calendar

def test_a_tab_is_explained_in_chinese():
    from conftest import SMALL_RULES
    text = SMALL_RULES.replace("\npass_score:", "\n\tpass_score:", 1)
    with pytest.raises(R.RulesError) as info:
        R.parse_rules(text, "tab.yaml")
    message = str(info.value)
    assert "Tab" in message and "空格" in message and "第" in message, message


def test_resubmit_by_skips_chinese_holidays_and_counts_adjusted_workdays():
    import datetime as dt
    from scorecard.base.text import add_working_days

    # 2025-12-31 (Wednesday) + 3 working days: 元旦 2026-01-01..03 off, 01-04 (Sunday) a 调休 working day.
    assert add_working_days(dt.date(2025, 12, 31), 3) == dt.date(2026, 1, 6)
    # 清明 2026: 04-04..06 off (Monday 04-06 too): Friday 04-03 + 1 = Tuesday 04-07.
    assert add_working_days(dt.date(2026, 4, 3), 1) == dt.date(2026, 4, 7)
    # A year the calendar does not know: rules.yaml's own lists.
    assert add_working_days(dt.date(2027, 12, 31), 1) == dt.date(2028, 1, 3)
    assert add_working_days(dt.date(2027, 12, 31), 1, holidays=(dt.date(2028, 1, 3),)) == dt.date(2028, 1, 4)
    assert add_working_days(dt.date(2027, 12, 31), 1, workdays=(dt.date(2028, 1, 1),)) == dt.date(2028, 1, 1)


def test_holidays_and_workdays_in_rules():
    import datetime as dt
    from conftest import SMALL_RULES

    rules = R.parse_rules(SMALL_RULES + "holidays: [2027-10-08, 2027-10-09]\nworkdays: ['2027-09-26']\n", "h.yaml")
    assert rules.holidays == (dt.date(2027, 10, 8), dt.date(2027, 10, 9)) and rules.workdays == (dt.date(2027, 9, 26),)
    with pytest.raises(R.RulesError) as info:
        R.parse_rules(SMALL_RULES + "holidays: [国庆]\n", "h.yaml")
    assert "holidays" in str(info.value) and "国庆" in str(info.value)


def test_a_date_that_does_not_exist_is_a_problem_on_its_line_not_a_crash():
    text = SMALL_RULES.replace("as_of: 2026-12-31", "as_of: 2026-13-01") + "holidays: [2027-10-08, 2027-02-30]\n"
    found = problems(text)
    assert {(p.key, p.line) for p in found} == {("as_of", line_of(text, "as_of:")),
                                                ("holidays[1]", line_of(text, "holidays:"))}
    assert [p.message for p in found] == ["“2026-13-01”不是有效日期，应写作 2026-12-31",
                                          "“2027-02-30”不是有效日期，应写作 2027-01-01"]
