"""docxrender writes the package docxtpl writes: every member, in the same order, byte for byte.

Each test renders the same template and context twice, through docxtpl (reports._render, what a
run used before docxrender) and through docxrender.Prepared, and compares the two .docx files
member by member; it fails as soon as one byte of one part differs.
"""
from __future__ import annotations

import base64
import copy
import io
import logging
import zipfile

import docx
import pytest
from docx.shared import Mm

from scorecard.reports import docfinish, docstyle

from scorecard.reports import docxrender

from scorecard.reports import write as reports
from scorecard.reports.context import Shared
from sample_summary import NO_INDICATORS, RETURNED, UNSUBMITTED, passing_summary, sample_summary

# A 1×1 PNG: a picture gives the body a wp:docPr whose id docxtpl renumbers.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def docxtpl_bytes(name, data, context, tmp_path) -> bytes:
    path = tmp_path / "docxtpl.docx"
    reports._render(name, data, lambda tpl: context, path, reports.make_environment())
    return path.read_bytes()


def prepared(data):
    return docxrender.Prepared(reports._Template(io.BytesIO(data)), reports.make_environment(),
                               post=docfinish.finish)          # what reports._Renderer uses


def assert_same_package(fast: bytes, slow: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(fast)) as a, zipfile.ZipFile(io.BytesIO(slow)) as b:
        assert a.testzip() is None
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), f"{name} differs"
    assert docxrender.same_package(fast, slow)


def test_every_department_report_of_the_sample_is_the_package_docxtpl_writes(tmp_path):
    data = reports._read_template(reports.DEPARTMENT_TEMPLATE, None)
    fast = prepared(data)
    summaries = sample_summary(), passing_summary()
    assert {UNSUBMITTED, RETURNED, NO_INDICATORS} <= {d["name"] for d in summaries[0]["departments"]}
    for summary in summaries:
        shared = Shared(summary)
        names = [d["name"] for d in summary["departments"]]
        for name in names:
            context = reports.build_context(reports.DEPARTMENT_TEMPLATE, summary, None, name, shared=shared)
            assert_same_package(fast.render(context), docxtpl_bytes(reports.DEPARTMENT_TEMPLATE, data, context,
                                                                     tmp_path))


def test_the_gap_list_document_is_the_package_docxtpl_writes(tmp_path):
    data = reports._read_template(reports.GAPLIST_TEMPLATE, None)
    summary = sample_summary()
    context = reports.build_context(reports.GAPLIST_TEMPLATE, summary, None)
    assert context["gap_groups"]
    assert_same_package(prepared(data).render(context), docxtpl_bytes(reports.GAPLIST_TEMPLATE, data, context, tmp_path))


