"""Issue 20: the documents read as their readers read them (a real run of the bundled examples).

Facts (the loss list, one row per problem, computed indicators, default measures), the 通知 form,
GB/T 9704 details (numbering, 附件, 署名/成文日期, quotes, title breaks), widths from the text,
the workbooks as printed (print area, scale, margins, page numbers) and the messages. Where the
layout is the point, the pages are rendered through LibreOffice (installed in CI) and read back
with pdftotext: the last page of a report holds more than its closing.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from conftest import ROOT
from scorecard.scoring import analysis
from scorecard.reports import docfinish, docstyle
from scorecard.base import formatting
from scorecard.mail import messages as mail
from scorecard.cli import main
from scorecard.mail.delivery import deliver
from scorecard.rules import load_rules
from scorecard.xlsx.util import MIN_SCALE, fitted_scale

LIBREOFFICE = bool(shutil.which("soffice") and shutil.which("pdftotext"))
needs_libreoffice = pytest.mark.skipif(not LIBREOFFICE, reason="needs LibreOffice and poppler-utils")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("documents")
    assert main(["run", "--input", str(ROOT / "examples" / "input"), "--output", str(out / "o"),
                 "--rules", str(ROOT / "rules.yaml")]) == 0
    (round_dir,) = [p for p in (out / "o").iterdir() if p.is_dir()]
    return round_dir


@pytest.fixture(scope="module")
def summary(run):
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))


def texts(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def table_rows(document, header: str) -> list[dict]:
    for table in document.tables:
        titles = [c.text for c in table.rows[0].cells]
        if header in titles:
            return [dict(zip(titles, (c.text for c in row.cells))) for row in table.rows[1:]]
    raise AssertionError(f"no table with {header}")


def state_of(summary, state: str) -> str:
    return next(d["name"] for d in summary["departments"] if d.get("submission") == state)


# ---------------------------------------------------------------- facts

def test_the_rest_of_the_severe_gaps_is_what_the_list_did_not_name(run, summary):
    a = summary["analysis"]["actions"]
    named = {x["gap"]["department"] + x["gap"]["indicator"] for x in a if x["kind"] == "rectify"}
    rest = next(x for x in a if x["kind"] == "rectify_rest")
    severe = [g for g in summary["gaps"] if g["kind"] == "低分" and g["severity"] == "严重"]
    assert len(named) + rest["count"] == len(severe)
    left = {g["department"] for g in severe if g["department"] + g["indicator"] not in named}
    assert set(rest["departments"]) == left
    text = next(t for t in texts(run / "汇总报告.docx") if t.startswith("（") and "其余" in t)
    for name in left:
        assert name in text
    named_departments = {x["gap"]["department"] for x in a if x["kind"] == "rectify"}
    assert "消费者权益保护科" in text and not any(
        n in text for n in named_departments - left)


def test_a_low_score_past_its_deadline_is_one_row_with_both_kinds(run, summary):
    both = [g for g in summary["gaps"] if g["kind"] == "逾期"]
    assert both, "the examples have an overdue gap"
    g = both[0]
    assert any(x["kind"] == "低分" and x["indicator"] == g["indicator"] and x["department"] == g["department"]
               for x in summary["gaps"])
    document = docx.Document(str(run / "部门报告" / f"{g['department']}.docx"))
    rows = [r for r in table_rows(document, "存在问题") if r["指标"].startswith(g["indicator"] + " ")]
    assert len(rows) == 1 and rows[0]["类型"].startswith("低分、逾期")
    text = "\n".join(texts(run / "部门报告" / f"{g['department']}.docx"))
    assert "其中1项的完成时限已过" in text
    report = docx.Document(str(run / "汇总报告.docx"))
    overdue = table_rows(report, "整改状态")
    assert len(overdue) == 1
    body = "\n".join(texts(run / "汇总报告.docx"))
    problems = len(analysis.problem_groups(summary["gaps"]))
    assert problems < len(summary["gaps"])
    assert f"共查找问题短板{problems}项" in body and "已超过完成时限仍未销号的问题1项" in body


def test_computed_indicators_are_not_said_to_score_zero(run, summary):
    body = "\n".join(texts(run / "汇总报告.docx"))
    assert "“2.2 ‘学习强国’‘红星云’平台学习”按平台数据计分，其余指标暂按0分计算" in body
    returned = "\n".join(texts(run / "部门报告" / f"{state_of(summary, 'returned')}.docx"))
    assert "按平台数据得5分，其余6项在报送并通过审核前暂按0分计算" in returned
    missing = state_of(summary, "missing")
    own = [e for e in summary["entries"] if e["department"] == missing and not e.get("computed")]
    steps = "\n".join(texts(run / "部门报告" / f"{missing}.docx"))
    assert f"填报本部门承担的{len(own)}项指标" in steps


def test_gaps_without_a_measure_get_defaults_said_as_such(run, summary):
    defaulted = [g for g in summary["gaps"] if g.get("defaults")]
    assert {g["kind"] for g in defaulted} >= {"低分", "佐证缺失"}
    heads = {d["name"]: d.get("head") for d in summary["departments"]}
    for g in defaulted:
        assert g["measure"] and g["owner"] == heads[g["department"]] and g["deadline"] == "2027-01-31"
    g = defaulted[0]
    document = docx.Document(str(run / "部门报告" / f"{g['department']}.docx"))
    row = next(r for r in table_rows(document, "存在问题") if r["指标"].startswith(g["indicator"] + " "))
    assert row["整改措施"].endswith("（默认）") and row["责任人"] == f"{g['owner']}\n（默认）"
    assert row["完成时限"] == f"2027年1月31日\n（默认）\n（{g['light']}灯）"          # §14: its light under it
    assert any(t.startswith("注：标“（默认）”") for t in texts(run / "部门报告" / f"{g['department']}.docx"))


def test_the_department_report_is_a_notice_and_asks_nothing_of_the_gap_list(run, summary):
    for dept in summary["departments"]:
        lines = texts(run / "部门报告" / f"{dept['name']}.docx")
        assert lines[0].startswith("关于") and lines[0].endswith("的通知")
        assert f"{dept['name']}：" in lines
        text = "\n".join(lines)
        assert "特此通知。" in text and "报告" not in lines[0]
        assert "在问题清单中填写" not in text


def test_numbers_one_style_each():
    assert formatting.percent(13 / 16) == "81.3%" and formatting.percent(0.75) == "75.0%"
    assert formatting.number(4.5454545) == "4.55" and formatting.number(2.675) == "2.68"
    assert formatting.quantity(8000) == "8,000" and formatting.share(0.9) == "90%"


def test_rates_always_with_one_decimal_and_quantities_with_separators(run):
    for path in [run / "汇总报告.docx", run / "问题清单.docx", *(run / "部门报告").glob("*.docx")]:
        document = docx.Document(str(path))
        cells = [c.text for t in document.tables for r in t.rows[1:] for c in r.cells]
        for text in cells + [p.text for p in document.paragraphs if "低于" not in p.text]:
            assert not re.search(r"(?<![\d.])\d+%", text), (path.name, text)       # 75% -> 75.0%
            assert not re.search(r"(?<![\d,.])\d{4,}(?:\.\d+)?\s?分", text.replace("2026", "").replace("2027", "")), \
                (path.name, text)                                              # 8000分 -> 8,000分


def test_review_sheet_shows_exact_scores_rounded(run):
    ws = openpyxl.load_workbook(run / "核定表.xlsx")["核定表"]
    col = [c.value for c in ws[1]].index("自评得分") + 1
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(r, col)
        if isinstance(cell.value, float) and round(cell.value, 2) != cell.value:
            assert cell.number_format == "0.##"


# ---------------------------------------------------------------- GB/T 9704

def test_numbering_attachment_signature_and_quotes(run, summary):
    document = docx.Document(str(run / "汇总报告.docx"))
    paragraphs = document.paragraphs
    lines = [p.text for p in paragraphs]
    start = lines.index("八、下一步工作")
    steps = [t for t in lines[start + 1:] if t.startswith("（")]
    assert steps[0].startswith("（一）") and steps[1].startswith("（二）")
    mark = next(p for p in paragraphs if p.text == "附件")
    assert mark.style.name == "附件标识" and not mark.style.paragraph_format.first_line_indent
    note = next(t for t in lines if t.startswith("附件："))
    title = paragraphs[lines.index("附件") + 1]
    assert note == "附件：" + title.text and title.style.name == "附件标题"
    for path in [run / "汇总报告.docx", *sorted((run / "部门报告").glob("*.docx"))]:
        body = docx.Document(str(path)).paragraphs
        k = max(i for i, p in enumerate(body) if p.style.name == "落款")
        name, date = body[k - 1], body[k]
        assert name.paragraph_format.right_indent == docstyle.BODY_SIZE * 2          # 署名 右空二字
        line = docstyle.TEXT_WIDTH_MM * docstyle.TWIPS_PER_MM / (docstyle.BODY_SIZE.pt * 20)
        start_chars = date.paragraph_format.left_indent.pt / docstyle.BODY_SIZE.pt
        assert abs(start_chars - (line - len(name.text))) < 0.05                   # 2 characters right of 署名
        assert date.alignment == 0
        assert body[k + 1].text == f"（{summary['contact']['text']}）"               # 附注
        for p in body:
            assert not re.search(r"“[^”]*“", p.text), (path.name, p.text)          # nested: ‘’ inside “”


def test_titles_break_between_words(run):
    title = docx.Document(str(run / "汇总报告.docx")).paragraphs[0]
    assert title.text.split("\n") == ["关于2026年第四季度", "创建省级文明单位自评测评情况的报告"]
    notice = docx.Document(str(run / "部门报告" / "办公室.docx")).paragraphs[0]
    assert notice.text.split("\n") == ["关于2026年第四季度", "创建省级文明单位自评测评审核结果的通知"]


def test_top_and_bottom_ranks_are_marked_and_items_totalled(run, summary):
    document = docx.Document(str(run / "汇总报告.docx"))
    ranks = table_rows(document, "排名")
    gap = next(r for r in ranks if r["排名"] == "……")
    assert "第6至7名" in gap["部门"] and "略" in gap["部门"]
    items = table_rows(document, "测评项目")
    assert items[-1]["测评项目"] == "合计" and items[-1]["得分"] == formatting.number(summary["unit"]["score"])


def test_gap_list_note_mentions_state_only_with_history(run):
    note = texts(run / "问题清单.docx")[-1]
    assert note.startswith("注：") and "新增" not in note and "持续" not in note


def test_lead_ins_do_not_keep_with_their_tables(run):
    """A paragraph before a table caption does not keep with it (a whole table would move with
    it); the caption keeps with its table; the last paragraph before the closing keeps with it."""
    for path in [run / "汇总报告.docx", *sorted((run / "部门报告").glob("*.docx"))]:
        paragraphs = docx.Document(str(path)).paragraphs
        for before, p in zip(paragraphs, paragraphs[1:]):
            if p.style.name == "表题" and before.style.name not in ("Heading 1", "表题"):
                assert not _keeps(before), (path.name, before.text)
        closing = max(k for k, p in enumerate(paragraphs) if "特此" in p.text)
        assert _keeps(paragraphs[closing - 1]) and _keeps(paragraphs[closing]), path.name


def _keeps(p) -> bool:
    value, style = p.paragraph_format.keep_with_next, p.style
    while value is None and style is not None:
        value, style = style.paragraph_format.keep_with_next, style.base_style
    return bool(value)


def test_column_widths_from_the_text(run):
    """Every column of short lines (a date, a number, a word of up to six characters) is wide
    enough for its longest on one line; no indicator column is narrower than six characters."""
    for path in [run / "汇总报告.docx", run / "问题清单.docx", *sorted((run / "部门报告").glob("*.docx"))]:
        for table in docx.Document(str(path)).tables:
            grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
            for j, width in enumerate(grid):
                lines = [x for row in table.rows for x in docfinish._cell_lines(row.cells[j]._tc)]
                longest = max(docfinish.text_em(x) for x in lines)
                need = (longest + 0.5) * docfinish.TABLE_CHAR_TWIPS
                unbroken = all(docfinish._UNBROKEN.fullmatch(x) or docfinish.text_em(x) <= docfinish.MIN_TEXT_CHARS
                               for x in lines[1:] if x)
                if longest <= docfinish.SHORT_CHARS and unbroken:
                    assert width >= need, (path.name, table.rows[0].cells[j].text, width, need)
                if table.rows[0].cells[j].text == "指标" and longest > 6:
                    assert width >= 6 * docfinish.TABLE_CHAR_TWIPS, (path.name, width)


def test_fit_columns_gives_short_columns_their_text_and_the_rest_to_the_long_one():
    document = docx.Document()
    docstyle.apply_styles(document)
    table = document.add_table(rows=2, cols=3)
    docstyle.table_layout(table, [52, 52, 52])
    for cell, text in zip(table.rows[0].cells, ("序号", "存在问题", "完成时限")):
        cell.text = text
    docstyle.header_row(table.rows[0])
    for cell, text in zip(table.rows[1].cells, ("1", "问题" * 60, "2027年1月5日")):
        cell.text = text
    assert docfinish.fit_columns(document.element.body) == 1
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert sum(grid) == docstyle.mm_to_twips(156)
    assert grid[1] > grid[2] > grid[0]
    assert grid[2] >= (docfinish.text_em("2027年1月5日") + 0.5) * docfinish.TABLE_CHAR_TWIPS


# ---------------------------------------------------------------- rendered pages (LibreOffice)

@pytest.fixture(scope="module")
def pdf_pages(run, tmp_path_factory):
    if not LIBREOFFICE:
        pytest.skip("needs LibreOffice")
    out = tmp_path_factory.mktemp("pdf")
    docs = [run / "汇总报告.docx", *sorted((run / "部门报告").glob("*.docx"))]
    profile = (out / "profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, docs)], check=True, capture_output=True, timeout=600)
    pages = {}
    for doc in docs:
        text = subprocess.run(["pdftotext", "-layout", str(out / f"{doc.stem}.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        pages[doc.stem] = [p for p in text.split("\f") if p.strip()]
    return pages


CLOSING_LINES = re.compile(r"^\s*(请.*特此通知。|特此通知。|特此报告。|附件：.*|.*创建工作办公室|\d{4} 年 \d{1,2} 月 \d{1,2} 日|"
                           r"（联系人.*）|—\s*\d+\s*—|)\s*$")


@needs_libreoffice
def test_the_page_of_the_closing_holds_more_than_the_closing(pdf_pages):
    for name, pages in pdf_pages.items():
        page = next(p for p in reversed(pages) if "特此" in p)
        body = [line for line in page.splitlines() if not CLOSING_LINES.match(line)]
        assert body, f"{name}: the closing alone on its page"


@pytest.fixture(scope="module")
def table_pages(run, tmp_path_factory):
    """The documents' tables alone, as LibreOffice prints them: every paragraph outside a table is
    taken out (the tables keep their own column widths), so each printed line is a table's line."""
    if not LIBREOFFICE:
        pytest.skip("needs LibreOffice")
    out = tmp_path_factory.mktemp("tables")
    docs = []
    for path in [run / "汇总报告.docx", *sorted((run / "部门报告").glob("*.docx"))]:
        document = docx.Document(path)
        body = document.element.body
        for child in list(body):
            if child.tag == qn("w:p"):
                body.remove(child)
        if body.find(qn("w:tbl")) is not None:
            docs.append(out / path.name)
            document.save(docs[-1])
    assert docs, "no document holds a table"
    subprocess.run(["soffice", f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, docs)],
                   check=True, capture_output=True, timeout=600)
    return {doc.stem: subprocess.run(["pdftotext", "-layout", str(doc.with_suffix(".pdf")), "-"],
                                     capture_output=True, text=True, check=True).stdout for doc in docs}


