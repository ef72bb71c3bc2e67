"""Data workbooks and computed scores (CONTRACT.md §12), every number computed by hand.

Rules: SMALL_RULES with indicator 2.10 (max 2, departments all = 办公室, 机关党委, 登记注册科)
computed from 学习强国积分 with target 8000. The export below has a title row and an export-time
row above its header, a 序号 column, an alias (局办公室, 党委办), an unknown department (财务科),
a non-number (abc), a value typed as text with a thousands separator, and a totals row:

    办公室:   9000, 8000 (as "8,000", typed 局办公室), 4000, abc (skipped)  -> n 3, meeting 2, sum 21000
    机关党委: 3000 (党委办), 2000 ("2000分")                              -> n 2, meeting 0, sum 5000
    登记注册科: no rows                                                  -> 0, data.no_rows
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL_RULES
from scorecard.intake import datasets
from scorecard.forms.template import build_template
from scorecard.rules import parse_rules

DATA = "data:\n  - {name: 学习强国积分, columns: [姓名, 所属部门, 积分], department: 所属部门}\n"
PLAIN = "departments: all}"


def rules_with(method="share", target=8000, data=DATA):
    computed = f"departments: all, computed: {{data: 学习强国积分, value: 积分, target: {target}, method: {method}}}}}"
    return parse_rules(SMALL_RULES.replace("vetoes:\n", data + "vetoes:\n").replace(PLAIN, computed), "t.yaml")


ROWS = [("张三", "办公室", 9000), ("李四", "局办公室", "8,000"), ("王五", "办公室", 4000), ("赵六", "办公室", "abc"),
        ("钱七", "党委办", 3000), ("孙八", "机关党委", "2000分"), ("周九", "财务科", 100)]


def export(path: Path, rows=ROWS, *, title=True, sheet="积分排名", mtime=None) -> Path:
    """A platform-style export: title rows above the header, a 序号 column, a totals row at the end."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(["“学习强国”学习积分排名（2026年12月）"])
        ws.merge_cells("A1:E1")
        ws.append(["导出时间：2026-12-31 18:00"])
    ws.append(["序号", "姓名", "所属部门", "积分", "本月新增"])
    for i, (name, dept, points) in enumerate(rows, start=1):
        ws.append([i, name, dept, points, 10])
    ws.append([None, "合计", None, 26000])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def by_dept(computation):
    return {s.department: s for s in computation.scores}


def test_recognised_by_columns_with_title_rows_any_sheet_name(tmp_path):
    rules = rules_with()
    f = datasets.recognise(export(tmp_path / "随便叫什么.xlsx"), rules, label="input/随便叫什么.xlsx")
    assert f is not None and f.names == ["学习强国积分"] and f.status == "data"
    table = f.tables[0]
    assert (table.sheet, table.header_row) == ("积分排名", 3)
    # 5 rows count: the unknown department and the non-number are skipped, the totals row is not a person
    assert [r.person for r in table.rows] == ["张三", "李四", "王五", "钱七", "孙八"]
    assert [r.department for r in table.rows] == ["办公室"] * 3 + ["机关党委"] * 2     # aliases matched
    assert [r.values["积分"] for r in table.rows] == [9000, 8000, 4000, 3000, 2000]


def test_bad_rows_are_findings_with_cells_and_never_reject_the_file(tmp_path):
    f = datasets.recognise(export(tmp_path / "x.xlsx"), rules_with(), label="input/x.xlsx")
    found = [(x.rule, x.severity, x.sheet, x.cell, x.value) for x in f.findings]
    assert found == [("data.not_number", "error", "积分排名", "D7", "abc"),
                     ("data.unknown_department", "error", "积分排名", "C10", "财务科")]
    assert all(x.file == "input/x.xlsx" for x in f.findings)
    assert "财务科" in f.findings[1].message and "aliases" in f.findings[1].message
    assert f.status == "data" and f.row_count() == 5 and f.names == ["学习强国积分"] and not f.ok


