"""rules.yaml `data:` and `computed:` (CONTRACT.md §12): parsed into dataclasses, every misconfiguration
reported at start-up with file, line and key."""
from __future__ import annotations

import pytest

from conftest import ROOT, SMALL_RULES
from scorecard.rules import Computed, DataSource, RulesError, load_rules, parse_rules

DATA = """\
data:
  - name: 学习强国积分
    columns: [姓名, 所属部门, 积分]
    department: 所属部门
  - name: 志愿服务
    columns: [志愿者, 单位, 时长, 编号]
    department: 单位
    person: 志愿者
"""
COMPUTED = ('departments: all}',
            'departments: all, computed: {data: 学习强国积分, value: 积分, target: 8000, method: share}}')


def computed_rules(data: str = DATA, computed: str = COMPUTED[1]) -> str:
    return SMALL_RULES.replace("vetoes:\n", data + "vetoes:\n").replace(COMPUTED[0], computed)


def problems(text):
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return info.value.problems


def line_of(text, needle):
    return [i for i, line in enumerate(text.splitlines(), start=1) if needle in line][-1]


def test_data_and_computed_parse_into_dataclasses():
    rules = parse_rules(computed_rules(), "ok.yaml")
    assert rules.data == (DataSource("学习强国积分", ("姓名", "所属部门", "积分"), "所属部门", ""),
                          DataSource("志愿服务", ("志愿者", "单位", "时长", "编号"), "单位", "志愿者"))
    assert rules.indicator("2.10").computed == Computed("学习强国积分", "积分", 8000.0, "share")
    assert rules.indicator("2.2").computed is None
    assert [i.code for i in rules.computed_indicators] == ["2.10"]
    assert rules.data_source("志愿服务").person == "志愿者"
    assert rules.data_source("无此数据") is None


def test_rules_without_computed_keep_their_fingerprint():
    plain = parse_rules(SMALL_RULES)
    assert parse_rules(SMALL_RULES.replace("vetoes:\n", DATA + "vetoes:\n")).fingerprint == plain.fingerprint
    assert parse_rules(computed_rules()).fingerprint != plain.fingerprint   # the template changes


def test_bundled_rules_compute_2_2():
    rules = load_rules(ROOT / "rules.yaml")
    spec = rules.indicator("2.2").computed
    assert spec is not None and spec.data == "学习强国积分" and spec.method == "share"
    assert rules.data_source("学习强国积分").department in rules.data_source("学习强国积分").columns


C = "computed: {data: 学习强国积分, value: 积分, target: 8000, method: share}"


@pytest.mark.parametrize("data,computed,key,words,needle", [
    # unknown data name, with a did-you-mean
    (DATA, C.replace("data: 学习强国积分", "data: 学习强国积份"), "items[1].indicators[2].computed.data",
     "未在 data 中声明", "学习强国积份"),
    # value column not among the data's columns
    (DATA, C.replace("value: 积分", "value: 分数"), "items[1].indicators[2].computed.value", "不在数据", "分数"),
    # the value column is the department column
    (DATA, C.replace("value: 积分", "value: 所属部门"), "items[1].indicators[2].computed.value", "部门列",
     "value: 所属部门"),
    # target ≤ 0
    (DATA, C.replace("target: 8000", "target: 0"), "items[1].indicators[2].computed.target", "大于 0", "target: 0"),
    (DATA, C.replace("target: 8000", "target: -5"), "items[1].indicators[2].computed.target", "大于 0", "target: -5"),
    (DATA, C.replace("target: 8000", "target: 很多"), "items[1].indicators[2].computed.target", "应为数字",
     "target: 很多"),
    # unknown method
    (DATA, C.replace("method: share", "method: ratio"), "items[1].indicators[2].computed.method", "share",
     "method: ratio"),
    # a key computed does not know
    (DATA, C.replace("method: share", "method: share, weight: 2"), "items[1].indicators[2].computed.weight",
     "未知", "weight: 2"),
    # a required key missing
    (DATA, C.replace(", target: 8000", ""), "items[1].indicators[2].computed.target", "缺少", "method: share"),
    # department column not among columns
    (DATA.replace("department: 所属部门", "department: 部门"), C, "data[0].department", "不在 columns", "department: 部门"),
    # person column not among columns
    (DATA.replace("person: 志愿者", "person: 姓名"), C, "data[1].person", "不在 columns", "person: 姓名"),
    # duplicate data name
    (DATA.replace("name: 志愿服务", "name: 学习强国积分"), C, "data[1].name", "重复", "name: 学习强国积分"),
    # duplicate column, too few columns
    (DATA.replace("[姓名, 所属部门, 积分]", "[姓名, 所属部门, 积分, 积分]"), C, "data[0].columns[3]", "重复",
     "[姓名, 所属部门, 积分, 积分]"),
    (DATA.replace("[志愿者, 单位, 时长, 编号]", "[单位]").replace("    person: 志愿者\n", ""), C, "data[1].columns",
     "至少", "[单位]"),
    # an unknown key in a data entry
    (DATA.replace("    person: 志愿者", "    persons: 志愿者"), C, "data[1].persons", "person", "persons: 志愿者"),
    # data without columns
    (DATA.replace("    columns: [姓名, 所属部门, 积分]\n", ""), C, "data[0].columns", "缺少", "name: 学习强国积分"),
])
def test_each_misconfiguration_names_file_line_and_key(data, computed, key, words, needle):
    text = computed_rules(data, COMPUTED[0].replace("}", ", " + computed + "}"))
    found = problems(text)
    match = [p for p in found if p.key == key]
    assert match, [str(p) for p in found]
    assert words in match[0].message, str(match[0])
    assert match[0].file == "bad.yaml"
    assert match[0].line == line_of(text, needle), str(match[0])


def test_computed_without_any_data_section():
    text = SMALL_RULES.replace(COMPUTED[0], COMPUTED[1])
    found = problems(text)
    assert [p.key for p in found] == ["items[1].indicators[2].computed.data"]
    assert "没有 data" in found[0].message


def test_all_problems_at_once():
    text = computed_rules(DATA.replace("department: 所属部门", "department: 部门"),
                          COMPUTED[0].replace("}", ", computed: {data: 无, value: 积分, target: 0, method: x}}"))
    keys = {p.key for p in problems(text)}
    assert {"data[0].department", "items[1].indicators[2].computed.data",
            "items[1].indicators[2].computed.target", "items[1].indicators[2].computed.method"} <= keys


def test_data_limits_are_configurable():
    rules = parse_rules(SMALL_RULES.replace("vetoes:\n", "limits: {max_data_rows: 50000}\nvetoes:\n"))
    assert rules.limits.max_data_rows == 50000
    assert rules.limits.max_rows == 5000          # the department workbook limit is another one
    assert problems(SMALL_RULES.replace("vetoes:\n", "limits: {max_data_rows: 0}\nvetoes:\n"))[0].key == \
        "limits.max_data_rows"
