"""Units mode (CONTRACT §17): rules, per-unit scoring, ranks, groups, and 核定得分 deciding.

The corpus: twelve units in three groups, numbers worked by hand (see UNITS_EXPECTED)."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from conftest import ROOT, filled
from scorecard.rules import RulesError, parse_rules

UNITS_RULES = """\
version: 1
title: 市级文明单位测评
organization: 某市文明办
round: 2026年度
mode: units
pass_score: 85
bonus_cap: 3
units:
  - {name: 市图书馆, aliases: [图书馆], group: 文化系统, email: [tsg@example.gov.cn], head: 王馆长}
  - {name: 市博物馆, group: 文化系统}
  - {name: 市文化馆, group: 文化系统}
  - {name: 市美术馆, group: 文化系统}
  - {name: 市一中, group: 教育系统}
  - {name: 市二中, group: 教育系统}
  - {name: 市三中, group: 教育系统}
  - {name: 市四中, group: 教育系统}
  - {name: 市一院, group: 卫生系统}
  - {name: 市二院, group: 卫生系统}
  - {name: 市三院, group: 卫生系统}
  - {name: 市四院, group: 卫生系统}
items:
  - code: "一"
    name: 组织领导
    indicators:
      - {code: "1.1", name: 创建机构健全, max: 30, method: 材料审核}
      - {code: "1.2", name: 工作制度完善, max: 20, method: 材料审核}
  - code: "二"
    name: 文明服务
    indicators:
      - {code: "2.1", name: 窗口服务规范, max: 30, method: 实地考察}
      - {code: "2.2", name: 志愿服务常态, max: 20, method: 实地考察}
vetoes:
  - {code: V1, name: 发生严重违纪违法案件}