def test_share_by_hand(tmp_path):
    c = datasets.compute(rules_with("share"), [datasets.recognise(export(tmp_path / "x.xlsx"), rules_with("share"))])
    s = by_dept(c)
    # 办公室: 2 of 3 reach 8000 -> 2 × 2/3
    assert (s["办公室"].rows, s["办公室"].meeting) == (3, 2)
    assert s["办公室"].value == pytest.approx(2 / 3) and s["办公室"].score == pytest.approx(4 / 3)
    assert s["办公室"].mean == pytest.approx(7000) and s["办公室"].total == 21000
    assert [(p.name, p.value, p.cell) for p in s["办公室"].below] == [("王五", 4000, "D6")]
    # 机关党委: nobody reaches it
    assert (s["机关党委"].rows, s["机关党委"].meeting, s["机关党委"].score) == (2, 0, 0)
    assert [p.name for p in s["机关党委"].below] == ["钱七", "孙八"]
    # 登记注册科: no rows -> 0 and a warning for the office
    assert (s["登记注册科"].rows, s["登记注册科"].value, s["登记注册科"].score) == (0, None, 0)
    assert [(x.rule, x.severity) for x in c.findings] == [("data.no_rows", "warning")]
    assert "登记注册科" in c.findings[0].message and "2.10" in c.findings[0].message
    assert c.missing == ()


def test_mean_by_hand(tmp_path):
    rules = rules_with("mean")
    s = by_dept(datasets.compute(rules, [datasets.recognise(export(tmp_path / "x.xlsx"), rules)]))
    assert s["办公室"].value == pytest.approx(7000)
    assert s["办公室"].score == pytest.approx(2 * 7000 / 8000)          # 1.75
    assert s["机关党委"].score == pytest.approx(2 * 2500 / 8000)        # 0.625
    assert s["登记注册科"].score == 0


def test_mean_is_capped_at_max(tmp_path):
    rules = rules_with("mean", target=5000)
    s = by_dept(datasets.compute(rules, [datasets.recognise(export(tmp_path / "x.xlsx"), rules)]))
    assert s["办公室"].score == 2                                       # 7000 / 5000 > 1
    assert s["机关党委"].score == pytest.approx(2 * 2500 / 5000)        # 1.0


def test_sum_by_hand(tmp_path):
    rules = rules_with("sum", target=10000)
    s = by_dept(datasets.compute(rules, [datasets.recognise(export(tmp_path / "x.xlsx"), rules)]))
    assert s["办公室"].value == 21000 and s["办公室"].score == 2         # capped
    assert s["机关党委"].value == 5000 and s["机关党委"].score == pytest.approx(1.0)   # 2 × 5000/10000
    assert s["机关党委"].below == ()                                    # a sum has no per-person target


def test_two_exports_add_up(tmp_path):
    rules = rules_with("share")
    a = datasets.recognise(export(tmp_path / "11月.xlsx", ROWS[:3]), rules)
    b = datasets.recognise(export(tmp_path / "支部" / "12月.xlsx", [("吴十", "办公室", 8500), ("郑一", "登记注册科", 7999)]), rules)
    c = datasets.compute(rules, [a, b])
    s = by_dept(c)
    assert (s["办公室"].rows, s["办公室"].meeting) == (4, 3)            # 9000, 8000, 4000 + 8500
    assert s["办公室"].score == pytest.approx(2 * 3 / 4)
    assert (s["登记注册科"].rows, s["登记注册科"].meeting, s["登记注册科"].score) == (1, 0, 0)
    assert s["机关党委"].rows == 0
    assert set(s["办公室"].files) == {a.file, b.file}


def test_a_newer_file_of_the_same_name_replaces_the_older(tmp_path):
    rules = rules_with("share")
    old = datasets.recognise(export(tmp_path / "一月" / "积分.xlsx", ROWS, mtime=1_000_000), rules, label="一月/积分.xlsx")
    new = datasets.recognise(export(tmp_path / "二月" / "积分.xlsx", [("张三", "办公室", 100)], mtime=2_000_000),
                             rules, label="二月/积分.xlsx")
    c = datasets.compute(rules, [new, old])            # order of discovery does not matter
    s = by_dept(c)
    assert (s["办公室"].rows, s["办公室"].meeting, s["办公室"].score) == (1, 0, 0)
    assert s["机关党委"].rows == 0
    assert old.replaced_by == "二月/积分.xlsx" and new.replaced_by is None
    assert old.findings[-1].rule == "data.replaced" and "二月/积分.xlsx" in old.findings[-1].message
    assert old.status == "data"


