"""Word reports: rendered from the sample summary and opened back with python-docx."""
from __future__ import annotations

import copy
import multiprocessing
import os
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm

from scorecard.reports import write as reports
from scorecard.reports.write import DEFAULT_TEMPLATES, ReportError, build_context, verdict_sentence, write_reports
from scorecard.reports.templatecheck import template_problems
from scorecard.base.text import fmt_number, safe_filename
from sample_summary import NO_INDICATORS, RETURNED, UNSUBMITTED, passing_summary, sample_summary

HOSTILE_LITERALS = ["{{ x }}", "{% if %}", "{% endif %}"]


def all_text(path: Path) -> str:
    """Every paragraph of a document: body, table cells (nested too), headers and footers."""
    document = docx.Document(str(path))
    parts = [t.text or "" for t in document.element.body.iter(qn("w:t"))]
    for section in document.sections:
        for story in (section.header, section.footer):
            parts += [t.text or "" for t in story._element.iter(qn("w:t"))]
    return "\n".join(parts)


def paragraphs_text(path: Path) -> str:
    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("|".join(c.text for c in row.cells))
    return "\n".join(lines)


def table_with_header(document, header: str):
    for table in document.tables:
        if header in [c.text for c in table.rows[0].cells]:
            return table
    raise AssertionError(f"no table with a {header} column")


def column(table, header: str) -> list[str]:
    index = [c.text for c in table.rows[0].cells].index(header)
    return [row.cells[index].text for row in table.rows[1:]]


@pytest.fixture(scope="module")
def summary():
    return sample_summary()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, summary):
    out = tmp_path_factory.mktemp("reports") / "staging"
    manifest = write_reports(copy.deepcopy(summary), out)
    return out, [out / r.path for r in manifest if r.reader != reports.RETURNED]


# ---------------------------------------------------------------- files

def test_every_output_is_written(rendered, summary):
    out, paths = rendered
    expected = {out / "汇总报告.docx", out / "问题清单.docx", out / "问题清单.xlsx"}
    expected |= {out / "部门报告" / f"{safe_filename(d['name'])}.docx" for d in summary["departments"]}
    assert set(paths) == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert len(list((out / "部门报告").glob("*.docx"))) == len(summary["departments"])


def test_summary_does_not_change_the_summary_dict(tmp_path, summary):
    before = copy.deepcopy(summary)
    write_reports(summary, tmp_path / "o")
    assert summary == before


# ---------------------------------------------------------------- 汇总报告

def test_verdict_sentence_with_the_total(rendered, summary):
    text = paragraphs_text(rendered[0] / "汇总报告.docx")
    verdict = verdict_sentence(summary)
    assert verdict in text
    assert f"本轮自评总分{fmt_number(summary['unit']['total'])}分" in verdict
    assert "一票否决" in verdict and "不能通过" in verdict


@pytest.mark.parametrize("unit, veto, expected", [
    (dict(score=84.5, bonus=3, total=87.5, veto=False, passed=False), False,
     "本轮自评总分87.5分（基础分84.5分、特色加分3分），合格线90分，未触发一票否决事项，尚未达到合格线，差2.5分。"),
    (dict(score=89, bonus=3, total=92, veto=False, passed=True), False,
     "本轮自评总分92分（基础分89分、特色加分3分），合格线90分，未触发一票否决事项，已达到合格线，高出2分。"),
    (dict(score=90, bonus=0, total=90, veto=False, passed=True), False,
     "本轮自评总分90分（基础分90分、特色加分0分），合格线90分，未触发一票否决事项，已达到合格线。"),
    (dict(score=92, bonus=1, total=93, veto=True, passed=False), True,
     "本轮自评总分93分（基础分92分、特色加分1分），合格线90分，但发生一票否决事项“V1 领导班子成员发生严重违纪违法”，"
     "本轮测评不能通过。"),
])
def test_verdict_variants(unit, veto, expected):
    summary = {"pass_score": 90, "unit": dict(unit, max=100),
               "vetoes": [{"code": "V1", "name": "领导班子成员发生严重违纪违法", "occurred": veto}]}
    assert verdict_sentence(summary) == expected


