"""Evidence files in a run (CONTRACT §13), end to end: found in a department's folder and in a GBK
zip, typed by content, judged (counted, kind, rule ids, taken_on, pages), reuse and stale photos
flagged, the gaps (佐证缺失 saying what is missing, 佐证存疑), the findings with the department's
submission, the binder (counted files only, nothing outside it), both indexes, inputs unchanged,
and a rerun after one more file."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import SMALL_RULES, filled, full_marks
from scorecard.forms.evidence_samples import gbk_zip as sample_zip
from scorecard.operations.pipeline import run
from scorecard.rules import parse_rules

RULES_TEXT = SMALL_RULES.replace(
    "      - {code: \"1.1\", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, departments: [办公室, 机关党委]}",
    "      - code: \"1.1\"\n        name: 创建领导机构健全\n        max: 4\n        method: 材料审核\n        criteria: 成立领导小组\n"
    "        departments: [办公室, 机关党委]\n"
    "        evidence: {required: true, kinds: [image], min_files: 2, note: 活动照片不少于2张}") + """\
evidence:
  files: optional
  period_start: 2026-10-01
"""
NOW = dt.datetime(2026, 12, 31, 9)


def photo(seed: int, taken: str | None = "2026:11:03 10:00:00", size=(640, 480)) -> bytes:
    """A JPEG with structure (a different scene for each seed) and an EXIF date."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    im = Image.new("RGB", size, (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.rectangle([x, y, x + rnd.randrange(40, 240), y + rnd.randrange(40, 200)],
                       fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
        exif[306] = taken
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