def test_no_export_at_all_means_pending_and_a_warning():
    c = datasets.compute(rules_with(), [])
    assert c.scores == [] and c.missing == ("2.10",)
    assert [(x.rule, x.severity) for x in c.findings] == [("data.missing", "warning")]
    assert "学习强国积分" in c.findings[0].message and "待数据" in c.findings[0].message


def test_header_must_be_within_the_first_ten_rows(tmp_path):
    rules = rules_with()
    path = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(10):
        ws.append(["说明"])
    ws.append(["姓名", "所属部门", "积分"])
    ws.append(["张三", "办公室", 9000])
    wb.save(path)
    assert datasets.recognise(path, rules) is None


def test_department_workbooks_and_other_files_are_not_data(tmp_path, small_rules):
    rules = rules_with()
    wb = build_template(rules, "办公室")
    wb.save(tmp_path / "办公室.xlsx")
    assert datasets.recognise(tmp_path / "办公室.xlsx", rules) is None
    (tmp_path / "x.csv").write_text("姓名,所属部门,积分\n", encoding="utf-8")
    assert datasets.recognise(tmp_path / "x.csv", rules) is None
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    assert datasets.recognise(tmp_path / "broken.xlsx", rules) is None
    # rules without data: nothing is ever data
    assert datasets.recognise(export(tmp_path / "y.xlsx"), small_rules) is None


def test_blank_cells_are_findings_too(tmp_path):
    rules = rules_with()
    f = datasets.recognise(export(tmp_path / "x.xlsx", [("张三", "", 9000), ("李四", "办公室", None)]), rules)
    assert [(x.rule, x.cell) for x in f.findings] == [("data.unknown_department", "C4"), ("data.not_number", "D5")]
    assert "为空" in f.findings[0].message and "为空" in f.findings[1].message


def test_only_a_header_is_a_warning(tmp_path):
    f = datasets.recognise(export(tmp_path / "x.xlsx", []), rules_with())
    assert [(x.rule, x.severity) for x in f.findings] == [("data.no_rows", "warning")]


def test_person_column_and_value_spelling(tmp_path):
    data = ("data:\n  - {name: 学习强国积分, columns: [工号, 姓 名, 所属部门, 积分], department: 所属部门, person: 姓名}\n")
    rules = rules_with(data=data)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工号", "姓名", "所属\n部门", "积分（分）"])          # titles normalised as everywhere
    ws.append(["A01", "张三", "办公室", "９０００"])
    ws.append(["A02", "李四", "办公室", 100])
    wb.save(tmp_path / "x.xlsx")
    s = by_dept(datasets.compute(rules, [datasets.recognise(tmp_path / "x.xlsx", rules)]))
    assert s["办公室"].meeting == 1 and [p.name for p in s["办公室"].below] == ["李四"]


def test_basis_in_words(tmp_path):
    rules = rules_with("share")
    s = by_dept(datasets.compute(rules, [datasets.recognise(export(tmp_path / "x.xlsx"), rules)]))
    assert datasets.basis(s["办公室"]).startswith("3 人中 2 人达到 8,000 分，人均 7,000 分")
    assert datasets.problem_text(s["办公室"]).endswith("未达到 8,000 分：王五（4,000分）共 1 人")
    assert "没有本部门的记录" in datasets.basis(s["登记注册科"])


def test_template_shows_a_computed_row_locked_with_its_basis():
    rules = rules_with("share")
    ws = build_template(rules, "办公室")["自评表"]
    header = {c.value: c.column for c in ws[1]}
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=header["指标编号"]).value == "2.10")
    assert ws.cell(row=row, column=header["自评得分"]).protection.locked
    assert ws.cell(row=row, column=header["完成情况"]).protection.locked
    basis = ws.cell(row=row, column=header["佐证材料"]).value
    assert "由数据计算" in basis and "学习强国积分" in basis and "8000" in basis
    other = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=header["指标编号"]).value == "1.1")
    assert not ws.cell(row=other, column=header["自评得分"]).protection.locked


