"""Every threshold of CONTRACT.md the code has, tested exactly on it and one step each side
(docs/testing.md lists them). Expected values come from the contract's words, not from the code.

The small rules (conftest.SMALL_RULES): pass_score 15, bonus_cap 3, gap 0.9 / 0.6; 1.1 max 4 (min of
办公室, 机关党委), 1.2 max 6 (mean of 办公室, 机关党委), 2.1 max 5 (lead 登记注册科, then 办公室),
2.2 max 3 (机关党委), 2.10 max 2 (all). Full marks everywhere make 20.
"""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import SMALL_RULES, filled
from scorecard.intake.checking import check_file
from scorecard.rules import parse_rules
from test_scoring import by, rows, run

OFFICE, PARTY, REGISTRY = "办公室", "机关党委", "登记注册科"


def everyone(r, **scores_by_dept):
    """A full-marks workbook for each department, with the given scores (and their deficit columns)."""
    return [(f"{d}.xlsx", filled(r, d, rows=rows(r, d, scores_by_dept.get(d, {})))) for d in (OFFICE, PARTY, REGISTRY)]


def findings_of(rules, save, department, row_values, **kwargs):
    wb = filled(rules, department, rows=row_values, **kwargs)
    return check_file(save(wb, f"{department}.xlsx"), rules).findings


def rule_ids(findings):
    return [f.rule for f in findings]


# ---------------------------------------------------------------- §4 scoring

@pytest.mark.parametrize("standing", ["missing", "returned"])
def test_mean_counts_a_department_without_an_accepted_submission_as_zero(small_rules, save, standing):
    """§4: a department with no accepted submission scores 0 on its indicators, and the unit's score
    on a `mean` indicator is the mean over all its departments: 1.2 = (6 + 0) / 2 = 3."""
    r = small_rules
    books = [("办公室.xlsx", filled(r, OFFICE))]
    if standing == "returned":
        books.append(("机关党委.xlsx", filled(r, PARTY, rows=rows(r, PARTY, {"1.2": "很好"}))))
    s, _ = run(r, save, books)
    assert by(s["departments"], "name")[PARTY]["submission"] == standing
    assert by(s["indicators"])["1.2"]["score"] == 3


@pytest.mark.parametrize("pass_score, passed", [(19.6, True), (19.7, True), (19.8, False)])
def test_pass_line(save, pass_score, passed):
    """§4: passed when score + bonus ≥ pass_score. 办公室 gives itself 5.4 on 1.2 (mean with 6: 5.7),
    full marks elsewhere: 4 + 5.7 + 5 + 3 + 2 = 19.7."""
    r = parse_rules(SMALL_RULES.replace("pass_score: 15", f"pass_score: {pass_score}"), "small.yaml")
    s, _ = run(r, save, everyone(r, **{OFFICE: {"1.2": 5.4}}))
    assert s["unit"]["total"] == 19.7 and s["unit"]["veto"] is False
    assert s["unit"]["passed"] is passed


@pytest.mark.parametrize("pass_score, passed", [(19.5, True), (20, True), (20.5, False)])
def test_pass_line_counts_the_capped_bonus(save, pass_score, passed):
    """17 (1.2 = mean(0, 6) = 3) + bonus min(3, 2 + 2) = 20: the uncapped 21 would pass at 20.5."""
    r = parse_rules(SMALL_RULES.replace("pass_score: 15", f"pass_score: {pass_score}"), "small.yaml")
    books = everyone(r, **{OFFICE: {"1.2": 0}})
    books[0] = ("办公室.xlsx", filled(r, OFFICE, rows=rows(r, OFFICE, {"1.2": 0}),
                                  bonuses=[{"特色项目": "品牌", "申报加分": 2}]))
    books[1] = ("机关党委.xlsx", filled(r, PARTY, bonuses=[{"特色项目": "示范点", "申报加分": 2}]))
    s, _ = run(r, save, books)
    assert (s["unit"]["score"], s["unit"]["bonus"], s["unit"]["total"]) == (17, 3, 20)
    assert s["unit"]["passed"] is passed


