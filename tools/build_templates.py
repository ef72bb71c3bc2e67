"""Generate the default Word templates in templates/ (汇总报告, 部门报告, 问题清单).

    .venv/bin/python tools/build_templates.py [OUT_DIR]

The templates are docxtpl documents: `{{ var }}` prints a context value, `{%p for/if %}` repeats or
keeps whole paragraphs, `{%tr for %}` repeats a table row, `{{ chart_items }}` is a picture. All
formatting is in named styles (scorecard/docstyle.py), so office staff can restyle in Word.
The context keys are listed in scorecard/reports.py (build_context) and the README.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from scorecard import docstyle as ds  # noqa: E402

L, C = ds.TABLE_TEXT, ds.TABLE_CENTER


def new_document(title_property: str):
    doc = docx.Document()
    ds.apply_styles(doc)
    # The default body holds one empty paragraph: none in python-docx's template, but be safe.
    for p in list(doc.paragraphs):
        p._element.getparent().remove(p._element)
    props = doc.core_properties
    props.title = title_property
    props.author = "{{ organization }}"
    props.comments = ""
    props.subject = "{{ round }}"
    props.keywords = "文明单位创建;自评测评"
    props.last_modified_by = ""
    return doc


def para(doc, text: str = "", style: str = ds.BODY):
    return doc.add_paragraph(text, style=style)


def tag(doc, text: str):
    """A paragraph holding only a {%p ... %} tag: docxtpl removes it when rendering."""
    return doc.add_paragraph(text, style=ds.BODY)


def loop_table(doc, columns: list[tuple[str, float, str, str]], loop: str, width: float = ds.TEXT_WIDTH_MM):
    """A table: header row, then one row repeated by `{%tr for ... %}`.

    columns: (header, width mm, cell text, paragraph style of the cell).
    """
    table = doc.add_table(rows=4, cols=len(columns))
    ds.header_row(table.rows[0])
    for cell, (header, *_rest) in zip(table.rows[0].cells, columns):
        cell.paragraphs[0].text = header
    table.rows[1].cells[0].paragraphs[0].text = f"{{%tr for {loop} %}}"
    for cell, (_h, _w, text, style) in zip(table.rows[2].cells, columns):
        cell.paragraphs[0].text = text
        cell.paragraphs[0].style = style
    table.rows[3].cells[0].paragraphs[0].text = "{%tr endfor %}"
    for row in (table.rows[1], table.rows[3]):
        for cell in row.cells:
            cell.paragraphs[0].style = L
    ds.cant_split(table.rows[2])
    ds.table_layout(table, [w for _h, w, _t, _s in columns], width)
    return table


def gap_columns(var: str, *, department: bool, measure: bool, owner: bool, state: bool,
                width: float = ds.TEXT_WIDTH_MM) -> list:
    """Columns of a gap table; widths add up to the text width."""
    cols = [("序号", 11, f"{{{{ {var}.no }}}}", C)]
    if department:
        cols.append(("部门", 26, f"{{{{ {var}.department }}}}", L))
    cols += [("指标", 0, f"{{{{ {var}.indicator_text }}}}", L),
             ("类型", 17, f"{{{{ {var}.kind }}}}", C),
             ("程度", 11, f"{{{{ {var}.severity }}}}", C),
             ("存在问题", 0, f"{{{{ {var}.description }}}}", L)]
    if measure:
        cols.append(("整改措施", 0, f"{{{{ {var}.measure }}}}", L))
    if owner:
        cols.append(("责任人", 15, f"{{{{ {var}.owner }}}}", C))
    cols.append(("完成时限", 25, f"{{{{ {var}.deadline }}}}", C))
    if state:
        cols.append(("状态", 11, f"{{{{ {var}.state }}}}", C))
    # Share what is left between the columns of free text (指标 gets less than 存在问题/整改措施).
    fixed = sum(w for _h, w, _t, _s in cols)
    free = width - fixed
    flexible = [i for i, c in enumerate(cols) if c[1] == 0]
    weights = {"指标": 0.8, "存在问题": 1.0, "整改措施": 1.0}
    total = sum(weights[cols[i][0]] for i in flexible)
    for i in flexible:
        h, _w, t, s = cols[i]
        cols[i] = (h, round(free * weights[h] / total, 1), t, s)
    drift = round(width - sum(c[1] for c in cols), 1)
    h, w, t, s = cols[flexible[-1]]
    cols[flexible[-1]] = (h, round(w + drift, 1), t, s)
    return cols


def signature(doc):
    """落款: the issuing office and the date, kept together on one page."""
    para(doc, "", ds.LEAD)
    para(doc, "{{ organization }}创建工作办公室", ds.SIGNATURE)
    para(doc, "{{ report_date }}", ds.SIGNATURE)


def header_block(doc, title: str, subtitle: str):
    para(doc, title, ds.TITLE)
    para(doc, subtitle, ds.SUBTITLE)


def summary_template(path: Path) -> None:
    doc = new_document("{{ title }}汇总报告（{{ round }}）")
    header_block(doc, "{{ title }}汇总报告", "{{ organization }}　{{ round }}")
    para(doc, "{{ verdict }}")
    para(doc, "{{ overview }}")
    para(doc, "（测评基准日：{{ as_of }}；生成时间：{{ generated_at }}）", ds.NOTE)

    para(doc, "一、各测评项目得分情况", ds.HEADING1)
    loop_table(doc, [("编号", 14, "{{ i.code }}", C), ("测评项目", 72, "{{ i.name }}", L),
                     ("得分", 22, "{{ i.score }}", C), ("分值", 22, "{{ i.max }}", C),
                     ("得分率", 26, "{{ i.rate }}", C)], "i in items")
    para(doc, "{{ chart_items }}", ds.FIGURE)
    para(doc, "图1　各测评项目得分率", ds.CAPTION)

    para(doc, "二、各部门自评得分排名", ds.HEADING1)
    loop_table(doc, [("序号", 12, "{{ d.no }}", C), ("名次", 12, "{{ d.rank }}", C), ("部门", 54, "{{ d.name }}", L),
                     ("得分", 18, "{{ d.score }}", C), ("分值", 18, "{{ d.max }}", C),
                     ("得分率", 20, "{{ d.rate }}", C), ("报送情况", 22, "{{ d.submitted_text }}", C)],
               "d in ranking")
    para(doc, "{{ chart_departments }}", ds.FIGURE)
    para(doc, "图2　各部门自评得分率", ds.CAPTION)
    tag(doc, "{%p if chart_note %}")
    para(doc, "{{ chart_note }}", ds.NOTE)
    tag(doc, "{%p endif %}")

    para(doc, "三、主要问题短板", ds.HEADING1)
    para(doc, "{{ top_gaps_text }}", ds.LEAD)
    tag(doc, "{%p if top_gaps %}")
    loop_table(doc, gap_columns("g", department=True, measure=False, owner=False, state=False), "g in top_gaps")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if progress_text %}")
    para(doc, "{{ progress_text }}")
    tag(doc, "{%p endif %}")

    para(doc, "四、未报送部门", ds.HEADING1)
    para(doc, "{{ unsubmitted_text }}")

    para(doc, "五、一票否决事项", ds.HEADING1)
    para(doc, "{{ vetoes_text }}", ds.LEAD)
    tag(doc, "{%p for v in vetoes_occurred %}")
    para(doc, "{{ v.code }} {{ v.name }}（报告部门：{{ v.departments }}；情况说明：{{ v.notes }}）")
    tag(doc, "{%p endfor %}")

    para(doc, "六、特色加分", ds.HEADING1)
    para(doc, "{{ bonus_text }}", ds.LEAD)
    tag(doc, "{%p if bonuses %}")
    loop_table(doc, [("序号", 11, "{{ b.no }}", C), ("部门", 32, "{{ b.department }}", L),
                     ("特色项目", 45, "{{ b.project }}", L), ("申报\n加分", 14, "{{ b.points }}", C),
                     ("说明", 54, "{{ b.description }}", L)], "b in bonuses")
    tag(doc, "{%p endif %}")
    signature(doc)
    doc.save(path)


def department_template(path: Path) -> None:
    doc = new_document("{{ dept.name }}自评情况报告（{{ round }}）")
    header_block(doc, "{{ dept.name }}自评情况报告", "{{ title }}　{{ round }}")
    para(doc, "{{ dept.overview }}")

    para(doc, "一、指标自评情况", ds.HEADING1)
    tag(doc, "{%p if dept.entries %}")
    # Nine fields in 156 mm: the code goes with the indicator's name to leave room for the texts.
    loop_table(doc, [("测评指标", 33, "{{ e.code }} {{ e.name }}", L),
                     ("分值", 10, "{{ e.max }}", C), ("得分", 10, "{{ e.score }}", C),
                     ("完成\n情况", 14, "{{ e.status }}", C), ("存在问题", 24.5, "{{ e.problem }}", L),
                     ("整改措施", 24.5, "{{ e.measure }}", L), ("责任人", 15, "{{ e.owner }}", C),
                     ("完成时限", 25, "{{ e.deadline }}", C)], "e in dept.entries")
    tag(doc, "{%p else %}")
    para(doc, "本部门本轮未承担测评指标。")
    tag(doc, "{%p endif %}")

    para(doc, "二、问题短板", ds.HEADING1)
    para(doc, "{{ dept.gaps_text }}", ds.LEAD)
    tag(doc, "{%p if dept.gaps %}")
    loop_table(doc, gap_columns("g", department=False, measure=False, owner=False, state=True), "g in dept.gaps")
    tag(doc, "{%p endif %}")

    para(doc, "三、下一步工作", ds.HEADING1)
    tag(doc, "{%p for s in dept.next_steps %}")
    para(doc, "{{ s.no }}．{{ s.text }}")
    tag(doc, "{%p endfor %}")
    signature(doc)
    doc.save(path)


def gaplist_template(path: Path) -> None:
    doc = new_document("{{ title }}问题清单（{{ round }}）")
    ds.page_setup(doc.sections[0], landscape=True)      # nine columns: a landscape list
    wide = ds.LANDSCAPE_TEXT_WIDTH_MM
    header_block(doc, "{{ title }}问题清单", "{{ organization }}　{{ round }}")
    para(doc, "{{ gaps_text }}")
    tag(doc, "{%p if progress_text %}")
    para(doc, "{{ progress_text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for grp in gap_groups %}")
    para(doc, "{{ grp.heading }}", ds.HEADING1)
    loop_table(doc, gap_columns("g", department=False, measure=True, owner=True, state=True, width=wide),
               "g in grp.gaps", wide)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if closed_gaps %}")
    para(doc, "已整改销号的问题", ds.HEADING1)
    para(doc, "以下问题上轮（{{ previous_round }}）列入清单，本轮已整改到位，予以销号：", ds.LEAD)
    loop_table(doc, [("序号", 11, "{{ c.no }}", C), ("部门", 40, "{{ c.department }}", L),
                     ("指标", 60, "{{ c.indicator_text }}", L), ("类型", 17, "{{ c.kind }}", C),
                     ("说明", 97, "{{ c.description }}", L)], "c in closed_gaps", wide)
    tag(doc, "{%p endif %}")
    para(doc, "注：类型中“低分”指自评得分低于分值的{{ gap_ratio }}，其中低于{{ gap_severe_ratio }}的为严重；"
              "状态中“新增”“持续”与上一轮对比得出。本清单的Excel版（问题清单.xlsx）可筛选、排序。", ds.NOTE)
    doc.save(path)


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "汇总报告.docx", out_dir / "部门报告.docx", out_dir / "问题清单.docx"]
    summary_template(paths[0])
    department_template(paths[1])
    gaplist_template(paths[2])
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "templates"
    for written in main(target):
        print(written)