@needs_libreoffice
def test_dates_never_break_inside_a_table_cell(table_pages):
    # Prose may break between 年 and 月 as any CJK text does (LibreOffice 7.4 ignores word joiners
    # and no-break spaces there); a table column too narrow for its dates breaks every row.
    dates = 0
    for name, text in table_pages.items():
        for line in text.splitlines():
            for cell in re.split(r"\s{2,}", line.strip()):
                assert not re.search(r"\d{4} 年$", cell), (name, line)
                assert not re.match(r"^\d{1,2} 月 \d{1,2} 日", cell), (name, line)
            dates += len(re.findall(r"\d{4} 年 \d{1,2} 月 \d{1,2} 日", line))
    assert dates, "the tables printed hold no whole date: the check would pass on nothing"


# ---------------------------------------------------------------- workbooks as printed

def visible_sheets(path: Path):
    for ws in openpyxl.load_workbook(path).worksheets:
        if ws.sheet_state == "visible":
            yield ws


def print_scale(ws) -> int:
    area = ws.print_area
    if area:
        ref = area.split("!")[-1].replace("$", "").split(":")
        last = openpyxl.utils.cell.column_index_from_string(re.match(r"[A-Z]+", ref[-1])[0])
    else:
        last = ws.max_column
    return fitted_scale(ws, 1, last)


