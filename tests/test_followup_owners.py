"""责任人清单.xlsx (CONTRACT §14): a row per (责任人, open gap), by light then deadline."""
from __future__ import annotations

import openpyxl

from scorecard.office.owners import owners_of, write_owner_list


def gap(dept, indicator, owner, deadline, light, status="未整改"):
    return {"kind": "低分", "severity": "一般", "indicator": indicator, "indicator_name": f"指标{indicator}",
            "department": dept, "key": f"低分|{dept}|{indicator}", "owner": owner, "problem": f"{indicator}问题",
            "measure": "整改", "deadline": deadline, "tracking": {"status": status}, "light": light}


SUMMARY = {"departments": [{"name": "办公室"}, {"name": "机关党委"}, {"name": "登记注册科"}],
           "gaps": [gap("办公室", "1.1", "王强、李明", "2027-01-20", "绿"),
                    gap("机关党委", "2.1", "赵敏", "2026-12-01", "红"),
                    gap("办公室", "1.2", "", "", "绿"),
                    gap("登记注册科", "3.1", "钱进", "2027-01-02", "黄"),
                    gap("办公室", "1.3", "王强", "2026-11-01", None, status="已销号")]}


def test_owners_split_on_the_separators_people_type():
    assert owners_of("王强、李明") == ["王强", "李明"] and owners_of("王强, 李明；王强") == ["王强", "李明"]
    assert owners_of("") == ["（未填写）"]


def test_one_row_per_person_and_open_gap_by_light_then_deadline(tmp_path):
    wb = openpyxl.load_workbook(write_owner_list(SUMMARY, tmp_path / "责任人清单.xlsx"))
    assert wb.sheetnames == ["全部", "办公室", "机关党委", "登记注册科"]
    ws = wb["全部"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert [(r["责任人"], r["测评指标"], r["预警"]) for r in rows] == [
        ("赵敏", "2.1 指标2.1", "红"), ("钱进", "3.1 指标3.1", "黄"),
        ("李明", "1.1 指标1.1", "绿"), ("王强", "1.1 指标1.1", "绿"), ("（未填写）", "1.2 指标1.2", "绿")]
    col = header.index("预警") + 1
    assert ws.cell(2, col).fill.fgColor.rgb[-6:] == "FF7C80" and ws.cell(3, col).fill.fgColor.rgb[-6:] == "FFE699"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:J{len(rows) + 1}"
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1          # 9: A4
    office = [[c.value for c in r] for r in wb["办公室"].iter_rows(min_row=2)]
    assert len(office) == 3 and {r[0] for r in office} == {"王强", "李明", "（未填写）"}      # the signed-off gap absent


def test_a_run_writes_it_beside_the_gap_list(tmp_path):
    import datetime as dt

    from conftest import SMALL_RULES, filled
    from scorecard.operations.pipeline import run
    from scorecard.rules import parse_rules

    rules = parse_rules(SMALL_RULES)
    (tmp_path / "in").mkdir()
    filled(rules, "办公室").save(tmp_path / "in" / "办公室.xlsx")
    done = run(rules, tmp_path / "in", tmp_path / "out", clock=lambda: dt.datetime(2026, 12, 31, 9), workers=1)
    ws = openpyxl.load_workbook(done.round_dir / "责任人清单.xlsx")["全部"]
    assert ws.max_row - 1 == sum(len(owners_of(g.get("owner", ""))) for g in done.summary["gaps"]
                                 if g["tracking"]["status"] != "已销号")


def test_long_problems_wrap_in_rows_as_tall_as_their_text(tmp_path):
    """Printed as the gap list is: a row's height follows its wrapped 存在问题 (a library-written
    row does not grow by itself in Excel), the header shaded, every cell bordered."""
    long = dict(gap("办公室", "1.1", "王强", "2027-01-20", "绿"), problem="领导小组成员未按期调整，制度未及时修订完善。" * 6)
    short = gap("办公室", "1.2", "李明", "2027-01-21", "绿")
    ws = openpyxl.load_workbook(write_owner_list({"departments": SUMMARY["departments"], "gaps": [long, short]},
                                                 tmp_path / "责任人清单.xlsx"))["全部"]
    assert ws.cell(2, 1).value == "王强"
    assert ws.row_dimensions[2].height >= 3 * ws.row_dimensions[3].height
    assert ws.cell(2, 6).alignment.wrap_text and ws.cell(2, 6).border.left.style == "thin"
    assert ws.cell(1, 1).fill.fgColor.rgb[-6:] == "D9D9D9"