@pytest.mark.parametrize("claims, bonus", [((1.5, 1.4), 2.9), ((1.5, 1.5), 3), ((1.5, 1.6), 3)])
def test_bonus_cap_for_the_whole_unit(small_rules, save, claims, bonus):
    """§4: bonus = min(bonus_cap, sum of 申报加分 over accepted submissions); the cap is 3."""
    r = small_rules
    books = everyone(r)
    books[0] = ("办公室.xlsx", filled(r, OFFICE, bonuses=[{"特色项目": "品牌", "申报加分": claims[0]}]))
    books[1] = ("机关党委.xlsx", filled(r, PARTY, bonuses=[{"特色项目": "示范点", "申报加分": claims[1]}]))
    s, _ = run(r, save, books)
    assert s["unit"]["bonus"] == bonus and s["unit"]["total"] == 20 + bonus


# ---------------------------------------------------------------- §5 gaps

def low_gaps(s, department, code):
    return [g["severity"] for g in s["gaps"] if g["kind"] == "低分" and (g["department"], g["indicator"]) == (department, code)]


# 2.1 has max 5: the gap line is 4.5 and the severe line 3. 2.2 has max 3: 0.9 × 3 and 0.6 × 3 are
# 2.7 and 1.8 in words, 2.7000000000000002 and 1.7999999999999998 in floating point.
@pytest.mark.parametrize("department, code, score, severity", [
    (OFFICE, "2.1", 4.4, "一般"), (OFFICE, "2.1", 4.5, None), (OFFICE, "2.1", 4.6, None),
    (OFFICE, "2.1", 2.9, "严重"), (OFFICE, "2.1", 3, "一般"), (OFFICE, "2.1", 3.1, "一般"),
    (PARTY, "2.2", 2.6, "一般"), (PARTY, "2.2", 2.7, None), (PARTY, "2.2", 2.8, None),
    (PARTY, "2.2", 1.7, "严重"), (PARTY, "2.2", 1.8, "一般"), (PARTY, "2.2", 1.9, "一般"),
])
def test_low_score_gap_and_severe_lines(small_rules, save, department, code, score, severity):
    """§5: a gap when score < gap.ratio × max; 严重 below gap.severe_ratio × max, else 一般."""
    r = small_rules
    s, _ = run(r, save, [(f"{department}.xlsx", filled(r, department, rows=rows(r, department, {code: score})))])
    assert low_gaps(s, department, code) == ([severity] if severity else [])


@pytest.mark.parametrize("code, score, severity", [("2.1", 11.6, "一般"), ("2.1", 11.7, None), ("2.1", 11.8, None),
                                                   ("2.2", 0.5, "严重"), ("2.2", 0.6, "一般"), ("2.2", 0.7, "一般")])
def test_the_lines_are_the_contracts_products_not_floating_points(save, code, score, severity):
    """0.9 × 13 is 11.7 (11.700000000000001 in floating point) and 0.2 × 3 is 0.6 (0.6000000000000001):
    a score typed exactly on the product is on the line, not below it."""
    text = SMALL_RULES.replace("gap: {ratio: 0.9, severe_ratio: 0.6}", "gap: {ratio: 0.9, severe_ratio: 0.2}")
    r = parse_rules(text.replace("name: 登记窗口, max: 5", "name: 登记窗口, max: 13"), "small.yaml")
    department = OFFICE if code == "2.1" else PARTY
    s, _ = run(r, save, [(f"{department}.xlsx", filled(r, department, rows=rows(r, department, {code: score})))])
    assert low_gaps(s, department, code) == ([severity] if severity else [])


@pytest.mark.parametrize("deadline, overdue", [(dt.date(2026, 12, 30), True), (dt.date(2026, 12, 31), False),
                                               (dt.date(2027, 1, 1), False)])
def test_overdue_is_a_deadline_before_as_of(small_rules, save, deadline, overdue):
    """§5: 逾期 when 完成情况 is not 已完成 and 完成时限 is before as_of (2026-12-31)."""
    r = small_rules
    office = rows(r, OFFICE, {}, **{"1.1": {"完成情况": "推进中", "完成时限": deadline}})
    s, _ = run(r, save, [("a.xlsx", filled(r, OFFICE, rows=office))], as_of=dt.date(2026, 12, 31))
    assert [g["indicator"] for g in s["gaps"] if g["kind"] == "逾期"] == (["1.1"] if overdue else [])


# ---------------------------------------------------------------- §3 validation