def test_every_sheet_prints_at_nine_points_or_more(run, tmp_path):
    assert main(["template", "--output", str(tmp_path / "t"), "--rules", str(ROOT / "rules.yaml")]) == 0
    books = [run / "问题清单.xlsx", run / "核定表.xlsx", run / "责任人清单.xlsx", *sorted((run / "退回").glob("*.xlsx")),
             *sorted((tmp_path / "t").glob("*.xlsx"))[:2]]
    for book in books:
        for ws in visible_sheets(book):
            assert print_scale(ws) >= MIN_SCALE, (book.name, ws.title, print_scale(ws))
            m = ws.page_margins
            assert m.header + 0.45 <= m.top and m.footer + 0.45 <= m.bottom, (book.name, ws.title)


def test_gap_list_prints_the_gap_columns_and_keeps_the_rest_on_screen(run):
    wb = openpyxl.load_workbook(run / "问题清单.xlsx")
    ws = wb["问题清单"]
    titles = [c.value for c in ws[1]]
    # the gap and both dates (the first deadline and its extension) print; the office's own columns stay on screen
    assert titles.index("延期至") == titles.index("完成时限") + 1
    assert ws.print_area.endswith(f"${openpyxl.utils.get_column_letter(titles.index('延期至') + 1)}${ws.max_row}")
    assert "整改状态" in titles and not any(ws.column_dimensions[x].hidden for x in ws.column_dimensions)
    assert "&P" in wb["统计"].oddFooter.center.text


