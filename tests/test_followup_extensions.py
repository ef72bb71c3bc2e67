"""Extensions (CONTRACT §14 延期): the office types 延期至 and 延期理由 into 问题清单.xlsx, as it
would, and the next run moves the row's 完成时限 for 逾期 and the lights, keeps the first date and
the history, and refuses (tracking.extension_invalid) what cannot stand."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3

import openpyxl
import pytest

from conftest import SMALL_RULES, filled, full_marks
from scorecard.office import store
from scorecard.office.apply import edit_history
from scorecard.office.read import GAP_FILE
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules

AS_OF = dt.date(2026, 12, 31)
LOW = "低分|办公室|1.1"
LATE = "逾期|办公室|1.1"
RULES = SMALL_RULES + "schedule:\n  submit_by: 2026-12-20\n  warn_within: 3\n"
WHY = "设备采购须待区财政资金到位"


class Round:
    """办公室 scores 1.1 at 3 of 4 with 完成时限 2026-12-01 (passed on AS_OF): a 低分 and a 逾期 gap."""

    def __init__(self, tmp_path):
        self.rules = parse_rules(RULES)
        self.input, self.output = tmp_path / "input", tmp_path / "output"
        self.input.mkdir()
        low = {"自评得分": 3, "完成情况": "推进中", "存在问题": "制度未更新", "整改措施": "修订制度", "责任人": "王强",
               "完成时限": dt.date(2026, 12, 1)}
        filled(self.rules, "办公室", rows=full_marks(self.rules, "办公室", **{"1.1": low})).save(
            self.input / "办公室.xlsx")
        self.now = dt.datetime(2027, 1, 2, 9)
        self.saved = dt.datetime(2027, 1, 2, 12).timestamp()

    def run(self, as_of=AS_OF, round_name=None):
        self.now += dt.timedelta(minutes=1)
        done = run(self.rules, self.input, self.output, as_of=as_of, clock=lambda: self.now, workers=1,
                   round_name=round_name)
        self.round_dir = done.round_dir
        self.ledger = self.output / "ledger.sqlite3"
        assert self.ledger.is_file()
        return json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))

    def type(self, values: dict[str, dict], path=None) -> dict[str, dict[str, str]]:
        """Type into 问题清单 as the office does: {问题编号: {title: value}}; returns the cells typed."""
        path = path or self.round_dir / GAP_FILE
        wb = openpyxl.load_workbook(path)
        ws = wb["问题清单"]
        cols = {c.value: c.column for c in ws[1]}
        where = {}
        for r in range(2, ws.max_row + 1):
            key = ws.cell(r, cols["问题编号"]).value
            for title, value in values.get(key, {}).items():
                ws.cell(r, cols[title]).value = value
                where.setdefault(key, {})[title] = ws.cell(r, cols[title]).coordinate
        assert set(where) == set(values)
        wb.save(path)
        self.saved += 600
        os.utime(path, (self.saved, self.saved))
        return where

    def rows(self) -> dict[str, dict]:
        ws = openpyxl.load_workbook(self.round_dir / GAP_FILE)["问题清单"]
        titles = [c.value for c in ws[1]]
        return {r["问题编号"]: r for r in (dict(zip(titles, row)) for row in ws.iter_rows(min_row=2, values_only=True))}


def gaps_of(summary) -> dict[str, dict]:
    return {g["key"]: g for g in summary["gaps"]}


def hits(summary, rule="tracking.extension_invalid") -> list[dict]:
    return [f for f in summary["office_findings"] if f["rule"] == rule]


@pytest.fixture
def rnd(tmp_path):
    r = Round(tmp_path)
    first = r.run()
    gaps = gaps_of(first)
    assert gaps[LOW]["light"] == gaps[LATE]["light"] == "红" and gaps[LOW]["deadline"] == "2026-12-01"
    return r


def test_a_valid_extension_lifts_overdue_and_the_light_keeping_the_first_date(rnd):
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    s = rnd.run()
    gaps = gaps_of(s)
    assert LATE not in gaps                                      # 2027-01-20 has not passed on AS_OF
    low = gaps[LOW]
    assert (low["deadline"], low["deadline_original"], low["light"]) == ("2027-01-20", "2026-12-01", "绿")
    assert low["tracking"]["extended_to"] == "2027-01-20" and low["tracking"]["extension_reason"] == WHY
    assert [(e["to"], e["reason"]) for e in low["tracking"]["extensions"]] == [("2027-01-20", WHY)]
    assert hits(s) == [] and s["followup"]["lights"]["红"] == sum(g.get("light") == "红" for g in s["gaps"])
    row = rnd.rows()[LOW]                           # the list shows the first date and the extension
    assert (row["完成时限"], row["延期至"], row["延期理由"], row["预警"]) == (
        dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 20), WHY, "绿")
    # The same run again changes nothing and records nothing new.
    again = rnd.run()
    assert gaps_of(again)[LOW]["deadline"] == "2027-01-20" and len(gaps_of(again)[LOW]["tracking"]["extensions"]) == 1


def test_a_second_extension_counts_and_both_are_kept(rnd):
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    rnd.run()
    rnd.type({LOW: {"延期至": "2027-01-02", "延期理由": "提前完成采购"}})     # typed on the other row of 1.1
    s = rnd.run()
    low = gaps_of(s)[LOW]
    assert (low["deadline"], low["deadline_original"], low["light"]) == ("2027-01-02", "2026-12-01", "黄")
    assert [(e["to"], e["reason"]) for e in low["tracking"]["extensions"]] == [
        ("2027-01-20", WHY), ("2027-01-02", "提前完成采购")]
    ledger = [e for e in edit_history(rnd.ledger) if e["field"] == "extended_to"]
    assert [(e["row"], e["new"]) for e in ledger] == [(LATE, "2027-01-20"), (LOW, "2027-01-02")]
    # The new date passes: 逾期 is back, red, and says the extended date has passed.
    later = rnd.run(as_of=dt.date(2027, 1, 5))
    gaps = gaps_of(later)
    assert gaps[LATE]["light"] == gaps[LOW]["light"] == "红"
    assert gaps[LATE]["deadline"] == "2027-01-02" and gaps[LATE]["deadline_original"] == "2026-12-01"
    assert "延期后的完成时限2027年1月2日已过" in gaps[LATE]["note"] and "原定2026年12月1日" in gaps[LATE]["note"]


def test_a_cleared_extension_brings_the_first_deadline_back(rnd):
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    rnd.run()
    rnd.type({LOW: {"延期至": None, "延期理由": None}})
    s = rnd.run()
    gaps = gaps_of(s)
    assert gaps[LATE]["light"] == gaps[LOW]["light"] == "红"
    assert gaps[LOW]["deadline"] == "2026-12-01" and "deadline_original" not in gaps[LOW]
    assert [e["to"] for e in gaps[LOW]["tracking"]["extensions"]] == ["2027-01-20", ""]
    assert rnd.rows()[LOW]["延期至"] is None


@pytest.mark.parametrize("typed, reason_typed, why, refused_title", [
    ("下月底", WHY, "“延期至”的“下月底”不是有效日期", "延期至"),
    (dt.date(2026, 11, 20), WHY, "“延期至”2026年11月20日不晚于原完成时限2026年12月1日", "延期至"),
    (dt.date(2026, 12, 1), WHY, "“延期至”2026年12月1日不晚于原完成时限2026年12月1日", "延期至"),   # on the line: not after
    (dt.date(2027, 1, 20), None, "未填写“延期理由”", "延期理由"),
])
def test_an_invalid_extension_is_refused_in_its_cell_and_changes_nothing(rnd, typed, reason_typed, why,
                                                                         refused_title):
    cells = rnd.type({LATE: {"延期至": typed, "延期理由": reason_typed}})
    s = rnd.run()
    [f] = hits(s)
    assert f["severity"] == "error" and f["sheet"] == "问题清单" and f["file"].endswith(GAP_FILE)
    assert f["message"].startswith(f"问题“{LATE}”的延期未采用：{why}。")
    assert f["cell"] == cells[LATE][refused_title]
    typed_text = typed if isinstance(typed, str) else typed.isoformat()
    assert f["value"].startswith(typed_text)               # what was typed in 延期至, quoted
    gaps = gaps_of(s)
    assert gaps[LATE]["light"] == gaps[LOW]["light"] == "红"          # the first deadline still counts
    assert gaps[LOW]["deadline"] == "2026-12-01" and "deadline_original" not in gaps[LOW]
    assert "extended_to" not in gaps[LATE]["tracking"]
    assert not [e for e in edit_history(rnd.ledger) if e["field"].startswith("extended")]
    row = rnd.rows()[LATE]                                 # kept in its cell, to be corrected
    shown = row["延期至"]
    shown = shown.date().isoformat() if isinstance(shown, dt.datetime) else str(shown)
    assert shown == (typed if isinstance(typed, str) else typed.isoformat())
    # Corrected: a later date with a reason is taken.
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    fixed = rnd.run()
    assert hits(fixed) == [] and LATE not in gaps_of(fixed) and gaps_of(fixed)[LOW]["light"] == "绿"


def test_an_extension_one_day_after_the_first_deadline_is_taken(rnd):
    """The line of `tracking.extension_invalid`: on the original 完成时限 is refused (above), the
    day after is an extension. 2026-12-02 has passed on AS_OF too, so the gaps stay 逾期 and red,
    now against the new date."""
    rnd.type({LATE: {"延期至": dt.date(2026, 12, 2), "延期理由": WHY}})
    s = rnd.run()
    assert hits(s) == []
    gaps = gaps_of(s)
    assert (gaps[LOW]["deadline"], gaps[LOW]["deadline_original"]) == ("2026-12-02", "2026-12-01")
    assert gaps[LATE]["light"] == "红" and "延期后的完成时限2026年12月2日已过" in gaps[LATE]["note"]


def test_clearing_the_reason_of_a_taken_extension_is_refused_and_the_extension_stands(rnd):
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    rnd.run()
    cells = rnd.type({LOW: {"延期理由": None}})
    s = rnd.run()
    [f] = hits(s)
    assert f["message"].startswith(f"问题“{LOW}”的延期未采用：未填写“延期理由”。") and f["cell"] == cells[LOW]["延期理由"]
    assert f["value"] == ""                                  # the cell that was cleared, not the date beside it
    low = gaps_of(s)[LOW]
    assert (low["deadline"], low["tracking"]["extension_reason"]) == ("2027-01-20", WHY)


def test_an_extension_is_carried_into_the_next_round_while_the_gap_persists(rnd):
    rnd.type({LATE: {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    rnd.run()
    s = rnd.run(round_name="第二轮")
    low = gaps_of(s)[LOW]
    assert LATE not in gaps_of(s) and low["state"] == "持续"
    assert (low["deadline"], low["deadline_original"], low["tracking"]["extended_to"]) == (
        "2027-01-20", "2026-12-01", "2027-01-20")


def test_a_copy_from_before_the_extension_columns_has_nothing_missing(rnd):
    wb = openpyxl.load_workbook(rnd.round_dir / GAP_FILE)
    ws = wb["问题清单"]
    titles = [c.value for c in ws[1]]
    for title in ("延期理由", "延期至"):                       # an older list had neither column
        ws.delete_cols(titles.index(title) + 1)
        titles.remove(title)
    old = rnd.input / "问题清单（旧版）.xlsx"
    wb.save(old)
    rnd.type({LOW: {"整改状态": "整改中"}}, path=old)
    s = rnd.run()
    assert [f for f in s["office_findings"] if f["rule"] == "header.missing"] == []
    assert gaps_of(s)[LOW]["tracking"]["status"] == "整改中"


def test_a_ledger_from_before_extensions_gains_the_columns(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE office_tracking (round TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,"
                     " note TEXT NOT NULL, closed_on TEXT NOT NULL, verifier TEXT NOT NULL, stamp REAL NOT NULL,"
                     " file TEXT NOT NULL, recorded TEXT NOT NULL, PRIMARY KEY (round, key))")
        conn.execute("INSERT INTO office_tracking VALUES ('第一轮', ?, '整改中', '在改', '', '', 1.0, 'f', 'r')", (LOW,))
    conn = store.connect(path)
    try:
        [(key, t)] = store.load_tracking(conn, "第一轮").items()
        assert key == LOW and (t.status, t.note, t.extended_to, t.extension_reason) == ("整改中", "在改", "", "")
        store.save_tracking(conn, "第一轮", key, store.Tracking("整改中", "在改", extended_to="2027-01-20",
                                                                extension_reason=WHY))
        conn.commit()
        assert store.load_tracking(conn, "第一轮")[LOW].extended_to == "2027-01-20"
    finally:
        conn.close()
    shutil.copy(path, tmp_path / "again.sqlite")
    store.connect(tmp_path / "again.sqlite").close()                 # connecting twice adds nothing twice


# ---------------------------------------------------------------- with_extensions, on its lines

from scorecard.scoring.extensions import with_extensions  # noqa: E402
from scorecard.scoring.result import Gap  # noqa: E402


def _gap(kind, dept="办公室", code="1.1", deadline="2026-12-01", status="推进中"):
    return Gap(kind=kind, severity="一般", indicator=code, department=dept, key=f"{kind}|{dept}|{code}",
               deadline=deadline, status=status, note="原说明")


@pytest.mark.parametrize("to, overdue_left", [("2026-12-30", True), ("2026-12-31", False), ("2027-01-01", False)])
def test_an_extended_overdue_gap_is_gone_from_exactly_as_of(to, overdue_left):
    """逾期 is a 完成时限 before as_of (§5): extended to the day before as_of it stays (with the note
    saying the extended date has passed), to as_of itself or later it is gone."""
    out = with_extensions([_gap("低分"), _gap("逾期")], {"逾期|办公室|1.1": to}, AS_OF)
    assert [g.kind for g in out] == (["低分", "逾期"] if overdue_left else ["低分"])
    assert all(g.deadline == to and g.deadline_original == "2026-12-01" for g in out)


def test_an_extension_on_the_first_deadline_changes_nothing_and_the_latest_of_a_row_counts():
    on = with_extensions([_gap("低分")], {"低分|办公室|1.1": "2026-12-01"}, AS_OF)
    assert on == [_gap("低分")]
    later = with_extensions([_gap("低分"), _gap("逾期")], {"低分|办公室|1.1": "2027-01-20", "逾期|办公室|1.1": "2027-01-02"},
                            AS_OF)
    assert [(g.kind, g.deadline) for g in later] == [("低分", "2027-01-20")]
    earlier_first = with_extensions([_gap("低分")], {"逾期|办公室|1.1": "2027-01-20", "低分|办公室|1.1": "2027-01-02"},
                                    AS_OF)
    assert earlier_first[0].deadline == "2027-01-20"


def test_every_row_is_extended_not_only_the_first_and_an_empty_status_is_said():
    gaps = [_gap("逾期", code="1.1"), _gap("逾期", code="1.2", status=""), _gap("低分", code="2.1")]
    out = with_extensions(gaps, {"逾期|办公室|1.1": "2027-01-20", "逾期|办公室|1.2": "2026-12-20",
                                 "低分|办公室|2.1": "2027-02-01"}, AS_OF)
    assert [(g.kind, g.indicator, g.deadline) for g in out] == [("逾期", "1.2", "2026-12-20"), ("低分", "2.1", "2027-02-01")]
    assert out[0].note == "延期后的完成时限2026年12月20日已过（原定2026年12月1日），完成情况为“未填写”"


def test_an_extension_moves_its_own_row_only_whichever_row_sorts_first(tmp_path):
    """Two rows of 办公室 (1.1 and 1.2), each 低分 and 逾期: the extension typed on 1.2's 逾期 row moves
    1.2's 低分 gap too, and nothing of 1.1 (whose keys sort before 1.2's)."""
    r = Round(tmp_path)
    late = {"自评得分": 3, "完成情况": "推进中", "存在问题": "制度未更新", "整改措施": "修订制度", "责任人": "王强",
            "完成时限": dt.date(2026, 12, 1)}
    filled(r.rules, "办公室", rows=full_marks(r.rules, "办公室", **{"1.1": late, "1.2": dict(late, 自评得分=4)})).save(
        r.input / "办公室.xlsx")
    r.run()
    r.type({"逾期|办公室|1.2": {"延期至": dt.date(2027, 1, 20), "延期理由": WHY}})
    gaps = gaps_of(r.run())
    assert gaps["低分|办公室|1.2"]["deadline"] == "2027-01-20" and "逾期|办公室|1.2" not in gaps
    assert gaps["低分|办公室|1.2"]["tracking"]["extended_to"] == "2027-01-20"        # shown on its row too
    assert r.rows()["低分|办公室|1.2"]["延期至"] == dt.datetime(2027, 1, 20)
    assert gaps["低分|办公室|1.1"]["deadline"] == "2026-12-01" and "逾期|办公室|1.1" in gaps