def gbk_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip as Chinese Windows writes it: GBK names, no UTF-8 flag."""
    path.write_bytes(sample_zip(members))


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def world(tmp_path):
    rules = parse_rules(RULES_TEXT)
    inp, out = tmp_path / "input", tmp_path / "output"
    office = inp / "办公室"
    (office / "佐证材料" / "指标1.1").mkdir(parents=True)
    filled(rules, "办公室").save(office / "办公室.xlsx")
    shared = photo(1)
    (office / "佐证材料" / "1.1_活动照片1.jpg").write_bytes(shared)
    (office / "佐证材料" / "指标1.1" / "活动照片2.jpg").write_bytes(photo(2))
    (office / "佐证材料" / "1.2_责任分解方案.pdf").write_bytes(b"%PDF-1.4 broken")        # truncated PDF
    (office / "佐证材料" / "说明.jpg").write_bytes(photo(3))                              # no indicator code
    # 机关党委: its workbook flat in input/, its evidence in a GBK zip: one photo is 办公室's, one from 2025,
    # and a "PDF" that is a zip. 1.1 has two photos (both counted, both doubtful).
    filled(rules, "机关党委", rows=full_marks(rules, "机关党委", **{"1.2": {"佐证材料": ""}})).save(inp / "机关党委.xlsx")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("a.txt", "not a pdf")
    gbk_zip(inp / "机关党委_佐证材料.zip", {"1.1-1 活动照片.jpg": shared, "1.1-2 去年照片.jpg": photo(4, "2025:06:01 09:00:00"),
                                       "1.2_会议纪要.pdf": inner.getvalue()})
    # 登记注册科: its workbook only, no evidence
    filled(rules, "登记注册科").save(inp / "登记注册科.xlsx")
    return {"rules": rules, "input": inp, "output": out}


def go(world, clock=NOW):
    done = run(world["rules"], world["input"], world["output"], as_of=dt.date(2026, 12, 31), clock=lambda: clock,
               workers=1)
    return done, json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))


def by_file(summary) -> dict[tuple[str, str], dict]:
    return {(e["department"], e["file"]): e for e in summary["evidence"]}


def rules_of(entry) -> list[str]:
    return [f["rule"] for f in entry["findings"]]


def test_every_file_is_typed_and_judged(world):
    before = tree_digest(world["input"])
    done, s = go(world)
    files = by_file(s)
    assert set(files) == {("办公室", "1.1_活动照片1.jpg"), ("办公室", "指标1.1/活动照片2.jpg"),
                          ("办公室", "1.2_责任分解方案.pdf"), ("办公室", "说明.jpg"),
                          ("机关党委", "1.1-1 活动照片.jpg"), ("机关党委", "1.1-2 去年照片.jpg"),
                          ("机关党委", "1.2_会议纪要.pdf")}
    one = files[("办公室", "1.1_活动照片1.jpg")]
    assert (one["indicator"], one["kind"], one["type"], one["counted"], one["taken_on"]) == (
        "1.1", "image", "jpg", True, "2026-11-03")
    assert (one["width"], one["height"]) == (640, 480) and rules_of(one) == ["evidence.duplicate"]
    assert files[("办公室", "指标1.1/活动照片2.jpg")]["indicator"] == "1.1"
    assert rules_of(files[("办公室", "指标1.1/活动照片2.jpg")]) == []
    assert rules_of(files[("办公室", "1.2_责任分解方案.pdf")]) == ["evidence.unreadable"]
    assert not files[("办公室", "1.2_责任分解方案.pdf")]["counted"]
    assert rules_of(files[("办公室", "说明.jpg")]) == ["evidence.unassigned"]
    party = files[("机关党委", "1.1-1 活动照片.jpg")]
    assert party["counted"] and rules_of(party) == ["evidence.duplicate"] and "办公室" in party["findings"][0]["message"]
    old = files[("机关党委", "1.1-2 去年照片.jpg")]
    assert old["counted"] and rules_of(old) == ["evidence.dated_before"] and old["taken_on"] == "2025-06-01"
    fake = files[("机关党委", "1.2_会议纪要.pdf")]
    assert rules_of(fake) == ["evidence.type_mismatch"] and not fake["counted"] and fake["type"] == "zip"
    assert all(f["sheet"] == "佐证材料" and f["cell"] == e["file"] for e in s["evidence"] for f in e["findings"])
    # nothing of the evidence was read as a workbook
    assert {sub["file"].rsplit("/", 1)[-1] for sub in s["submissions"]} == {"办公室.xlsx", "机关党委.xlsx", "登记注册科.xlsx"}
    assert tree_digest(world["input"]) == before                            # inputs never changed


def test_tallies_gaps_and_findings_go_with_the_departments(world):
    done, s = go(world)
    tallies = {(t["department"], t["indicator"]): t for t in s["evidence_summary"]}
    assert tallies[("办公室", "1.1")] == {"department": "办公室", "indicator": "1.1", "files": 2, "required": True,
                                         "min_files": 2, "ok": True}
    assert tallies[("机关党委", "1.1")]["ok"] and tallies[("机关党委", "1.1")]["files"] == 2
    # 机关党委 1.2: no file counted and nothing typed in its 佐证材料 column: 佐证缺失 (the workbook's warning)
    assert not tallies[("机关党委", "1.2")]["ok"]
    gaps = {(g["kind"], g["department"], g["indicator"]): g for g in s["gaps"]}
    assert ("佐证存疑", "机关党委", "1.1") in gaps and ("佐证存疑", "办公室", "1.1") in gaps
    assert "1个文件与其他部门或往轮材料重复" in gaps[("佐证存疑", "机关党委", "1.1")]["note"]
    assert "拍摄日期早于本轮" in gaps[("佐证存疑", "机关党委", "1.1")]["note"]
    assert ("佐证缺失", "机关党委", "1.2") in gaps
    assert ("佐证缺失", "办公室", "1.1") not in gaps
    subs = {sub["file"].rsplit("/", 1)[-1]: sub for sub in s["submissions"]}
    party = [f for f in subs["机关党委.xlsx"]["findings"] if f["sheet"] == "佐证材料"]
    assert sorted(f["rule"] for f in party) == ["evidence.dated_before", "evidence.duplicate", "evidence.type_mismatch"]
    assert subs["机关党委.xlsx"]["status"] == "accepted"                  # evidence errors never reject the workbook


def test_too_few_photos_say_what_is_missing(world):
    (world["input"] / "办公室" / "佐证材料" / "指标1.1" / "活动照片2.jpg").unlink()
    done, s = go(world)
    gaps = {(g["kind"], g["department"], g["indicator"]): g for g in s["gaps"]}
    assert gaps[("佐证缺失", "办公室", "1.1")]["note"] == "需照片2张，现有1张"
    office = next(sub for sub in s["submissions"] if sub["file"].endswith("办公室.xlsx"))
    [few] = [f for f in office["findings"] if f["rule"] == "evidence.too_few"]
    assert "需照片2张" in few["message"] and "现有1张" in few["message"] and "活动照片不少于2张" in few["message"]


def test_the_binder_holds_the_counted_files_only_and_the_indexes_list_every_file(world):
    done, s = go(world)
    binder = done.round_dir / "佐证材料"
    filed = sorted(p.relative_to(done.round_dir).as_posix() for p in binder.rglob("*") if p.is_file())
    counted = sorted(e["binder"] for e in s["evidence"] if e["counted"])
    assert filed == counted and len(filed) == 4
    assert all(e["binder"] is None for e in s["evidence"] if not e["counted"])
    assert "佐证材料/一 领导班子建设/1.1 创建领导机构健全/办公室_1.1_活动照片1.jpg" in filed
    assert (done.round_dir / next(f for f in filed if "去年照片" in f)).read_bytes() == photo(4, "2025:06:01 09:00:00")
    assert all(binder in (done.round_dir / f).resolve().parents for f in filed)
    ws = openpyxl.load_workbook(done.round_dir / "佐证材料目录.xlsx")["佐证材料目录"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(rows) == len(s["evidence"]) and ws.auto_filter.ref and ws.freeze_panes == "A2"
    titles = [c.value for c in ws[1]]
    linked = [ws.cell(r, titles.index("文件") + 1).hyperlink for r in range(2, ws.max_row + 1)]
    assert sorted(h.target for h in linked if h is not None) == counted
    import docx

    doc = docx.Document(done.round_dir / "佐证材料目录.docx")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "7个" in text and "计入4个" in text and len(doc.inline_shapes) == 4
    table = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "会议纪要.pdf" in table and "缺失或不足：计入0个，至少需1个" in table and "说明.jpg" in table


def test_a_rerun_reads_nothing_again_and_one_more_file_counts(world, monkeypatch):
    from scorecard.operations import evidence as stage

    go(world)
    typed = []
    real = stage.inspect
    monkeypatch.setattr(stage, "inspect", lambda name, data, **kw: typed.append(name) or real(name, data, **kw))
    (world["input"] / "办公室" / "佐证材料" / "1.2_会议记录.jpg").write_bytes(photo(9))
    done, s = go(world, NOW + dt.timedelta(minutes=5))
    assert typed == ["1.2_会议记录.jpg"]                  # the others' types come from the ledger
    assert (done.round_dir / "佐证材料目录.docx").is_file()
    files = by_file(s)
    assert files[("办公室", "1.2_会议记录.jpg")]["counted"]
    tallies = {(t["department"], t["indicator"]): t for t in s["evidence_summary"]}
    assert tallies[("办公室", "1.2")]["files"] == 1 and tallies[("办公室", "1.2")]["ok"]


def test_a_photo_from_an_earlier_round_is_named_as_such(world):
    go(world)
    (world["input"] / "办公室" / "佐证材料" / "1.2_会议记录.jpg").write_bytes(photo(2))   # 办公室's own, last round
    done = run(world["rules"], world["input"], world["output"], as_of=dt.date(2026, 12, 31),
               clock=lambda: NOW + dt.timedelta(days=1), workers=1, round_name="第二轮")
    s = json.loads((done.round_dir / "summary.json").read_text(encoding="utf-8"))
    entry = by_file(s)[("办公室", "1.2_会议记录.jpg")]
    assert "evidence.duplicate" in rules_of(entry) and "第一轮" in entry["findings"][0]["message"]


def test_the_departments_message_lists_its_evidence_problems(world):
    from scorecard.mail import messages

    done, s = go(world)
    drafts = {d.reader: d for d in messages.plan(world["rules"], done.round_dir) if d.kind == "report"}
    party = drafts["机关党委"].text
    assert "贵部门报送的佐证材料有以下问题" in party
    assert "1.2_会议纪要.pdf：文件“1.2_会议纪要.pdf”的内容与文件名不符" in party
    assert "1.1-2 去年照片.jpg：照片“1.1-2 去年照片.jpg”的拍摄日期为2025年6月1日" in party
    assert "<li>1.1-1 活动照片.jpg：文件“1.1-1 活动照片.jpg”与办公室的文件" in drafts["机关党委"].html
    assert "佐证材料有以下问题" not in drafts["登记注册科"].text


def test_the_template_shows_what_evidence_an_indicator_asks_for():
    from scorecard.forms.template import build_template

    rules = parse_rules(RULES_TEXT)
    ws = build_template(rules, "办公室", today=dt.date(2026, 12, 1))["自评表"]
    titles = [c.value for c in ws[1]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    criteria = rows["1.1"][titles.index("测评标准")].value
    assert criteria.startswith("成立领导小组\n【佐证材料】必需，照片≥2：活动照片不少于2张")
    assert "文件名以“1.1”开头" in criteria
    assert rows["1.2"][titles.index("测评标准")].value == "分解到人"       # the default rule: nothing added


def test_the_department_report_lists_its_evidence_problems(world):
    import docx

    done, s = go(world)
    doc = docx.Document(done.round_dir / "部门报告" / "机关党委.docx")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "你部门报送的佐证材料有3处需要补充或更换（不影响自评表的审核）：" in text
    table = next(t for t in doc.tables if t.rows[0].cells[-1].text == "问题及要求")
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[1] for r in rows] == ["1.1-1 活动照片.jpg", "1.1-2 去年照片.jpg", "1.2_会议纪要.pdf"]
    assert "内容与文件名不符" in rows[2][2]
    office = docx.Document(done.round_dir / "部门报告" / "登记注册科.docx")
    assert "佐证材料有" not in "\n".join(p.text for p in office.paragraphs)