"""


def low(score, **extra):
    return {"自评得分": score, "完成情况": "推进中", "存在问题": "材料不全", "整改措施": "补齐材料",
            "责任人": "王强", "完成时限": dt.date(2027, 3, 31), **extra}


def bonus(points):
    """Claims of `points` in all; over 2 they are split in rows of at most 2.5 (each row within the cap)."""
    rows, left, n = [], points, 1
    while left > 0:
        part = min(left, 2.5)
        rows.append({"特色项目": f"志愿服务品牌{n}", "申报加分": part, "佐证材料": "获奖证书"})
        left, n = left - part, n + 1
    return rows


# unit -> (1.1 score or None for full marks, 申报加分, veto answered 是)
SENT = {
    "市图书馆": (None, 5, False),     # claims 5, cap 3: total 103
    "市博物馆": (20, 0, False),       # 90
    "市文化馆": (None, 0, True),      # 100 but vetoed
    "市一中": (25, 1, False),         # 96
    "市二中": (25, 1, False),         # 96: tied with 市一中
    "市三中": (10, 2, False),         # 82: 3 points short
    "市一院": (28, 0, False),         # 98
    "市二院": (15, 0, False),         # 85 - 10 on 1.2 below: 75
    "市三院": (20, 2, False),         # 92
    "市四院": (24, 0, False),         # 94
}
# 市美术馆 sends only a rejected file; 市四中 sends nothing.

# name -> (score, bonus, total, veto, passed, rank, group_rank, submission)
UNITS_EXPECTED = {
    "市图书馆": (100, 3, 103, False, True, 1, 1, "accepted"),
    "市博物馆": (90, 0, 90, False, True, 8, 3, "accepted"),
    "市文化馆": (100, 0, 100, True, False, 2, 2, "accepted"),
    "市美术馆": (0, 0, 0, False, False, None, None, "returned"),
    "市一中": (95, 1, 96, False, True, 4, 1, "accepted"),
    "市二中": (95, 1, 96, False, True, 4, 1, "accepted"),
    "市三中": (80, 2, 82, False, False, 9, 3, "accepted"),
    "市四中": (0, 0, 0, False, False, None, None, "missing"),
    "市一院": (98, 0, 98, False, True, 3, 1, "accepted"),
    "市二院": (75, 0, 75, False, False, 10, 4, "accepted"),
    "市三院": (90, 2, 92, False, True, 7, 3, "accepted"),
    "市四院": (94, 0, 94, False, True, 6, 2, "accepted"),
}
GROUPS_EXPECTED = {           # name -> (units, passed, mean_total over all its units)
    "文化系统": (4, 2, 73.25),
    "教育系统": (4, 2, 68.5),
    "卫生系统": (4, 3, 89.75),
}


def write_corpus(rules, folder):
    folder.mkdir(parents=True, exist_ok=True)
    full = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": f"{i.name}材料"} for i in rules.indicators}
    for name, (s11, points, veto) in SENT.items():
        rows = {k: dict(v) for k, v in full.items()}
        if s11 is not None:
            rows["1.1"] = low(s11, 佐证材料="部分材料")
        if name == "市二院":
            rows["1.2"] = low(10, 佐证材料="部分材料")
        wb = filled(rules, name, rows=rows,
                    vetoes={"V1": ("是", "班子成员被立案审查") if veto else "否"},
                    bonuses=bonus(points) if points else None)
        wb.save(folder / f"{name}.xlsx")
    rows = {k: dict(v) for k, v in full.items()}
    rows["1.1"] = {"自评得分": 40, "完成情况": "已完成", "佐证材料": "材料"}       # above max 30: rejected
    filled(rules, "市美术馆", rows=rows, vetoes={"V1": "否"}).save(folder / "市美术馆.xlsx")


@pytest.fixture(scope="module")
def units_rules():
    return parse_rules(UNITS_RULES, "units.yaml")


@pytest.fixture(scope="module")
def units_round(units_rules, tmp_path_factory):
    from scorecard.operations.pipeline import run

    base = tmp_path_factory.mktemp("units")
    inp, out = base / "input", base / "output"
    write_corpus(units_rules, inp)
    clock = iter(dt.datetime(2027, 1, 5, 9, m) for m in range(60))
    result = run(units_rules, inp, out, as_of=dt.date(2026, 12, 31), clock=lambda: next(clock), workers=1)
    summary = json.loads((result.round_dir / "summary.json").read_text(encoding="utf-8"))
    return {"rules": units_rules, "input": inp, "output": out, "summary": summary,
            "round_dir": result.round_dir, "again": lambda: run(units_rules, inp, out, as_of=dt.date(2026, 12, 31),
                                                                clock=lambda: next(clock), workers=1)}


# --- rules ---------------------------------------------------------------------------------------

def test_units_mode_rules(units_rules):
    assert units_rules.mode == "units" and units_rules.units_mode
    assert len(units_rules.departments) == 12
    assert units_rules.groups()["教育系统"] == ["市一中", "市二中", "市三中", "市四中"]
    assert all(i.departments == tuple(units_rules.department_names()) for i in units_rules.indicators)
    assert units_rules.department("图书馆").name == "市图书馆"
    assert parse_rules(UNITS_RULES.replace("mode: units\n", "").replace("units:", "departments:").replace(
        ", group: 文化系统", "").replace(", group: 教育系统", "").replace(", group: 卫生系统", "").replace(
        "method: 材料审核}", "method: 材料审核, departments: all}").replace(
        "method: 实地考察}", "method: 实地考察, departments: all}"), "d.yaml").mode == "departments"


def test_departments_on_an_indicator_refused_in_units_mode_with_its_line():
    text = UNITS_RULES.replace('{code: "1.2", name: 工作制度完善, max: 20, method: 材料审核}',
                               '{code: "1.2", name: 工作制度完善, max: 20, departments: [市一中]}')
    with pytest.raises(RulesError) as err:
        parse_rules(text, "u.yaml")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"1.2"' in t)
    [p] = err.value.problems
    assert p.line == line and p.key == "items[0].indicators[1].departments"
    assert "units 模式" in p.message and "departments" in p.message


def test_units_mode_needs_units_and_refuses_departments():
    with pytest.raises(RulesError) as err:
        parse_rules(UNITS_RULES.replace("units:", "departments:"), "u.yaml")
    keys = {p.key for p in err.value.problems}
    assert {"departments", "units"} <= keys
    with pytest.raises(RulesError) as err:
        parse_rules(UNITS_RULES.replace("mode: units", "mode: unit"), "u.yaml")
    assert any(p.key == "mode" for p in err.value.problems)


def test_check_rules_shows_mode_groups_and_indicators(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "rules.yaml"
    path.write_text(UNITS_RULES, encoding="utf-8")
    out = subprocess.run([sys.executable, str(ROOT / "process.py"), "check-rules", "--rules", str(path)],
                         capture_output=True, text=True, encoding="utf-8", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "测评模式：units" in out.stdout and "12 个参评单位，3 个分组" in out.stdout
    assert "窗口服务规范" in out.stdout
    line = next(t for t in out.stdout.splitlines() if t.startswith("教育系统"))
    assert "4" in line and "市一中、市二中、市三中、市四中" in line


def test_unit_name_label_read_like_department_name(units_rules, tmp_path):
    from scorecard.intake import check_file

    wb = filled(units_rules, "市一中")
    ws = wb["基本信息"]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == "部门名称":
                cell.value = "单位名称"
    wb.save(tmp_path / "a.xlsx")
    checked = check_file(tmp_path / "a.xlsx", units_rules)
    assert checked.department == "市一中" and checked.ok, [f.message for f in checked.findings]


# --- scoring -------------------------------------------------------------------------------------

def test_every_unit_scored_by_hand(units_round):
    summary = units_round["summary"]
    assert "unit" not in summary
    got = {u["name"]: (u["score"], u["bonus"], u["total"], u["veto"], u["passed"], u["rank"], u["group_rank"],
                       u["submission"]) for u in summary["units"]}
    assert got == UNITS_EXPECTED
    assert set(summary["units"][0]) >= {"name", "group", "submission", "score", "bonus", "total", "veto", "passed",
                                        "rank", "group_rank"}
    assert {u["name"]: u["group"] for u in summary["units"]}["市二院"] == "卫生系统"


def test_groups_by_hand(units_round):
    got = {g["name"]: (g["units"], g["passed"], g["mean_total"]) for g in units_round["summary"]["groups"]}
    assert got == GROUPS_EXPECTED


def test_gaps_name_the_unit(units_round):
    gaps = units_round["summary"]["gaps"]
    assert {g["department"] for g in gaps if g["indicator"] == "1.1"} >= {"市博物馆", "市三中", "市二院"}
    assert any(g["department"] == "市四中" and g["kind"] == "未报送" for g in gaps), {g["kind"] for g in gaps}
    assert any(g["department"] == "市美术馆" and g["kind"] == "退回" for g in gaps)


def test_rejected_unit_gets_its_returned_copy(units_round):
    assert (units_round["round_dir"] / "退回" / "市美术馆_退回.xlsx").is_file()


# --- documents -----------------------------------------------------------------------------------

def _docx_text(path):
    from docx import Document

    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_result_document_pass_list_and_reasons(units_round):
    text = _docx_text(units_round["round_dir"] / "测评结果汇总.docx")
    assert "12个单位参评，10个单位参加测评，合格7个，不合格5个" in text
    pass_line = next(t for t in text.splitlines() if t.startswith("教育系统"))
    assert "市一中" in pass_line and "市二中" in pass_line and "市三中" not in pass_line
    culture = next(t for t in text.splitlines() if t.startswith("文化系统"))
    assert "市图书馆" in culture and "市文化馆" not in culture
    assert "市文化馆 | 100 | 触发一票否决：V1 发生严重违纪违法案件" in text
    assert "市三中 | 82 | 总分82分，低于合格线85分，差3分" in text
    assert "市四中 | 0 | 未报送" in text and "市美术馆 | 0 | 报送的自评表未通过审核" in text
    assert "1.1 | 创建机构健全" in text          # the weakest indicator across units


def test_feedback_per_unit(units_round):
    folder = units_round["round_dir"] / "单位反馈"
    assert sorted(p.stem for p in folder.glob("*.docx")) == sorted(UNITS_EXPECTED)
    text = _docx_text(folder / "市三中.docx")
    assert "总分82分，测评结论为不合格" in text and "在教育系统4个单位中排名第3" in text
    assert "差3分" in text and "材料不全" in text
    lib = _docx_text(folder / "市图书馆.docx")
    assert "申报5分，按上限3分计" in lib and "合格" in lib and "排名第1" in lib
    assert "未报送" in _docx_text(folder / "市四中.docx")


def test_result_workbook_all_and_group_sheets(units_round):
    import openpyxl

    wb = openpyxl.load_workbook(units_round["round_dir"] / "测评结果.xlsx")
    assert wb.sheetnames == ["全部", "文化系统", "教育系统", "卫生系统"]
    for ws in wb.worksheets:
        assert ws.auto_filter.ref and int(ws.page_setup.paperSize) == 9
    rows = list(wb["教育系统"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[1], r[7], r[9]) for r in rows] == [
        ("市一中", 1, 96, "合格"), ("市二中", 1, 96, "合格"), ("市三中", 3, 82, "不合格"), ("市四中", None, 0, "不合格")]
    assert wb["全部"].max_row == 13


def test_template_one_workbook_per_unit_with_every_indicator(units_rules, tmp_path):
    import openpyxl
    from scorecard.forms.template import write_templates

    paths = write_templates(units_rules, tmp_path)
    assert len(paths) == 12
    ws = openpyxl.load_workbook(paths[0])["自评表"]
    codes = {c for row in ws.iter_rows(values_only=True) for c in row if c in {"1.1", "1.2", "2.1", "2.2"}}
    assert codes == {"1.1", "1.2", "2.1", "2.2"}


# Last: it changes the shared round (the 测评组 lowers a score in 核定表).
def test_verified_score_decides_total_and_ranks(units_round):
    from scorecard.office.read import REVIEW_FILE
    import openpyxl

    path = units_round["round_dir"] / REVIEW_FILE
    wb = openpyxl.load_workbook(path)
    ws = wb["核定表"]
    cols = {c.value: c.column for c in ws[1]}
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, cols["部门"]).value == "市二中"
            and ws.cell(r, cols["指标编号"]).value == "2.1"]
    assert len(rows) == 1, "a 核定 row per (unit, indicator)"
    units_count = {ws.cell(r, cols["部门"]).value for r in range(2, ws.max_row + 1)}
    assert len(units_count) == 12
    ws.cell(rows[0], cols["核定得分"]).value = 20
    ws.cell(rows[0], cols["核定说明"]).value = "实地考察窗口服务不规范"
    ws.cell(rows[0], cols["核定人"]).value = "测评组"
    wb.save(path)
    later = os.path.getmtime(path) + 5
    os.utime(path, (later, later))
    result = units_round["again"]()
    summary = json.loads((result.round_dir / "summary.json").read_text(encoding="utf-8"))
    units = {u["name"]: u for u in summary["units"]}
    assert (units["市二中"]["score"], units["市二中"]["total"], units["市二中"]["passed"]) == (85, 86, True)
    assert (units["市二中"]["rank"], units["市二中"]["group_rank"]) == (8, 2)
    assert (units["市一中"]["rank"], units["市一中"]["group_rank"]) == (4, 1)
    assert (units["市四院"]["rank"], units["市博物馆"]["rank"], units["市三中"]["rank"]) == (5, 7, 9)
    import openpyxl as ox

    rows = list(ox.load_workbook(result.round_dir / "测评结果.xlsx")["教育系统"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[1], r[7]) for r in rows][:2] == [("市一中", 1, 96), ("市二中", 2, 86)]


def test_the_readme_example_runs(tmp_path):
    """The one command of the README's "Assessing many units" runs on examples/units/."""
    import re
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Assessing many units", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"^    \.venv/bin/python (process\.py run .*)$", section, re.M).group(1).split()
    command[command.index("--output") + 1] = str(tmp_path / "out")
    out = subprocess.run([sys.executable, str(ROOT / command[0]), *command[1:]],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out" / "2026年度" / "summary.json").read_text(encoding="utf-8"))
    units = {u["name"]: u for u in summary["units"]}
    assert len(units) == 12 and units["市文化馆"]["veto"] and not units["市文化馆"]["passed"]
    assert units["市图书馆"]["bonus"] == 3 and units["市美术馆"]["submission"] == "returned"
    assert units["市实验小学"]["rank"] is None
    assert units["市第一中学"]["rank"] == units["市第二中学"]["rank"]
    assert (tmp_path / "out" / "2026年度" / "测评结果汇总.docx").is_file()


def test_example_workbooks_are_what_the_generator_writes(tmp_path):
    from scorecard.forms.unit_samples import write_unit_samples
    from scorecard.rules import load_rules

    written = write_unit_samples(load_rules(ROOT / "examples/units/rules.yaml"), tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in (ROOT / "examples/units/input").glob("*.xlsx"))


# --- documents in place of 部门报告 / 汇总报告, and mail ---------------------------------------------

def test_no_department_reports_and_no_combined_summary_report(units_round):
    rd = units_round["round_dir"]
    assert not (rd / "汇总报告.docx").exists() and not (rd / "部门报告").exists()
    assert {p.stem for p in (rd / "单位反馈").glob("*.docx")} == set(UNITS_EXPECTED)
    assert (rd / "测评结果汇总.docx").is_file() and (rd / "测评结果.xlsx").is_file()


def mailed_units_rules():
    """UNITS_RULES with an address for every unit and a leader."""
    text = UNITS_RULES.replace("email: [tsg@example.gov.cn], ", "")
    for k, name in enumerate(UNITS_EXPECTED):
        text = text.replace(f"{{name: {name}, ", f"{{name: {name}, email: [u{k}@example.gov.cn], ", 1)
    text = text.replace("items:\n", "leaders:\n  - {name: 主任, email: [zr@example.gov.cn]}\nitems:\n", 1)
    rules = parse_rules(text, "units.yaml")
    assert all(d.email for d in rules.departments)
    return rules


def test_each_unit_is_mailed_its_own_verdict_and_the_leaders_the_result(tmp_path):
    from mailserver import smtp_server
    from mailworld import attachments, body, by_address, env_for
    from scorecard.mail.delivery import deliver
    from scorecard.operations.pipeline import run

    rules = mailed_units_rules()
    inp, out = tmp_path / "input", tmp_path / "output"
    write_corpus(rules, inp)
    clock = iter(dt.datetime(2027, 1, 5, 9, m) for m in range(60))
    rd = run(rules, inp, out, as_of=dt.date(2026, 12, 31), clock=lambda: next(clock), workers=1).round_dir
    address = {name: f"u{k}@example.gov.cn" for k, name in enumerate(UNITS_EXPECTED)}
    with smtp_server() as (server, port):
        done = deliver(rules, out, rd, env=env_for(port))
        got = by_address(server.received)
        assert len(done.sent) == 13 and not done.failed
        assert all(len(messages) == 1 for messages in got.values())
        for name, (score, bonus_, total, veto, passed, rank, group_rank, submission) in UNITS_EXPECTED.items():
            msg = got[address[name]][0]
            text = body(msg)
            if submission == "accepted":
                assert msg["Subject"] == f"【某市文明办】2026年度测评结果反馈（{name}）"
                files = attachments(msg)
                assert files[f"{name}.docx"].get_content() == (rd / "单位反馈" / f"{name}.docx").read_bytes()
                assert f"总分{total:g}分" in text and ("测评结论为合格" if passed else "测评结论为不合格") in text
                assert f"全部10个参评单位中排名第{rank}" in text and f"排名第{group_rank}，" in text
                assert "部门" not in text and "创建办" not in text
            elif submission == "returned":
                assert "退回修改通知" in msg["Subject"] and "你单位暂按 0 分计，不参加排名" in text
            else:
                assert "请报送" in msg["Subject"] and "尚未收到你单位" in text
        assert "申报5分，按上限3分计" in body(got[address["市图书馆"]][0])
        assert "未通过原因：触发一票否决：V1 发生严重违纪违法案件。" in body(got[address["市文化馆"]][0])
        assert "差3分" in body(got[address["市三中"]][0])
        leaders = got["zr@example.gov.cn"][0]
        assert set(attachments(leaders)) >= {"测评结果汇总.docx", "测评结果.xlsx", "问题清单.xlsx"}
        assert "汇总报告.docx" not in attachments(leaders)
        text = body(leaders)
        assert "本轮参评单位10个" in text and "另有2个单位未报送或报送未通过审核" in text
        assert "测评合格7个，不合格3个（其中一票否决1个）" in text
        assert "卫生系统：4个单位，合格3个，平均总分89.75分" in text
        assert "触发一票否决的单位：市文化馆" in text
        # The same round run again: nothing new to send.
        run(rules, inp, out, as_of=dt.date(2026, 12, 31), clock=lambda: next(clock), workers=1)
        again = deliver(rules, out, rd, env=env_for(port))
        assert not again.sent and len(server.received) == 13


def test_a_changed_rerun_renders_again_only_the_feedback_that_changed(units_rules, tmp_path):
    from scorecard.operations.pipeline import run

    inp, out = tmp_path / "input", tmp_path / "output"
    write_corpus(units_rules, inp)
    clock = iter(dt.datetime(2027, 1, 5, 9, m) for m in range(60))
    rd = run(units_rules, inp, out, as_of=dt.date(2026, 12, 31), clock=lambda: next(clock), workers=1).round_dir
    before = {p.stem: p.stat().st_ino for p in (rd / "单位反馈").glob("*.docx")}
    # 市四院 94 -> 93: still 6th overall and 2nd in its group, so no other unit's document changes.
    full = {i.code: {"自评得分": i.max, "完成情况": "已完成", "佐证材料": f"{i.name}材料"} for i in units_rules.indicators}
    full["1.1"] = low(23, 佐证材料="部分材料")
    filled(units_rules, "市四院", rows=full, vetoes={"V1": "否"}).save(inp / "市四院.xlsx")
    rd = run(units_rules, inp, out, as_of=dt.date(2026, 12, 31), clock=lambda: next(clock), workers=1).round_dir
    after = {p.stem: p.stat().st_ino for p in (rd / "单位反馈").glob("*.docx")}
    assert set(after) == set(before)
    assert [name for name in before if after[name] != before[name]] == ["市四院"]
    import docx
    text = "\n".join(p.text for p in docx.Document(rd / "单位反馈" / "市四院.docx").paragraphs)
    assert "总分93分" in text and "全部单位中排名第6" in text


def test_feedback_rendered_in_worker_processes_is_the_same(units_rules, tmp_path, monkeypatch):
    """Over the pool threshold the 单位反馈 render in worker processes: the same documents."""
    import docx

    from scorecard.operations.pipeline import run
    from scorecard.reports import write

    write_corpus(units_rules, tmp_path / "input")

    def feedback(out, workers):
        clock = iter(dt.datetime(2027, 1, 5, 9, m) for m in range(60))
        rd = run(units_rules, tmp_path / "input", tmp_path / out, as_of=dt.date(2026, 12, 31),
                 clock=lambda: next(clock), workers=workers).round_dir
        return {p.stem: [x.text for x in docx.Document(p).paragraphs]
                for p in sorted((rd / "单位反馈").glob("*.docx"))}
    here = feedback("here", 1)
    monkeypatch.setattr(write, "PARALLEL_FROM", 1)
    monkeypatch.setattr(write, "SPAWN_PARALLEL_FROM", 1)
    assert feedback("pool", 2) == here and len(here) == 12


def test_an_unchanged_rerun_reports_from_the_summary_file(units_round, capsys):
    """The rerun that changes nothing reads summary.json back (it has no `unit` in units mode)
    and prints the units' verdicts, as the first run did."""
    from scorecard import cli

    base = units_round["output"].parent
    rules = base / "rules.yaml"
    rules.write_text(UNITS_RULES, encoding="utf-8")
    args = ["run", "--rules", str(rules), "--input", str(units_round["input"]), "--output", str(base / "cli")]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    out = capsys.readouterr()
    assert "未重新处理" in out.out + out.err and "参评单位：12 个，参加测评 10 个，合格 7 个" in out.out + out.err


def test_each_units_document_numbers_its_pages_once(units_round):
    """The footer holds one page number (— 1 —), not two."""
    import zipfile

    for path in [units_round["round_dir"] / "测评结果汇总.docx", *(units_round["round_dir"] / "单位反馈").glob("*.docx")]:
        with zipfile.ZipFile(path) as z:
            for name in (n for n in z.namelist() if n.startswith("word/footer")):
                assert z.read(name).decode("utf-8").count(" PAGE ") == 1, (path.name, name)
