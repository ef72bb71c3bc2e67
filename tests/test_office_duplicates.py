"""A 核定表 row typed twice with different scores is reported, not settled by which came first (issue 18)."""
from __future__ import annotations

from scorecard.office_read import REVIEW_FILE
from test_office import office, rules_hit, sheet_rows, summary_of  # noqa: F401


def _copy_row(ws, r: int) -> int:
    new = ws.max_row + 1
    for c in range(1, ws.max_column + 1):
        ws.cell(new, c).value = ws.cell(r, c).value
    return new


def test_a_duplicated_row_with_conflicting_scores_is_reported(office):
    office["run"]()
    path = office["round_dir"] / REVIEW_FILE
    wb, ws, cols = sheet_rows(path, "核定表")
    row = next(r for r in range(2, ws.max_row + 1)
               if (ws.cell(r, cols["部门"]).value, ws.cell(r, cols["指标编号"]).value) == ("办公室", "1.1"))
    twin = _copy_row(ws, row)
    for r, score in ((row, 2), (twin, 3.5)):
        ws.cell(r, cols["核定得分"]).value = score
        ws.cell(r, cols["核定说明"]).value = "现场核查"
    same = next(r for r in range(2, ws.max_row + 1)
                if (ws.cell(r, cols["部门"]).value, ws.cell(r, cols["指标编号"]).value) == ("办公室", "1.2"))
    ws.cell(same, cols["核定得分"]).value = 5
    ws.cell(same, cols["核定说明"]).value = "材料不全"
    _copy_row(ws, same)                                  # the same score twice: harmless, taken once
    wb.save(path)
    s = summary_of(office["run"]())
    dup = rules_hit(s)["review.duplicate_row"]
    assert len(dup) == 1 and dup[0]["severity"] == "error"
    assert f"第{row}行" in dup[0]["message"] and f"第{twin}行" in dup[0]["message"] and "3.5" in dup[0]["message"]
    taken = {(r["department"], r["indicator"]): r["score"] for r in s["reviews"]}
    assert ("办公室", "1.1") not in taken and taken[("办公室", "1.2")] == 5