@pytest.mark.parametrize("score, errors", [(5.9, 4), (5.5, 4), (6, 0)])
def test_every_deficit_column_is_required_below_max_even_above_the_gap_line(small_rules, save, score, errors):
    """§3: 存在问题, 整改措施, 完成时限 and 责任人 are required wherever the score is below 分值 (6),
    not only below the gap line (5.4): 5.5 of 6 with the four columns empty gives four errors."""
    found = findings_of(small_rules, save, OFFICE, {"1.2": {"自评得分": score, "完成情况": "推进中", "佐证材料": "纪要"}})
    required = [f for f in found if f.rule == "field.required"]
    assert len(required) == errors
    if errors:
        assert all(f.severity == "error" for f in required)
        named = {column for f in required for column in ("存在问题", "整改措施", "完成时限", "责任人")
                 if f"“{column}”" in f.message}
        assert named == {"存在问题", "整改措施", "完成时限", "责任人"}


@pytest.mark.parametrize("score, ok", [(-0.5, False), (0, True), (0.5, True), (3.5, True), (4, True), (4.5, False)])
def test_score_range_is_zero_to_the_rules_max(small_rules, save, score, ok):
    """§3: score.out_of_range below 0 or above the indicator's max in the rules (1.1: 4)."""
    found = findings_of(small_rules, save, OFFICE, {"1.1": {"自评得分": score, "完成情况": "推进中", "佐证材料": "纪要",
                                                            "存在问题": "问题", "整改措施": "措施", "责任人": "李强",
                                                            "完成时限": dt.date(2027, 3, 31)}})
    assert ("score.out_of_range" in rule_ids(found)) is not ok


@pytest.mark.parametrize("points, ok", [(-0.5, False), (0, True), (0.5, True), (2.5, True), (3, True), (3.5, False)])
def test_bonus_claim_range_is_zero_to_the_cap(small_rules, save, points, ok):
    """§3: bonus.out_of_range below 0 or above bonus_cap (3)."""
    found = findings_of(small_rules, save, OFFICE, None, bonuses=[{"特色项目": "品牌", "申报加分": points}])
    assert ("bonus.out_of_range" in rule_ids(found)) is not ok


@pytest.mark.parametrize("score, warned", [(0, False), (0.5, True), (4, True)])
def test_missing_evidence_is_warned_where_the_score_is_above_zero(small_rules, save, score, warned):
    """§3: evidence.missing where evidence is required (1.1) and the score is above 0."""
    row = {"自评得分": score, "完成情况": "推进中", "佐证材料": None, "存在问题": "问题", "整改措施": "措施", "责任人": "李强",
           "完成时限": dt.date(2027, 3, 31)}
    found = findings_of(small_rules, save, OFFICE, {"1.1": row})
    missing = [f for f in found if f.rule == "evidence.missing"]
    assert len(missing) == (1 if warned else 0)
    assert all(f.severity == "warning" for f in missing)


# ---------------------------------------------------------------- §3 size and row limits

def cells_in(path):
    """The cells a workbook holds (a value written), counted by openpyxl: the cell limit's unit."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return sum(1 for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def opens(path, limits, refused_as="file.too_large") -> bool:
    from scorecard.base.findings import FileProblem
    from scorecard.intake.safety import open_safely

    try:
        open_safely(path, limits)
    except FileProblem as problem:
        assert problem.finding.rule == refused_as
        return False
    return True


@pytest.mark.parametrize("step, ok", [(-1, False), (0, True), (1, True)])
def test_file_size_limit(tmp_path, step, ok):
    """§3 file.too_large: over the configured size (max_file_mb); a file of exactly that size is read."""
    from scorecard.rules import Limits
    from tests import hostile

    path = hostile.workbook(tmp_path / "a.xlsx")
    size = path.stat().st_size
    assert opens(path, Limits(max_file_mb=(size + step) / (1024 * 1024))) is ok


@pytest.mark.parametrize("step, ok", [(-1, False), (0, True), (1, True)])
def test_row_limit_per_sheet(tmp_path, step, ok):
    """§3 file.too_large: a sheet over max_rows. 自评表 here has 22 rows (a header, 20, a total)."""
    from scorecard.rules import Limits
    from tests import hostile

    path = hostile.workbook(tmp_path / "a.xlsx", rows=20)
    assert opens(path, Limits(max_rows=22 + step)) is ok


@pytest.mark.parametrize("step, ok", [(-1, False), (0, True), (1, True)])
def test_cell_limit_per_workbook(tmp_path, step, ok):
    from scorecard.rules import Limits
    from tests import hostile

    path = hostile.workbook(tmp_path / "a.xlsx", rows=20)
    assert opens(path, Limits(max_cells=cells_in(path) + step)) is ok


# ---------------------------------------------------------------- §12 computed indicators at target

def computed_score(tmp_path, method, values, target=8000):
    """办公室's score on 2.10 (max 2) computed from its rows of 学习强国积分 with these values."""
    from scorecard.intake import datasets
    from test_datasets import export, rules_with

    rules = rules_with(method, target=target)
    people = [(f"人{n}", OFFICE, v) for n, v in enumerate(values)]
    found = datasets.recognise(export(tmp_path / "x.xlsx", people), rules)
    return next(s for s in datasets.compute(rules, [found]).scores if s.department == OFFICE)