def test_item_and_ranking_tables(rendered, summary):
    document = docx.Document(str(rendered[0] / "汇总报告.docx"))
    items = table_with_header(document, "测评项目")
    # One row per item, then the 合计 row with the unit's score and max.
    assert column(items, "编号") == [i["code"] for i in summary["items"]] + [""]
    assert column(items, "测评项目")[-1] == "合计"
    assert column(items, "得分") == [fmt_number(i["score"]) for i in summary["items"]] + [
        fmt_number(summary["unit"]["score"])]
    assert column(items, "分值")[-1] == fmt_number(summary["unit"]["max"])
    ranking = table_with_header(document, "名次")          # the appendix: ranked departments only
    names = column(ranking, "部门")
    assert sorted(names) == sorted(d["name"] for d in summary["departments"] if d["rank"] is not None
                                   and d["name"] != UNSUBMITTED)
    ranks = [int(r) for r in column(ranking, "名次")]
    assert ranks == sorted(ranks)
    unranked = table_with_header(document, "原因")         # returned and missing, listed apart
    assert column(unranked, "部门") == [RETURNED, UNSUBMITTED] and column(unranked, "情况") == ["退回", "未报送"]


def test_summary_sections(rendered, summary):
    text = paragraphs_text(rendered[0] / "汇总报告.docx")
    assert "因存在错误被退回" in text and UNSUBMITTED in text
    assert "V2 发生重大安全生产责任事故" in text                       # the veto that occurred
    assert "12315“诉转案”工作获省局通报表扬" in text                   # a bonus
    assert "与上轮（2026年第三季度）相比" in text                       # history
    document = docx.Document(str(rendered[0] / "汇总报告.docx"))
    gaps = table_with_header(document, "存在问题")
    severities = column(gaps, "程度")
    assert len(severities) == min(reports.TOP_GAPS, len(summary["gaps"]))
    assert severities == sorted(severities, key=lambda s: s != "严重")  # 严重 first


def test_charts_are_inline_pictures_150mm(rendered):
    document = docx.Document(str(rendered[0] / "汇总报告.docx"))
    shapes = document.inline_shapes
    assert len(shapes) == 2
    for shape in shapes:
        assert abs(shape.width - Mm(150)) < Mm(1)
    with zipfile.ZipFile(rendered[0] / "汇总报告.docx") as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 2 and all(z.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in media)


def test_chart_fallback_without_chinese_font_adds_a_note(tmp_path, summary):
    write_reports(summary, tmp_path, chart_font=None)
    assert "图中以数字代替名称" in paragraphs_text(tmp_path / "汇总报告.docx")
    # Whether this machine has a Chinese font is asked of fontconfig, not of the code under test.
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        listed = ""
    if not listed:
        pytest.skip("no CJK font on this machine (fc-list :lang=zh is empty)")
    with_font = build_context(reports.SUMMARY_TEMPLATE, summary, None, chart_font="auto")
    assert with_font["chart_note"] == ""


# ---------------------------------------------------------------- every document

def test_no_template_tags_left_and_hostile_text_is_literal(rendered):
    out, paths = rendered
    for path in paths:
        if path.suffix != ".docx":
            continue
        text = all_text(path)
        for literal in HOSTILE_LITERALS:
            text = text.replace(literal, "")
        assert "{{" not in text and "{%" not in text and "%}" not in text, path.name
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        assert "{%tr" not in xml and "{%p" not in xml
        assert "\x07" not in xml


def test_hostile_department_text_is_shown_literally(rendered):
    out, _ = rendered
    office = paragraphs_text(out / "部门报告" / "办公室.docx")
    for literal in ("会议纪要缺少{{ x }}签字页 & 附件未装订", "{% if %}补签纪要{% endif %}，<b>加急</b>", "<b>张三</b>"):
        assert literal in office
    party = paragraphs_text(out / "部门报告" / "机关党委.docx")
    for literal in ("=SUM(A1)", "+1 每月复核一次", "@x", "-2 补齐记录", "材料未归档"):
        assert literal in party
    summary_text = paragraphs_text(out / "汇总报告.docx")
    assert "{{ x }} & <b>品牌</b> 获市直机关工委推广" in summary_text