def test_large_export_through_the_real_reader(tmp_path):
    """30,000 rows: read, matched and scored correctly; the time is printed, not asserted."""
    rules = rules_with("share")
    depts = ["办公室", "局办公室", "机关党委", "登记注册科"]
    rows = [(f"人员{i}", depts[i % 4], 8000 + (i % 3) - 1) for i in range(30_000)]   # 7999, 8000, 8001
    path = export(tmp_path / "大.xlsx", rows)
    start = time.perf_counter()
    f = datasets.recognise(path, rules)
    c = datasets.compute(rules, [f])
    elapsed = time.perf_counter() - start
    print(f"\n30,000-row export read and scored in {elapsed:.2f} s")
    s = by_dept(c)
    assert f.row_count() == 30_000 and f.findings == []
    assert s["办公室"].rows == 15_000 and s["机关党委"].rows == 7_500
    # i ≡ 0 (mod 3) is 7999: a third of each department misses the target
    assert s["办公室"].meeting == sum(1 for i in range(30_000) if i % 4 in (0, 1) and i % 3 != 0)
    assert s["机关党委"].score == pytest.approx(2 * sum(1 for i in range(2, 30_000, 4) if i % 3 != 0) / 7_500)


# ---------------------------------------------------------------------------------------------
# End to end through scorecard.operations.pipeline.run
#
# 2.10 combines by mean here. Departments fill every other indicator with full marks (18 points).
# 办公室 still types 1 on 2.10 (shown beside the computed score, never counted), 机关党委 leaves the
# row out, 登记注册科 types 2. The export adds two 登记注册科 rows (8000, 8500) to ROWS:
#   办公室 4/3, 机关党委 0, 登记注册科 2 × 2/2 = 2  -> 2.10 = (4/3 + 0 + 2) / 3 = 10/9; unit 18 + 10/9.
# Without the export 2.10 is pending (待数据): it counts 0 (unit 18), makes no gap, data.missing says so.

import datetime as dt  # noqa: E402

from conftest import filled, full_marks  # noqa: E402
from scorecard.operations.pipeline import run  # noqa: E402


def e2e_rules():
    computed = ("departments: all, combine: mean, computed: {data: 学习强国积分, value: 积分, target: 8000, "
                "method: share}}")
    return parse_rules(SMALL_RULES.replace("vetoes:\n", DATA + "vetoes:\n").replace(PLAIN, computed), "e2e.yaml")


def department_input(rules, folder: Path) -> None:
    typed = {"办公室": {"自评得分": 1}, "机关党委": None, "登记注册科": {"自评得分": 2}}
    for dept, row in typed.items():
        rows = {code: values for code, values in full_marks(rules, dept).items() if code != "2.10"}
        if row is not None:
            rows["2.10"] = row
        path = folder / f"{dept}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        filled(rules, dept, rows=rows).save(path)


def run_round(rules, tmp_path, with_export=True):
    department_input(rules, tmp_path / "input")
    if with_export:
        export(tmp_path / "input" / "平台导出" / "学习强国.xlsx",
               ROWS + [("吴十", "登记注册科", 8000), ("郑一", " 登记注册科 ", 8500)])
    clock = lambda: dt.datetime(2026, 12, 31, 9, 0)  # noqa: E731
    return run(rules, tmp_path / "input", tmp_path / "output", clock=clock).summary