@pytest.mark.parametrize("value, meeting, score", [(7999, 0, 0), (8000, 1, 2), (8001, 1, 2)])
def test_share_counts_a_value_on_the_target(tmp_path, value, meeting, score):
    """§12 share = max × (rows with v ≥ target) / n."""
    s = computed_score(tmp_path, "share", [value])
    assert (s.rows, s.meeting, s.score) == (1, meeting, score)
    assert [p.value for p in s.below] == ([value] if value < 8000 else [])


@pytest.mark.parametrize("values, score", [((7000, 8998), 2 * 7999 / 8000), ((7000, 9000), 2), ((7000, 9002), 2)])
def test_mean_reaches_max_on_the_target(tmp_path, values, score):
    """§12 mean = max × min(1, mean(v) / target); the people below target are named (not for a sum)."""
    s = computed_score(tmp_path, "mean", values)
    assert s.score == pytest.approx(score)
    assert [p.value for p in s.below] == [v for v in values if v < 8000]


@pytest.mark.parametrize("values, score", [((3000, 4999), 2 * 7999 / 8000), ((3000, 5000), 2), ((3000, 5001), 2)])
def test_sum_reaches_max_on_the_target(tmp_path, values, score):
    """§12 sum = max × min(1, sum(v) / target); a sum has no per-person target."""
    s = computed_score(tmp_path, "sum", values)
    assert s.score == pytest.approx(score) and s.below == ()


@pytest.mark.parametrize("header_row, recognised", [(9, True), (10, True), (11, False)])
def test_a_data_header_is_looked_for_in_the_first_ten_rows(tmp_path, header_row, recognised):
    """§12: a sheet whose header row (within the first 10 rows) has the data's columns is that data."""
    import openpyxl

    from scorecard.intake import datasets
    from test_datasets import rules_with

    wb = openpyxl.Workbook()
    ws = wb.active
    for n in range(1, header_row):
        ws.append([f"说明第{n}行"])
    ws.append(["姓名", "所属部门", "积分"])
    ws.append(["张三", OFFICE, 9000])
    wb.save(tmp_path / "x.xlsx")
    found = datasets.recognise(tmp_path / "x.xlsx", rules_with())
    assert (found is not None) is recognised
    if recognised:
        assert found.tables[0].header_row == header_row and [r.person for r in found.tables[0].rows] == ["张三"]


# ---------------------------------------------------------------- resubmission, watch, mail

@pytest.mark.parametrize("start, days, due", [
    (dt.date(2027, 1, 7), 0, dt.date(2027, 1, 7)), (dt.date(2027, 1, 7), 1, dt.date(2027, 1, 8)),
    (dt.date(2027, 1, 7), 2, dt.date(2027, 1, 11)), (dt.date(2027, 1, 8), 1, dt.date(2027, 1, 11)),
    (dt.date(2027, 1, 9), 1, dt.date(2027, 1, 11)), (dt.date(2027, 1, 8), 3, dt.date(2027, 1, 13)),
])
def test_resubmit_days_are_working_days(start, days, due):
    """resubmit_days counts working days (Monday to Friday) after the day: Thursday 7 January 2027
    + 2 is Monday the 11th; Saturday + 1 is Monday."""
    from scorecard.base.text import add_working_days

    assert add_working_days(start, days) == due


@pytest.mark.parametrize("as_of, due", [(dt.date(2027, 1, 7), "2027-01-13"), (dt.date(2027, 1, 8), "2027-01-13"),
                                        (dt.date(2027, 1, 11), "2027-01-14")])