def test_page_size_margins_and_footer(rendered):
    out, paths = rendered
    for path in paths:
        if path.suffix != ".docx":
            continue
        section = docx.Document(str(path)).sections[0]
        landscape = path.name == "问题清单.docx"
        width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
        assert abs(section.page_width - width) < Mm(0.5) and abs(section.page_height - height) < Mm(0.5)
        margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
        expected = [Mm(26), Mm(28), Mm(37), Mm(35)] if landscape else [Mm(37), Mm(35), Mm(28), Mm(26)]
        for got, want in zip(margins, expected):
            assert abs(got - want) < Mm(0.5), path.name
        footer = section.footer._element
        instr = "".join(t.text for t in footer.iter(qn("w:instrText")))
        assert "PAGE" in instr
        assert "— " in "".join(t.text or "" for t in footer.iter(qn("w:t")))


def test_tables_fit_between_the_margins_and_repeat_their_header(rendered):
    out, paths = rendered
    for path in paths:
        if path.suffix != ".docx":
            continue
        document = docx.Document(str(path))
        section = document.sections[0]
        text_width = section.page_width - section.left_margin - section.right_margin
        for table in document.tables:
            grid = sum(int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol")))
            assert grid * 635 <= text_width + Mm(0.5), path.name   # twips -> EMU
            assert table._tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None


def test_chinese_fonts_really_apply(rendered):
    document = docx.Document(str(rendered[0] / "汇总报告.docx"))
    styles = document.styles
    expected = {"Normal": "仿宋_GB2312", "Heading 1": "黑体", "Heading 2": "楷体_GB2312", "公文标题": "方正小标宋简体",
                "表格文字": "仿宋_GB2312", "页码": "宋体"}
    for name, east in expected.items():
        fonts = styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == east, name
        assert fonts.get(qn("w:ascii")) and fonts.get(qn("w:hAnsi"))
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    for fonts in styles.element.iter(qn("w:rFonts")):     # a theme font would override the names
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None
    normal = styles["Normal"]
    assert normal.font.size.pt == 16
    assert abs(normal.paragraph_format.line_spacing.pt - 28.95) < 0.01     # 22 lines in 225 mm
    assert normal.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    assert styles["公文标题"].font.size.pt == 22


# ---------------------------------------------------------------- 部门报告

def test_one_report_per_department(rendered, summary):
    out, _ = rendered
    for dept in summary["departments"]:
        text = paragraphs_text(out / "部门报告" / f"{safe_filename(dept['name'])}.docx")
        # A 通知 to the department (GB/T 9704: 关于…的通知, addressed to it, ending 特此通知).
        lines = text.split("\n")
        title = "".join(lines[:lines.index("")])
        assert title.startswith("关于") and title.endswith("的通知"), title
        assert f"{dept['name']}：" in lines and "特此通知。" in text
        assert "下一步工作" in text


def test_missing_and_returned_department_reports_say_so(rendered, summary):
    text = paragraphs_text(rendered[0] / "部门报告" / f"{UNSUBMITTED}.docx")
    assert "本部门本轮未报送自评表" in text and "不参与排名" in text
    assert "按创建办下发的自评表模板填报" in text
    path = rendered[0] / "部门报告" / f"{RETURNED}.docx"
    returned = paragraphs_text(path)
    assert "报送了自评表" in returned and "已退回" in returned and "不参与排名" in returned
    assert f"退回/{RETURNED}_退回.xlsx" in returned
    errors = [f for s in summary["submissions"] if s["department"] == RETURNED and s["status"] == "rejected"
              for f in s["findings"] if f["severity"] == "error"]
    table = table_with_header(docx.Document(str(path)), "问题及修改要求")
    assert column(table, "单元格") == [f["cell"] for f in errors]
    assert column(table, "问题及修改要求") == [f["message"] for f in errors]
    none = paragraphs_text(rendered[0] / "部门报告" / f"{NO_INDICATORS}.docx")
    assert "未承担测评指标" in none


def test_department_report_lists_its_indicators_and_rank(rendered, summary):
    document = docx.Document(str(rendered[0] / "部门报告" / "办公室.docx"))
    entries = [e for e in summary["entries"] if e["department"] == "办公室"]
    table = table_with_header(document, "测评指标")
    assert column(table, "测评指标") == [f"{e['indicator']} {e['name']}" for e in entries]
    dept = next(d for d in summary["departments"] if d["name"] == "办公室")
    text = paragraphs_text(rendered[0] / "部门报告" / "办公室.docx")
    assert f"第{dept['rank']}名" in text
    gaps = table_with_header(document, "存在问题")
    row = column(gaps, "指标").index("1.1 创建领导机构健全")
    # 1.1 is both a low score and past its deadline: one problem, one row with both kinds.
    mine = [g for g in summary["gaps"] if g["department"] == "办公室"]
    assert {g["kind"] for g in mine if g["indicator"] == "1.1"} == {"低分", "逾期"}
    assert column(gaps, "类型")[row] == "低分、逾期\n（严重）"
    assert column(gaps, "指标").count("1.1 创建领导机构健全") == 1
    assert len(column(gaps, "指标")) == len({(g["indicator"], g["kind"] in ("低分", "逾期", "佐证缺失")) for g in mine})


def test_passing_round_without_gaps(tmp_path):
    summary = passing_summary()
    write_reports(summary, tmp_path)
    text = paragraphs_text(tmp_path / "汇总报告.docx")
    assert "已达到合格线" in text and "本轮未发现问题短板。" in text
    assert "各部门均已按时报送自评表。" in text and "均未报告一票否决事项" in text
    assert "本轮未发现问题短板。" in paragraphs_text(tmp_path / "问题清单.docx")
    assert "请继续保持" in paragraphs_text(tmp_path / "部门报告" / "办公室.docx")


def test_department_file_names_are_safe_and_unique(tmp_path):
    summary = passing_summary()
    summary["departments"][0]["name"] = "标准化/计量科"
    summary["departments"][1]["name"] = "标准化_计量科"
    manifest = write_reports(summary, tmp_path)
    names = {Path(r.path).name for r in manifest if r.reader == reports.DEPARTMENT}
    assert "标准化_计量科.docx" in names and "标准化_计量科（2）.docx" in names
    assert len(names) == len(summary["departments"])


def test_control_characters_never_reach_the_xml(tmp_path):
    summary = passing_summary()
    summary["title"] = "测评\x01\x0b\ufffe标题"
    write_reports(summary, tmp_path)
    assert "测评标题情况的报告" in paragraphs_text(tmp_path / "汇总报告.docx")


# ---------------------------------------------------------------- templates

def edited_template(tmp_path: Path, name: str, edit) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    document = docx.Document(str(DEFAULT_TEMPLATES / name))
    edit(document)
    document.save(str(folder / name))
    return folder


def add_to_loop_row(document, header: str, text: str):
    table = table_with_header(document, header)
    table.rows[2].cells[-1].paragraphs[0].add_run(text)     # row 2 is the repeated row


def test_default_templates_have_no_problems():
    assert template_problems(None) == []


def test_template_problems_finds_unknown_variables_and_attributes(tmp_path):
    def edit(document):
        document.add_paragraph("{{ unknown_var }}")
        add_to_loop_row(document, "名次", "{{ d.nope }}")
    folder = edited_template(tmp_path, "汇总报告.docx", edit)
    problems = template_problems(folder)
    assert any("unknown_var" in p for p in problems)
    assert any("d.nope" in p for p in problems)
    assert all(p.startswith("汇总报告.docx") for p in problems)


def test_template_problems_in_a_department_table_loop(tmp_path):
    folder = edited_template(tmp_path, "部门报告.docx",
                             lambda d: add_to_loop_row(d, "测评指标", "{{ e.weight }}{{ dept.boss }}"))
    problems = template_problems(folder)
    assert len(problems) == 2 and all(p.startswith("部门报告.docx") for p in problems)
    assert any("e.weight" in p for p in problems) and any("dept.boss" in p for p in problems)


def test_template_problems_reports_syntax_errors(tmp_path):
    folder = edited_template(tmp_path, "问题清单.docx", lambda d: d.add_paragraph("{% if gaps %}没有结束"))
    problems = template_problems(folder)
    assert len(problems) == 1 and problems[0].startswith("问题清单.docx") and "语法错误" in problems[0]
    with pytest.raises(ReportError) as info:
        write_reports(passing_summary(), tmp_path / "out", folder)
    assert info.value.template == "问题清单.docx"


def test_missing_variable_raises_report_error(tmp_path):
    folder = edited_template(tmp_path, "汇总报告.docx", lambda d: add_to_loop_row(d, "名次", "{{ d.nope }}"))
    with pytest.raises(ReportError) as info:
        write_reports(passing_summary(), tmp_path / "out", folder)
    assert info.value.template == "汇总报告.docx"
    assert "nope" in info.value.message
    assert isinstance(info.value.__cause__, Exception)


def test_user_template_is_used_and_others_fall_back(tmp_path):
    folder = edited_template(tmp_path, "部门报告.docx", lambda d: d.add_paragraph("本局自定义部门模板{{ dept.name }}"))
    out = tmp_path / "out"
    write_reports(passing_summary(), out, folder)
    assert "本局自定义部门模板办公室" in paragraphs_text(out / "部门报告" / "办公室.docx")
    assert "本局自定义" not in paragraphs_text(out / "汇总报告.docx")


def test_a_broken_template_file_is_a_report_error(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "汇总报告.docx").write_bytes(b"not a zip")
    with pytest.raises(ReportError) as info:
        write_reports(passing_summary(), tmp_path / "out", folder)
    assert info.value.template == "汇总报告.docx"
    assert any(p.startswith("汇总报告.docx") for p in template_problems(folder))


def test_context_is_the_same_for_checks_and_renders(summary):
    """template_problems and write_reports both go through build_context: spot-check its keys."""
    context = build_context(reports.SUMMARY_TEMPLATE, summary, None, chart_font=None)
    for key in ("title", "organization", "round", "as_of", "verdict", "items", "ranking", "top_gaps",
                "unsubmitted_text", "vetoes_occurred", "bonuses", "chart_items", "chart_departments"):
        assert key in context
    dept = build_context(reports.DEPARTMENT_TEMPLATE, summary, None, UNSUBMITTED)["dept"]
    assert dept["submitted"] is False and dept["entries"] and dept["next_steps"]
    with pytest.raises(ValueError):
        build_context(reports.DEPARTMENT_TEMPLATE, summary, None, "不存在的部门")


def test_default_templates_are_committed():
    for name in reports.TEMPLATE_NAMES:
        assert (DEFAULT_TEMPLATES / name).is_file()


# ---------------------------------------------------------------- office pass and computed indicators

def office_summary() -> dict:
    """The sample summary plus the office's fields (§11) and a computed indicator (§12)."""
    s = sample_summary()
    s["resubmit_by"] = "2027-01-08"
    s["unit"]["self_score"] = s["unit"]["score"] + 1.5
    s["reviews"] = [{"department": "办公室", "indicator": "1.1", "self_score": 3.5, "score": 2,
                     "reason": "会议纪要缺签字页", "reviewer": "李明", "date": "2027-01-05"}]
    for k, g in enumerate(s["gaps"]):
        g["tracking"] = {"status": ["未整改", "整改中", "待核验"][k % 3], "note": "", "closed_on": None, "verifier": None}
    s["closed_gaps"][0]["tracking"] = {"status": "已销号", "note": "已整改", "closed_on": "2026-12-20",
                                       "verifier": "王建国"}
    s["computed"] = [{"indicator": "2.2", "department": "办公室", "rows": 42, "meeting": 38, "value": 38 / 42,
                      "score": 4.5, "below": [{"name": "张三", "value": 7420}, {"name": "李四", "value": 120}]}]
    for ind in s["indicators"]:
        if ind["code"] == "2.2":
            ind["computed"] = {"data": "学习强国积分", "value": "积分", "target": 8000, "method": "share"}
    s.pop("analysis")         # edited by hand above: let the renderer analyse what it is given
    return s


def test_office_pass_and_computed_basis_in_the_reports(tmp_path):
    summary = office_summary()
    write_reports(summary, tmp_path)
    office = docx.Document(str(tmp_path / "部门报告" / "办公室.docx"))
    text = paragraphs_text(tmp_path / "部门报告" / "办公室.docx")
    assert "42人中38人达到8,000分（占90.5%），得4.5分" in text
    assert "未达到目标的人员：张三（7,420分）、李四（120分）" in text
    reviews = table_with_header(office, "核定说明")
    assert column(reviews, "核定说明") == ["会议纪要缺签字页"] and column(reviews, "核定\n得分") == ["2"]
    gaps = table_with_header(office, "存在问题")
    assert set(column(gaps, "整改状态")) <= {"未整改", "整改中", "待核验"} and column(gaps, "整改状态")
    summary_text = paragraphs_text(tmp_path / "汇总报告.docx")
    assert "核减1项、共核减1.5分" in summary_text
    first = summary["closed_gaps"][0]
    assert (f"上轮问题本轮已整改销号{len(summary['closed_gaps'])}项（{first['department']}“{first['indicator']}”"
            f"{first['kind']}") in summary_text
    assert "未整改" in summary_text and "待核验" in summary_text
    listing = docx.Document(str(tmp_path / "问题清单.docx"))
    assert column(table_with_header(listing, "整改状态"), "整改状态")


def test_department_context_does_not_grow_with_other_departments():
    """The per-report part reads only its own rows: its size is the same in a bigger round."""
    small = sample_summary()
    big = copy.deepcopy(small)
    for k in range(50):
        big["departments"].append(dict(big["departments"][0], name=f"另一部门{k}", rank=None))
        big["gaps"] += [dict(g, department=f"另一部门{k}") for g in small["gaps"][:3]]
    a = build_context(reports.DEPARTMENT_TEMPLATE, small, None, "办公室")["dept"]
    b = build_context(reports.DEPARTMENT_TEMPLATE, big, None, "办公室")["dept"]
    assert a["gaps"] == b["gaps"] and a["entries"] == b["entries"]


def test_manifest_names_every_document_and_its_reader(tmp_path):
    summary = sample_summary()
    returned = next(s["returned"] for s in summary["submissions"] if s["status"] == "rejected" and s.get("returned"))
    (tmp_path / returned).parent.mkdir(parents=True)
    (tmp_path / returned).write_bytes(b"copy")          # written by the pipeline before the reports
    manifest = write_reports(summary, tmp_path)
    by_reader = {}
    for record in manifest:
        assert (tmp_path / record.path).is_file() and not Path(record.path).is_absolute()
        by_reader.setdefault(record.reader, []).append(record)
    assert [r.path for r in by_reader["leaders"]] == ["汇总报告.docx"]
    assert {r.path for r in by_reader["office"]} == {"问题清单.docx", "问题清单.xlsx"}
    assert [r.department for r in by_reader["department"]] == [d["name"] for d in summary["departments"]]
    assert [(r.path, r.department) for r in by_reader["returned"]] == [(returned, RETURNED)]
    assert manifest[0].to_dict() == {"path": "汇总报告.docx", "reader": "leaders", "department": None}


def many_departments() -> dict:
    summary = passing_summary()
    base = summary["departments"][0]
    summary["departments"] += [dict(base, name=f"{base['name']}{k}") for k in range(reports.PARALLEL_FROM)]
    return summary


def test_department_reports_in_a_process_pool_match_those_rendered_here(tmp_path):
    summary = many_departments()
    here = write_reports(summary, tmp_path / "here", workers=1)
    pooled = write_reports(summary, tmp_path / "pool", workers=2)
    assert here == pooled
    for record in here:
        if record.reader == reports.DEPARTMENT:
            assert paragraphs_text(tmp_path / "here" / record.path) == paragraphs_text(tmp_path / "pool" / record.path)


def test_a_template_error_in_a_worker_is_a_report_error(tmp_path):
    summary = many_departments()
    folder = edited_template(tmp_path, "部门报告.docx", lambda d: d.add_paragraph("{{ dept.nope }}"))
    with pytest.raises(ReportError) as info:
        write_reports(summary, tmp_path / "out", folder, workers=2)
    assert info.value.template == "部门报告.docx" and "nope" in info.value.message


@pytest.mark.parametrize("workers", [1, 2])
def test_alongside_runs_once_in_this_process_with_and_without_a_pool(tmp_path, workers):
    calls = []
    manifest = write_reports(many_departments(), tmp_path, workers=workers, alongside=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]
    assert all((tmp_path / r.path).is_file() for r in manifest)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_of_alongside_propagates_once_the_pool_is_closed(tmp_path, workers):
    class Stop(Exception):
        pass

    def alongside():
        raise Stop("核定表")

    with pytest.raises(Stop):
        write_reports(many_departments(), tmp_path, workers=workers, alongside=alongside)
    assert multiprocessing.active_children() == []


def test_a_gap_list_template_error_in_the_pool_is_a_report_error(tmp_path):
    folder = edited_template(tmp_path, "问题清单.docx", lambda d: d.add_paragraph("{{ gap_groups.nope }}"))
    with pytest.raises(ReportError) as info:
        write_reports(many_departments(), tmp_path / "out", folder, workers=2)
    assert info.value.template == "问题清单.docx" and "nope" in info.value.message
    assert len(list((tmp_path / "out" / "部门报告").glob("*.docx"))) == len(many_departments()["departments"])