def test_end_to_end_scores_from_the_export(tmp_path):
    s = run_round(e2e_rules(), tmp_path)
    status = {Path(x["file"]).name: x for x in s["submissions"]}
    assert {k: v["status"] for k, v in status.items()} == {
        "办公室.xlsx": "accepted", "机关党委.xlsx": "accepted", "登记注册科.xlsx": "accepted", "学习强国.xlsx": "data"}
    # 机关党委 left 2.10 out: no indicator.missing
    assert not [f for x in s["submissions"] for f in x["findings"] if f["rule"] == "indicator.missing"]
    data = status["学习强国.xlsx"]
    assert data["department"] is None and data["returned"] is None and data["rows"] == 7
    assert [(f["rule"], f["sheet"], f["cell"]) for f in data["findings"]] == [
        ("data.not_number", "积分排名", "D7"), ("data.unknown_department", "积分排名", "C10")]

    computed = {c["department"]: c for c in s["computed"]}
    assert {d: (c["rows"], c["meeting"], c["value"], c["score"]) for d, c in computed.items()} == {
        "办公室": (3, 2, pytest.approx(2 / 3), pytest.approx(4 / 3)), "机关党委": (2, 0, 0, 0),
        "登记注册科": (2, 2, 1, 2)}
    assert all(c["indicator"] == "2.10" for c in s["computed"])
    assert computed["办公室"]["basis"].startswith("3 人中 2 人达到 8,000 分，人均 7,000 分")
    assert [p["name"] for p in computed["机关党委"]["below"]] == ["钱七", "孙八"]

    ind = next(i for i in s["indicators"] if i["code"] == "2.10")
    assert ind["score"] == pytest.approx(10 / 9)
    assert ind["computed"] == {"data": "学习强国积分", "value": "积分", "target": 8000, "method": "share",
                               "missing": False}
    assert s["unit"]["score"] == pytest.approx(18 + 10 / 9)
    entry = {e["department"]: e for e in s["entries"] if e["indicator"] == "2.10"}
    assert entry["办公室"]["score"] == pytest.approx(4 / 3) and entry["办公室"]["computed"] is True
    assert entry["办公室"]["reported_score"] == 1                  # typed, shown, not counted
    assert "reported_score" not in entry["机关党委"]
    dept = {d["name"]: d for d in s["departments"]}
    assert dept["机关党委"]["score"] == pytest.approx(4 + 6 + 3)    # 2.10 scores 0 from the data

    gaps = {(g["kind"], g["department"]): g for g in s["gaps"] if g["indicator"] == "2.10"}
    assert set(gaps) == {("低分", "办公室"), ("低分", "机关党委")}
    assert gaps[("低分", "机关党委")]["severity"] == "严重"
    assert "钱七（3,000分）、孙八（2,000分）" in gaps[("低分", "机关党委")]["problem"]
    assert "王五（4,000分）" in gaps[("低分", "办公室")]["problem"]

    office = [(f["rule"], f["cell"]) for f in s["office_findings"]]
    assert office == [("data.not_number", "D7"), ("data.unknown_department", "C10")]


def test_end_to_end_without_an_export_the_indicator_is_pending(tmp_path):
    """§12 (issue 17.6): no data workbook this round: 2.10 is 待数据, counts 0, makes no gap, and the
    self-scores typed into its locked row never count (they made false 低分 gaps before)."""
    s = run_round(e2e_rules(), tmp_path, with_export=False)
    ind = next(i for i in s["indicators"] if i["code"] == "2.10")
    assert ind["score"] == 0 and ind["computed"]["missing"] is True
    assert s["unit"]["score"] == pytest.approx(18)
    assert s["computed"] == []
    assert [g for g in s["gaps"] if g["indicator"] == "2.10"] == []
    entries = [e for e in s["entries"] if e["indicator"] == "2.10"]
    assert len(entries) == 3 and all(e["pending"] is True and e["score"] == 0 for e in entries)
    assert [(f["rule"], f["severity"]) for f in s["office_findings"]] == [("data.missing", "warning")]
    assert "2.10" in s["office_findings"][0]["message"] and "待数据" in s["office_findings"][0]["message"]
    from docx import Document

    round_dir = tmp_path / "output" / s["round"]
    for report in (round_dir / "部门报告" / "办公室.docx", round_dir / "汇总报告.docx"):
        text = "\n".join(p.text for p in Document(report).paragraphs)
        text += "\n".join(c.text for t in Document(report).tables for r in t.rows for c in r.cells)
        assert "待数据" in text and "学习强国积分" in text, report.name


def test_end_to_end_department_without_rows_warns(tmp_path):
    department_input(e2e_rules(), tmp_path / "input")
    export(tmp_path / "input" / "学习强国.xlsx", ROWS)          # no 登记注册科 rows at all
    s = run(e2e_rules(), tmp_path / "input", tmp_path / "output",
            clock=lambda: dt.datetime(2026, 12, 31, 9, 0)).summary
    no_rows = [f for f in s["office_findings"] if f["rule"] == "data.no_rows"]
    assert len(no_rows) == 1 and "登记注册科" in no_rows[0]["message"]
    assert next(c for c in s["computed"] if c["department"] == "登记注册科")["score"] == 0
    gap = next(g for g in s["gaps"] if g["indicator"] == "2.10" and g["department"] == "登记注册科")
    assert gap["severity"] == "严重" and "没有本部门的记录" in gap["problem"]