def test_resubmission_is_counted_from_the_first_run_or_a_later_as_of(small_rules, tmp_path, as_of, due):
    """The round is first run on Friday 8 January 2027: three working days from the later of that day
    and as_of (as_of on the day, the day before, the Monday after)."""
    import dataclasses

    from scorecard.operations.pipeline import run as pipeline_run

    inp = tmp_path / "input"
    inp.mkdir()
    filled(small_rules, OFFICE).save(inp / "a.xlsx")
    rules = dataclasses.replace(small_rules, as_of=as_of)
    summary = pipeline_run(rules, inp, tmp_path / "out", clock=lambda: dt.datetime(2027, 1, 8, 17)).summary
    assert summary["resubmit_by"] == due


@pytest.mark.parametrize("settle, runs_at", [(2.5, 3.0), (3, 3.0), (3.5, 4.0)])
def test_watch_runs_once_the_folder_has_been_unchanged_for_the_settle_time(small_rules, site, settle, runs_at):
    """The watcher looks every second (an injected clock): the folder changes at 0 and then stays; the
    run starts at the first look where it has been unchanged for `settle` seconds."""
    from scorecard.operations.pipeline import RunResult
    from scorecard.operations.watch import watch

    now, ran = [0.0], []

    def sleep(seconds):
        now[0] += 1.0

    watch(small_rules, site["inp"], site["out"], interval=1, settle=settle, max_runs=1, sleep=sleep,
          clock=lambda: now[0], run_fn=lambda *args, **kwargs: ran.append(now[0]) or RunResult({}, site["out"]),
          on_result=lambda *args: None)
    assert ran == [runs_at]


@pytest.mark.parametrize("step, state", [(-1, "failed"), (0, "pending"), (1, "pending")])
def test_a_message_of_exactly_the_size_limit_is_queued(tmp_path, step, state):
    """mail.max_mb: a message over the limit is held (failed, 邮件过大); one of exactly the limit goes."""
    from scorecard.mail.outbox import Entry, Outbox

    eml = b"Subject: x\r\n\r\n" + b"y" * 1000
    entry = Entry("第一轮", "bgs@example.gov.cn", "department", OFFICE, OFFICE, "h1", "<m1@x>", "主题", eml)
    box = Outbox(tmp_path)
    box.queue("第一轮", [entry], dt.datetime(2026, 12, 31, 9), max_bytes=len(eml) + step)
    assert [r.state for r in box.rows()] == [state]


@pytest.mark.parametrize("attempts, wait", [(1, 5), (2, 10), (3, 20), (7, 320), (8, 360), (30, 360)])
def test_retry_backoff_doubles_up_to_six_hours(attempts, wait):
    """A temporary failure is tried again after 5 minutes, doubling per attempt, at most 6 hours."""
    from scorecard.mail.outbox import backoff

    assert backoff(attempts) == dt.timedelta(minutes=wait)


@pytest.mark.parametrize("seconds, due", [(299, False), (300, True), (301, True)])
def test_a_message_waiting_for_its_retry_is_due_on_the_minute(tmp_path, seconds, due):
    """The watcher (honour_backoff) sends a message again from its next_attempt on: 5 minutes after
    the first failure; a person's `send` does not wait."""
    from scorecard.mail.outbox import Entry, Outbox

    failed_at = dt.datetime(2026, 12, 31, 9, 30)
    entry = Entry("第一轮", "bgs@example.gov.cn", "department", OFFICE, OFFICE, "h1", "<m1@x>", "主题", b"x")
    box = Outbox(tmp_path)
    box.queue("第一轮", [entry], failed_at, max_bytes=100)
    (row,) = box.rows()
    assert box.mark_retry(row.id, "451 greylisted", failed_at) == "2026-12-31T09:35:00"
    later = failed_at + dt.timedelta(seconds=seconds)
    assert [r.id for r in box.due(later, honour_backoff=True)] == ([row.id] if due else [])
    assert [r.id for r in box.due(later, honour_backoff=False)] == [row.id]