def feature_template() -> bytes:
    """What docxtpl fixes or renders besides a plain body: tags in a header and in the core
    properties, tab and newline in values, a repeated-header table with a column left empty
    (dropped), a cell loop wider than the grid (fix_tables adds columns), merged cells, a nested
    table and a picture (docPr ids)."""
    document = docx.Document()
    docstyle.apply_styles(document)
    document.core_properties.title = "{{ title }}"
    document.core_properties.subject = "主题：{{ subject }}"
    section = document.sections[0]
    section.header.paragraphs[0].text = "页眉{{ title }}"
    section.footer.paragraphs[0].text = "页脚"
    document.add_paragraph("正文{{ text }}")
    table = document.add_table(rows=4, cols=3)
    docstyle.table_layout(table, [30, 30, 60])
    for cell, text in zip(table.rows[0].cells, ("编号", "空列", "说明")):
        cell.text = text
    docstyle.header_row(table.rows[0])
    table.rows[1].cells[0].text = "{%tr for r in rows %}"
    row = table.rows[2].cells
    row[0].text, row[1].text, row[2].text = "{{ r.no }}", "{{ r.empty }}", "{{ r.text }}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    wide = document.add_table(rows=1, cols=3)       # as many cells as cols: more or fewer than the grid
    for cell, text in zip(wide.rows[0].cells, ("{%tc for c in cols %}", "{{ c }}", "{%tc endfor %}")):
        cell.text = text
    merged = document.add_table(rows=2, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并{{ title }}"
    inner = merged.cell(1, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内表{{ subject }}"
    document.add_picture(io.BytesIO(PIXEL), width=Mm(10))
    document.add_picture(io.BytesIO(PIXEL), width=Mm(12))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


CONTEXTS = [
    {"title": "甲", "subject": "一", "text": "第一行\n第二行\t制表", "cols": ["a", "b", "c", "d"],
     "rows": [{"no": 1, "empty": "", "text": "说明一"}, {"no": 2, "empty": " ", "text": "说明&二"}]},
    {"title": "乙<b>", "subject": "二", "text": "无换行", "cols": [],
     "rows": [{"no": 1, "empty": "有值", "text": ""}]},
    {"title": "甲", "subject": "三", "text": "", "cols": ["a"], "rows": []},
]


def test_headers_properties_tables_and_pictures_render_as_docxtpl_renders_them(tmp_path):
    data = feature_template()
    fast = prepared(data)
    for context in CONTEXTS + CONTEXTS[:1]:                 # the first again: cached parts stay right
        out = fast.render(copy.deepcopy(context))
        assert_same_package(out, docxtpl_bytes("x.docx", data, copy.deepcopy(context), tmp_path))
    document = docx.Document(io.BytesIO(fast.render(CONTEXTS[0])))
    assert document.core_properties.title == "甲" and document.core_properties.subject == "主题：一"
    assert "页眉甲" in document.sections[0].header.paragraphs[0].text
    assert [c.text for c in document.tables[0].rows[0].cells] == ["编号", "说明"]      # the empty column went


def test_a_rendered_report_is_a_valid_package_python_docx_opens(tmp_path):
    summary = sample_summary()
    data = reports._read_template(reports.DEPARTMENT_TEMPLATE, None)
    context = reports.build_context(reports.DEPARTMENT_TEMPLATE, summary, None, summary["departments"][0]["name"])
    out = prepared(data).render(context)
    with zipfile.ZipFile(io.BytesIO(out)) as package:
        assert package.testzip() is None
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in package.infolist())
    document = docx.Document(io.BytesIO(out))
    assert summary["departments"][0]["name"] in "".join(p.text for p in document.paragraphs)


def test_a_user_template_is_checked_against_docxtpl_once_per_process(tmp_path, monkeypatch, caplog):
    data = feature_template()
    renderer = reports._Renderer("x.docx", data, reports.make_environment())
    assert renderer.check                          # not a packaged template: checked on its first document
    real = docxrender.Prepared.render
    monkeypatch.setattr(docxrender.Prepared, "render", lambda self, context: real(self, dict(context, title="错")))
    with caplog.at_level(logging.WARNING, logger="scorecard.reports.write"):
        renderer.render(CONTEXTS[0], tmp_path / "a.docx")
    assert renderer.prepared is False and "differs from docxtpl" in caplog.text
    assert_same_package((tmp_path / "a.docx").read_bytes(), docxtpl_bytes("x.docx", data, CONTEXTS[0], tmp_path))
    renderer.render(CONTEXTS[1], tmp_path / "b.docx")           # the rest through docxtpl
    assert_same_package((tmp_path / "b.docx").read_bytes(), docxtpl_bytes("x.docx", data, CONTEXTS[1], tmp_path))


def test_the_packaged_templates_are_not_checked_again_at_run_time():
    for name in (reports.DEPARTMENT_TEMPLATE, reports.GAPLIST_TEMPLATE):
        renderer = reports._Renderer(name, reports._read_template(name, None), reports.make_environment())
        assert not renderer.check                  # the tests above compare them


def test_a_template_docxrender_does_not_cover_is_rendered_by_docxtpl(tmp_path, monkeypatch):
    def unsupported(self, *args, **kwargs):
        raise docxrender.Unsupported("footnotes")

    monkeypatch.setattr(docxrender.Prepared, "__init__", unsupported)
    data = feature_template()
    renderer = reports._Renderer("x.docx", data, reports.make_environment(), check=False)
    renderer.render(CONTEXTS[0], tmp_path / "a.docx")
    assert renderer.prepared is False
    assert_same_package((tmp_path / "a.docx").read_bytes(), docxtpl_bytes("x.docx", data, CONTEXTS[0], tmp_path))


def test_a_template_error_is_the_report_error_docxtpl_gives(tmp_path):
    data = feature_template()
    context = dict(CONTEXTS[0])
    del context["subject"]
    renderer = reports._Renderer("x.docx", data, reports.make_environment(), check=False)
    with pytest.raises(reports.ReportError) as fast:
        renderer.render(context, tmp_path / "a.docx")
    with pytest.raises(reports.ReportError) as slow:
        docxtpl_bytes("x.docx", data, context, tmp_path)
    assert fast.value.template == slow.value.template and fast.value.message == slow.value.message
    assert "subject" in fast.value.message