def test_check_command_reads_a_data_workbook(tmp_path, capsys):
    from scorecard.cli import main

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(SMALL_RULES.replace("vetoes:\n", DATA + "vetoes:\n").replace(
        PLAIN, "departments: all, computed: {data: 学习强国积分, value: 积分, target: 8000, method: share}}"),
        encoding="utf-8")
    path = export(tmp_path / "x.xlsx")
    assert main(["check", "--rules", str(rules_file), str(path)]) == 1     # rows with errors
    out = capsys.readouterr().out
    assert "数据表" in out and "data.not_number" in out and "积分排名!D7" in out and "积分排名!C10" in out


def test_a_rerun_reads_the_export_again_and_scores_the_same(tmp_path):
    rules = e2e_rules()
    first = run_round(rules, tmp_path)
    again = run(rules, tmp_path / "input", tmp_path / "output", clock=lambda: dt.datetime(2026, 12, 31, 10, 0)).summary
    assert again["computed"] == first["computed"]
    assert again["unit"] == first["unit"]
    assert [x["status"] for x in again["submissions"]] == [x["status"] for x in first["submissions"]]


def test_data_workbooks_are_recognised_in_the_process_pool_too(tmp_path):
    """Over PARALLEL_FROM files the pipeline reads in worker processes: a data workbook comes back as data."""
    from scorecard.operations.stages import PARALLEL_FROM

    rules = e2e_rules()
    department_input(rules, tmp_path / "input")
    for k in range(PARALLEL_FROM):             # older copies: superseded, they only make the pool start
        (tmp_path / "input" / f"旧{k}").mkdir()
        (tmp_path / "input" / f"旧{k}" / "办公室.xlsx").write_bytes((tmp_path / "input" / "办公室.xlsx").read_bytes())
    export(tmp_path / "input" / "平台导出" / "学习强国.xlsx", ROWS + [("吴十", "登记注册科", 8000)])
    sequential = run(rules, tmp_path / "input", tmp_path / "out1", workers=1,
                     clock=lambda: dt.datetime(2026, 12, 31, 9, 0)).summary
    pooled = run(rules, tmp_path / "input", tmp_path / "out2", workers=2,
                 clock=lambda: dt.datetime(2026, 12, 31, 9, 0)).summary
    assert [x["status"] for x in pooled["submissions"]].count("data") == 1
    assert pooled["computed"] == sequential["computed"] and pooled["unit"] == sequential["unit"]


@pytest.mark.parametrize("old_mtime, new_mtime", [(2_000_000, 1_000_000), (1_000_000, 1_000_000)])
def test_the_newest_same_named_file_wins_by_time_then_path(tmp_path, old_mtime, new_mtime):
    """§12: of two files with the same name, the newer replaces the older, whatever their folders'
    names; at the same modification time the later path counts (一月 sorts before 二月)."""
    rules = rules_with("share")
    a = datasets.recognise(export(tmp_path / "一月" / "积分.xlsx", ROWS, mtime=old_mtime), rules, label="一月/积分.xlsx")
    b = datasets.recognise(export(tmp_path / "二月" / "积分.xlsx", [("张三", "办公室", 100)], mtime=new_mtime),
                           rules, label="二月/积分.xlsx")
    datasets.compute(rules, [b, a])
    newer, older = (a, b) if old_mtime > new_mtime else (b, a)
    assert newer.replaced_by is None and older.replaced_by == newer.file
    assert (older.findings[-1].rule, older.findings[-1].file) == ("data.replaced", older.file)


def test_the_value_column_may_be_spelt_otherwise_than_in_the_data_declaration(tmp_path):
    """§12: `value` names one of the data's `columns`; the rules may write it with other spaces or
    width (积 分, full-width) and it is still that column: 办公室 2 of 3 reach 8000, as by hand above."""
    text = SMALL_RULES.replace("vetoes:\n", DATA + "vetoes:\n").replace(
        PLAIN, "departments: all, computed: {data: 学习强国积分, value: ' 积　分 ', target: 8000, method: share}}")
    rules = parse_rules(text, "t.yaml")
    s = by_dept(datasets.compute(rules, [datasets.recognise(export(tmp_path / "x.xlsx"), rules)]))
    assert (s["办公室"].rows, s["办公室"].meeting) == (3, 2)
    assert s["办公室"].score == pytest.approx(4 / 3) and s["办公室"].total == 21000