@pytest.mark.parametrize("step, ok", [(-1, False), (0, True), (1, True)])
def test_member_limit_of_the_zip(tmp_path, step, ok):
    """limits.max_members: a workbook (a zip) with more parts than that is unsafe (file.unreadable)."""
    import zipfile

    from scorecard.rules import Limits
    from tests import hostile

    path = hostile.workbook(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as zf:
        members = len(zf.infolist())
    assert opens(path, Limits(max_members=members + step), "file.unreadable") is ok


@pytest.mark.parametrize("step, ok", [(-1, False), (0, True), (1, True)])
def test_uncompressed_size_limit(tmp_path, step, ok):
    """limits.max_uncompressed_mb: what the workbook's parts inflate to, all together (a zip bomb:
    file.unreadable)."""
    import zipfile

    from scorecard.rules import Limits
    from tests import hostile

    path = hostile.workbook(tmp_path / "a.xlsx", rows=200)
    with zipfile.ZipFile(path) as zf:
        inflated = sum(info.file_size for info in zf.infolist())
    assert opens(path, Limits(max_uncompressed_mb=(inflated + step) / (1024 * 1024)), "file.unreadable") is ok


def test_a_data_header_may_start_after_blank_cells(tmp_path):
    """Exports often leave column A empty: the header row is found wherever its columns stand."""
    import openpyxl

    from scorecard.intake import datasets
    from test_datasets import rules_with

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, "姓名", None, "所属部门", "积分"])
    ws.append([None, "张三", None, OFFICE, 9000])
    wb.save(tmp_path / "x.xlsx")
    found = datasets.recognise(tmp_path / "x.xlsx", rules_with())
    assert found is not None and [r.person for r in found.tables[0].rows] == ["张三"]


def test_one_missing_data_leaves_the_other_computed_indicators_computed(tmp_path):
    """Two computed indicators on two data sources, only one export in the round: 2.2 (志愿服务时长)
    is pending (data.missing), 2.10 (学习强国积分) is computed all the same."""
    from scorecard.intake import datasets
    from test_datasets import DATA, export

    two = DATA + "  - {name: 志愿服务时长, columns: [姓名, 部门, 时长], department: 部门}\n"
    r = parse_rules(SMALL_RULES.replace("vetoes:\n", "data:\n" + two.split("data:\n", 1)[1] + "vetoes:\n")
                    .replace("departments: all}", "departments: all, computed: {data: 学习强国积分, value: 积分, "
                                                  "target: 8000, method: share}}")
                    .replace("departments: [机关党委], evidence: optional}", "departments: [机关党委], evidence: optional, "
                             "computed: {data: 志愿服务时长, value: 时长, target: 10, method: mean}}"), "two.yaml")
    found = datasets.recognise(export(tmp_path / "x.xlsx"), r)
    c = datasets.compute(r, [found])
    assert c.missing == ("2.2",)
    assert {(s.indicator, s.department) for s in c.scores} == {("2.10", d) for d in (OFFICE, PARTY, REGISTRY)}
    (missing,) = [f for f in c.findings if f.rule == "data.missing"]
    assert missing.severity == "warning"
    assert "志愿服务时长" in missing.message and "姓名、部门、时长" in missing.message and "2.2" in missing.message
    (no_rows,) = [f for f in c.findings if f.rule == "data.no_rows"]           # 登记注册科 is not in the export
    assert all(word in no_rows.message for word in (REGISTRY, "学习强国积分", "2.10", "全员参与"))


@pytest.mark.parametrize("age, copying", [(29.5, True), (30.0, False), (30.5, False)])
def test_a_broken_file_changed_within_the_settle_time_is_still_copying(small_rules, tmp_path, age, copying):
    """§3: a file changed in the last 30 seconds (the settle time) that cannot be opened is still
    copying (file.incomplete, skipped); one changed exactly 30 seconds ago or earlier is damaged."""
    import io
    import os

    from scorecard.operations.stages import _still_copying

    buffer = io.BytesIO()
    filled(small_rules, "机关党委").save(buffer)
    path = tmp_path / "机关党委.xlsx"
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    stamp = 1_800_000_000.0
    os.utime(path, (stamp, stamp))
    checked = check_file(path, small_rules)
    assert "file.unreadable" in [f.rule for f in checked.findings]
    skipped, rest = _still_copying([checked], 30.0, stamp + age)
    assert [[f.rule for f in p.checked.findings] for p in skipped] == ([["file.incomplete"]] if copying else [])
    assert len(rest) == (0 if copying else 1)