def test_review_sheet_order_and_unsent_scores(run, summary):
    ws = openpyxl.load_workbook(run / "核定表.xlsx")["核定表"]
    titles = [c.value for c in ws[1]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    order = [d["name"] for d in summary["departments"]]
    seen = list(dict.fromkeys(r[titles.index("部门")] for r in rows))
    assert seen == [d for d in order if d in seen]
    returned, missing = state_of(summary, "returned"), state_of(summary, "missing")
    score = titles.index("自评得分")
    computed = {(c["department"], c["indicator"]) for c in summary.get("computed", [])}
    for r in rows:
        key = (r[0], r[1])
        if r[0] in (returned, missing) and key not in computed:
            assert r[score] == ("被退回" if r[0] == returned else "未报送")
    crit = titles.index("测评标准") + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(crit)].width
    for k, r in enumerate(rows, 2):
        text = r[crit - 1] or ""
        lines = -(-sum(2 if ord(ch) > 0x2e80 else 1 for ch in text) // int(width - 2))
        assert ws.row_dimensions[k].height >= lines * 14.25, (k, text)


def test_returned_copy_prints_flags_and_codes(run):
    (book,) = sorted((run / "退回").glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    ws = wb["问题说明"]
    head = next(r for r in range(1, 20) if ws.cell(r, 1).value == "序号")
    titles = [ws.cell(head, c).value for c in range(1, ws.max_column + 1)]
    code = titles.index("指标编号") + 1
    cells = {ws.cell(r, 4).value: ws.cell(r, code).value for r in range(head + 1, ws.max_row + 1)}
    assert cells["E3"] == "3.4" and cells["B4"] == "—"
    scores = wb["自评表"]
    assert scores.page_setup.cellComments == "atEnd"
    flagged = scores["E3"]
    assert flagged.comment is not None and flagged.border.left.style == "medium"
    guide = wb["填报说明"]
    assert all(guide.cell(r, 1).alignment.wrap_text for r in range(1, guide.max_row + 1) if guide.cell(r, 1).value)


@needs_libreoffice
def test_gap_list_renders_at_a_legible_size(run, tmp_path):
    shutil.copy(run / "问题清单.xlsx", tmp_path / "g.xlsx")
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(tmp_path / "g.xlsx")], check=True, capture_output=True,
                   timeout=300)
    xml = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "g.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    heights = sorted(float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', xml))
    assert heights[len(heights) // 2] >= 9.0           # the median word is set at 9 pt or more


# ---------------------------------------------------------------- messages

def test_messages_carry_contact_from_and_a_returned_bonus_claim(run, summary, tmp_path):
    copy = tmp_path / "o" / run.name
    shutil.copytree(run, copy)
    data = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    returned = state_of(summary, "returned")
    sub = next(s for s in data["submissions"] if s["department"] == returned and s["status"] == "rejected")
    sub["bonus_claims"] = [{"department": returned, "project": "窗口服务品牌", "points": 2, "description": "",
                            "evidence": ""}]
    (copy / "summary.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = load_rules(ROOT / "rules.yaml")
    drafts = mail.plan(rules, copy)
    notice = next(d for d in drafts if d.kind == mail.RETURNED)
    assert "“窗口服务品牌”2分" in notice.text and "暂未计入" in notice.text
    assert "按平台数据计分的1项除外" in notice.text
    for d in drafts:
        assert "联系人：周涛；联系电话：0571-88880000" in d.text, d.kind
    result = deliver(rules, tmp_path / "o", copy, send=True, dry_run=True, env={})
    assert result.written
    head = result.written[0].read_bytes().split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ")
    assert re.search(rb"^From: .*<scorecard@localhost\.invalid>", head, re.M)


def test_department_notice_mentions_a_returned_bonus_claim(summary):
    from scorecard.reports.department import department_context
    from scorecard.reports.context import Shared

    data = json.loads(json.dumps(summary))
    returned = state_of(summary, "returned")
    sub = next(s for s in data["submissions"] if s["department"] == returned and s["status"] == "rejected")
    sub["bonus_claims"] = [{"department": returned, "project": "窗口服务品牌", "points": 2}]
    shared = Shared(data)
    assert "特色加分（“窗口服务品牌”2分）随退回一并暂未计入" in department_context(shared, returned)["overview"]
    from scorecard.reports.summary import summary_context
    assert f"另有{returned}申报的1项（“窗口服务品牌”2分）" in summary_context(shared)["bonus_text"]


def test_data_rows_read_counted_and_in_error(capsys, tmp_path):
    assert main(["run", "--input", str(ROOT / "examples" / "input"), "--output", str(tmp_path / "o"),
                 "--rules", str(ROOT / "rules.yaml")]) == 0
    assert "137 行，135 行计入，2 行有误" in capsys.readouterr().out


def test_check_rules_shows_and_checks_the_contact(tmp_path, capsys):
    assert main(["check-rules", "--rules", str(ROOT / "rules.yaml")]) == 0
    assert "联系人：周涛；联系电话：0571-88880000" in capsys.readouterr().out
    bad = tmp_path / "rules.yaml"
    bad.write_text((ROOT / "rules.yaml").read_text(encoding="utf-8").replace(
        "  phone: 0571-88880000", "  telephone: 0571-88880000"), encoding="utf-8")
    assert main(["check-rules", "--rules", str(bad)]) == 1
