"""Judging evidence (CONTRACT §13) on and either side of each of its lines: min_files, max_file_mb,
max_total_mb, period_start and the near-copy threshold; kinds, assignment, reuse across departments
and rounds. Pure: sources and inspections are built here, no files."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import SMALL_RULES
from scorecard.evidence.find import Source
from scorecard.evidence.inspect import SIMILAR_BITS, Inspection
from scorecard.evidence.judge import Earlier, Read, judge, wanted
from scorecard.rules import parse_rules

MB = 1024 * 1024


def rules_with(top: str = "", rule: str = "{required: true, kinds: [image], min_files: 2, note: 活动照片}"):
    text = SMALL_RULES.replace(
        '      - {code: "1.1", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, departments: [办公室, 机关党委]}',
        '      - {code: "1.1", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, '
        f'departments: [办公室, 机关党委], evidence: {rule}}}')
    return parse_rules(text + top)


def photo(dept="办公室", path="1.1_照片1.jpg", indicator="1.1", size=1000, sha=None, taken="2026-11-03",
          dhash="0f0f0f0f0f0f0f0f", kind="image", type_="jpg"):
    source = Source(dept, path, indicator, size, Path("/nowhere"))
    ins = Inspection(kind, type_, None, "", None, 640, 480, taken, dhash if kind == "image" else None)
    return Read(source, sha or f"{dept}{path}", ins)


def run(rules, reads, earlier=(), score=4.0, text=True):
    scores = {(d, i.code): score for d in rules.department_names() for i in rules.indicators_of(d)}
    texts = {k: text for k in scores}
    return judge(rules, reads, scores=scores, texts=texts, earlier=earlier)


def tally(outcome, dept="办公室", code="1.1"):
    return next(t for t in outcome.tallies if (t.department, t.indicator) == (dept, code))


def rules_of(outcome, path, dept="办公室"):
    return [f.rule for j in outcome.files if (j.department, j.file) == (dept, path) for f in j.findings]


@pytest.mark.parametrize("count, ok", [(1, False), (2, True), (3, True)])
def test_min_files_one_fewer_exactly_and_one_more(count, ok):
    r = rules_with()
    out = run(r, [photo(path=f"1.1_照片{k}.jpg", dhash=f"{k:016x}") for k in range(count)])
    t = tally(out)
    assert (t.files, t.ok) == (count, ok)
    assert t.missing == ("" if ok else "需照片2张，现有1张")
    few = [f for f in out.findings.get("办公室", ()) if f.rule == "evidence.too_few"]
    assert bool(few) == (not ok)


@pytest.mark.parametrize("size, counted", [(MB - 1, True), (MB, True), (MB + 1, False)])
def test_max_file_mb_exactly_the_limit_is_counted(size, counted):
    r = rules_with("evidence:\n  max_file_mb: 1\n  max_total_mb: 10\n")
    out = run(r, [photo(size=size)])
    assert out.files[0].counted is counted
    assert rules_of(out, "1.1_照片1.jpg") == ([] if counted else ["evidence.too_large"])


@pytest.mark.parametrize("second, counted", [(MB - 1, True), (MB, True), (MB + 1, False)])
def test_max_total_mb_exactly_the_limit_is_counted(second, counted):
    """Two files of one department against max_total_mb 2: the second fills it up to the limit,
    or one byte over (then it is not counted; the first still is)."""
    r = rules_with("evidence:\n  max_file_mb: 2\n  max_total_mb: 2\n")
    out = run(r, [photo(size=MB), photo(path="1.1_照片2.jpg", size=second, dhash="ffff0000ffff0000")])
    assert [j.counted for j in out.files] == [True, counted]
    messages = " ".join(f.message for f in out.files[1].findings)
    assert ("使本部门佐证材料合计超过2 MB的上限" in messages) is (not counted)


@pytest.mark.parametrize("taken, stale", [("2026-09-30", True), ("2026-10-01", False), ("2026-10-02", False)])
def test_period_start_the_day_before_on_the_day_and_after(taken, stale):
    r = rules_with("evidence:\n  period_start: 2026-10-01\n")
    out = run(r, [photo(taken=taken)])
    assert rules_of(out, "1.1_照片1.jpg") == (["evidence.dated_before"] if stale else [])
    assert out.files[0].counted                          # a warning: still counted, its indicator doubtful
    assert ("拍摄日期早于本轮" in tally(out).doubt) is stale


@pytest.mark.parametrize("bits, similar", [(SIMILAR_BITS - 1, True), (SIMILAR_BITS, True), (SIMILAR_BITS + 1, False)])
def test_a_near_copy_is_within_the_threshold_of_bits(bits, similar):
    base = 0x0123456789ABCDEF
    other = base ^ ((1 << bits) - 1)                   # `bits` bits differ
    out = run(rules_with(), [photo(dhash=f"{base:016x}"), photo("机关党委", "1.1_照片.jpg", dhash=f"{other:016x}")])
    assert rules_of(out, "1.1_照片.jpg", "机关党委") == (["evidence.similar"] if similar else [])
    assert rules_of(out, "1.1_照片1.jpg") == (["evidence.similar"] if similar else [])


def test_the_same_bytes_from_two_departments_or_an_earlier_round_are_duplicates():
    out = run(rules_with(), [photo(sha="s1"), photo("机关党委", "1.1-1 照片.jpg", sha="s1")])
    assert rules_of(out, "1.1_照片1.jpg") == ["evidence.duplicate"]
    [f] = [f for j in out.files if j.department == "机关党委" for f in j.findings]
    assert "办公室的文件“1.1_照片1.jpg”" in f.message and f.cell == "1.1-1 照片.jpg" and f.sheet == "佐证材料"
    old = run(rules_with(), [photo(sha="s9")], earlier=[Earlier("第一轮", "办公室", "1.1_旧照片.jpg", "s9")])
    assert "第一轮办公室的文件“1.1_旧照片.jpg”" in old.files[0].findings[0].message


def test_the_same_bytes_twice_in_one_department_are_not_a_duplicate():
    out = run(rules_with(), [photo(sha="s1"), photo(path="指标1.1/照片.jpg", sha="s1")])
    assert all(not j.findings for j in out.files)


def test_kinds_wrong_kind_unassigned_and_another_departments_indicator():
    r = rules_with()
    reads = [photo(path="1.1_方案.pdf", kind="document", type_="pdf"), photo(path="照片.jpg", indicator=None),
             photo(path="2.2_照片.jpg", indicator="2.2"), photo(path="1.1_包.zip", kind=None, type_="zip")]
    out = run(r, reads)
    assert rules_of(out, "1.1_方案.pdf") == ["evidence.wrong_kind"]
    assert "是文件，指标“1.1”要求的佐证材料是照片" in out.files[0].findings[0].message
    assert rules_of(out, "照片.jpg") == ["evidence.unassigned"]
    assert rules_of(out, "2.2_照片.jpg") == ["evidence.unassigned"]      # 2.2 is 机关党委's alone
    assert "对应的指标“2.2”不是本部门负责的指标" in out.files[2].findings[0].message
    assert rules_of(out, "1.1_包.zip") == ["evidence.wrong_kind"] and "压缩包" in out.files[3].findings[0].message
    assert not any(j.counted for j in out.files)


def test_files_required_needs_a_file_even_with_the_column_filled():
    r = rules_with("evidence:\n  files: required\n")
    out = run(r, [], text=True)
    missing = [f for f in out.findings["办公室"] if f.rule == "evidence.missing"]
    assert len(missing) == 4                       # 1.1, 1.2, 2.1 and 2.10: each asks for a file
    [f] = [f for f in missing if "指标“1.1”" in f.message]
    assert "需照片2张" in f.message and tally(out).missing == "需照片2张，现有0张"
    optional = run(rules_with(), [], text=True)
    assert tally(optional).ok and "办公室" not in optional.findings


def test_nothing_is_asked_of_a_zero_score_or_an_optional_rule():
    assert tally(run(rules_with(), [], score=0, text=False)).ok
    assert tally(run(rules_with(rule="optional"), [], text=False)).ok


def test_wanted_words():
    assert wanted(["image"], 2) == "需照片2张" and wanted(["document"], 1) == "需文件1份"
    assert wanted(["image", "document"], 3) == "需照片或文件3个" and wanted(["any"], 1) == "需材料1个"


# ---------------------------------------------------------------- what each finding says, whole

def test_each_finding_says_what_is_wrong_and_what_to_send():
    r = rules_with("evidence:\n  max_file_mb: 1\n  files: required\n")
    reads = [photo(path="照片.jpg", indicator=None), photo(path="2.2_照片.jpg", indicator="2.2"),
             photo(path="1.1_大图.jpg", size=2 * MB), photo(path="1.1_方案.pdf", kind="document", type_="pdf")]
    out = run(r, reads)
    said = {j.file: [f.message for f in j.findings] for j in out.files}
    assert said["照片.jpg"] == ["文件“照片.jpg”的文件名和所在文件夹名都没有指标编号，未计入佐证材料。请在文件名或所在文件夹名开头"
                               "写上本部门负责的指标编号（如“1.1_会议纪要.pdf”“指标1.1/照片1.jpg”）。"]
    assert said["2.2_照片.jpg"][0].startswith("文件“2.2_照片.jpg”对应的指标“2.2”不是本部门负责的指标，未计入佐证材料。")
    assert said["1.1_大图.jpg"] == ["文件“1.1_大图.jpg”大小为2 MB，超过单个文件1 MB的上限，未计入佐证材料。"
                                   "请压缩（如照片缩小、PDF 降低分辨率）或删减后重新报送。"]
    assert said["1.1_方案.pdf"] == ["文件“1.1_方案.pdf”是文件，指标“1.1”要求的佐证材料是照片，本文件不计入。要求：活动照片。"]
    assert all(f.value == j.file.rsplit("/", 1)[-1] and f.cell == j.file for j in out.files for f in j.findings)
    [missing] = [f for f in out.findings["办公室"] if f.rule == "evidence.missing" and "“1.1”" in f.message]
    assert missing.message == ("指标“1.1”得分4分，但没有报送佐证材料文件（需照片2张）。要求：活动照片。请把材料放入“佐证材料”"
                               "文件夹，文件名以指标编号开头（如“1.1_会议纪要.pdf”）后重新报送。")
    assert missing.sheet == "佐证材料" and missing.severity == "warning"
    few = run(rules_with(), [photo()]).findings["办公室"]
    assert [f.message for f in few] == ["指标“1.1”的佐证材料不足：需照片2张，现有1张。要求：活动照片。请补充后重新报送。"]
    assert few[0].sheet == "佐证材料"


def test_a_file_not_counted_takes_nothing_of_the_departments_total():
    """An unreadable 1.5 MB file does not use up max_total_mb 2: the 1 MB photo after it counts."""
    r = rules_with("evidence:\n  max_file_mb: 2\n  max_total_mb: 2\n")
    broken = Read(Source("办公室", "1.1_坏.jpg", "1.1", MB + MB // 2, Path("/nowhere")), "s0",
                  Inspection(None, "jpg", "evidence.unreadable", "文件已损坏"))
    out = run(r, [broken, photo(size=MB)])
    assert [j.counted for j in out.files] == [False, True]


def test_a_near_copy_of_an_earlier_rounds_photo_is_named():
    base = 0x0123456789ABCDEF
    earlier = [Earlier("第一轮", "机关党委", "1.1_去年.jpg", "old", f"{base ^ 0b111:016x}")]
    out = run(rules_with(), [photo(dhash=f"{base:016x}")], earlier=earlier)
    [f] = out.files[0].findings
    assert f.rule == "evidence.similar" and "第一轮机关党委的图片“1.1_去年.jpg”" in f.message
    far = run(rules_with(), [photo(dhash=f"{base:016x}")],
              earlier=[Earlier("第一轮", "机关党委", "1.1_去年.jpg", "old", f"{base ^ ((1 << 12) - 1):016x}")])
    assert far.files[0].findings == ()


def test_a_duplicate_is_not_also_called_a_near_copy():
    out = run(rules_with(), [photo(sha="s1"), photo("机关党委", "1.1_同.jpg", sha="s1"),
                             photo("机关党委", "1.1_近.jpg", sha="s2", dhash="0f0f0f0f0f0f0f0e")])
    assert rules_of(out, "1.1_照片1.jpg") == ["evidence.duplicate"]
    assert rules_of(out, "1.1_同.jpg", "机关党委") == ["evidence.duplicate"]
    assert rules_of(out, "1.1_近.jpg", "机关党委") == ["evidence.similar"]


def test_a_score_below_one_still_asks_for_evidence_and_a_tally_is_whole():
    t = tally(run(rules_with(), [], score=0.5, text=False))
    assert (t.files, t.required, t.min_files, t.ok, t.missing) == (0, True, 2, False, "得分但未填写佐证材料")
    zero = tally(run(rules_with(), [photo()], score=0))
    assert (zero.files, zero.required, zero.min_files, zero.ok) == (1, True, 2, True)
    optional = tally(run(rules_with(rule="optional"), [photo()]))
    assert (optional.files, optional.required, optional.ok) == (1, False, True)
