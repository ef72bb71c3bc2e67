"""Generate the default Word templates in templates/ (汇总报告, 部门报告, 问题清单).

    .venv/bin/python tools/build_templates.py [OUT_DIR]

The templates are docxtpl documents: `{{ var }}` prints a context value, `{%p for/if %}` repeats or
keeps whole paragraphs, `{%tr for %}` repeats a table row, `{{ chart_items }}` is a picture. All
formatting is in named styles (scorecard/reports/docstyle.py), so office staff can restyle in Word.
The context keys are listed in scorecard/reports/write.py (build_context) and the README.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from scorecard.reports import docstyle as ds  # noqa: E402

L, C, N = ds.TABLE_TEXT, ds.TABLE_CENTER, ds.TABLE_NUMBER


def new_document(title_property: str):
    doc = docx.Document()
    ds.apply_styles(doc)
    # The default body holds one empty paragraph: none in python-docx's template, but be safe.
    for p in list(doc.paragraphs):
        p._element.getparent().remove(p._element)
    props = doc.core_properties
    props.title = title_property
    props.author = "{{ organization }}"
    props.comments = "生成时间：{{ generated_at }}"
    props.subject = "{{ round }}"
    props.keywords = "文明单位创建;自评测评"
    props.last_modified_by = ""
    return doc


def para(doc, text: str = "", style: str = ds.BODY):
    return doc.add_paragraph(text, style=style)


def tag(doc, text: str):
    """A paragraph holding only a {%p ... %} tag: docxtpl removes it when rendering."""
    return doc.add_paragraph(text, style=ds.BODY)


def loop_table(doc, columns: list[tuple[str, float, str, str]], loop: str, width: float = ds.TEXT_WIDTH_MM,
               total: list[str] | None = None):
    """A table: header row, then one row repeated by `{%tr for ... %}`, then (total) a 合计 row.

    columns: (header, width mm, cell text, paragraph style of the cell). The widths are a
    starting point: after rendering, docstyle.fit_columns sets them from the text the cells hold.
    """
    table = doc.add_table(rows=5 if total else 4, cols=len(columns))
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
    if total:
        for cell, text, (_h, _w, _t, style) in zip(table.rows[4].cells, total, columns):
            cell.paragraphs[0].text = text
            cell.paragraphs[0].style = style
        ds.cant_split(table.rows[4])
    ds.table_layout(table, [w for _h, w, _t, _s in columns], width)
    return table


def gap_columns(var: str, *, department: bool, measure: bool, owner: bool, state: bool, tracking: bool = False,
                severity: bool = True, number: bool = True, width: float = ds.TEXT_WIDTH_MM) -> list:
    """Columns of a gap table; widths add up to the text width. A column nobody filled is dropped
    after rendering (docstyle.drop_empty_columns), its width going to the text columns. number:
    a 序号 column (a portrait page with the measure and owner has no room for it)."""
    cols = [("序号", 10, f"{{{{ {var}.no }}}}", C)] if number else []
    if department:
        cols.append(("部门", 26, f"{{{{ {var}.department }}}}", L))
    cols += [("指标", 0, f"{{{{ {var}.indicator_text }}}}", L)]
    if severity:
        cols += [("类型", 17, f"{{{{ {var}.kind }}}}", C), ("程度", 11, f"{{{{ {var}.severity }}}}", C)]
    else:
        cols += [("类型", 17, f"{{{{ {var}.kind }}}}\n（{{{{ {var}.severity }}}}）", C)]
    # §14: the gap's light on a shaded cell (docxtpl's cellbg), a column of its own on a landscape
    # page (dropped when no gap has one); on a portrait page, under the 完成时限 it is about.
    if severity:
        cols += [("预警", 11, f"{{% cellbg {var}.light_color %}}{{{{ {var}.light }}}}", C)]
    cols += [("存在问题", 0, f"{{{{ {var}.description }}}}", L)]
    if measure:
        cols.append(("整改措施", 0, f"{{{{ {var}.measure }}}}", L))
    if owner:
        cols.append(("责任人", 14, f"{{{{ {var}.owner }}}}", C))
        cols.append(("完成时限", 27, f"{{{{ {var}.deadline }}}}" if severity else
                     f"{{% cellbg {var}.light_color %}}{{{{ {var}.deadline }}}}\n{{{{ {var}.light_label }}}}", C))
    if state:
        cols.append(("状态", 11, f"{{{{ {var}.state }}}}", C))
    if tracking:
        cols.append(("整改状态", 17, f"{{{{ {var}.tracking }}}}", C))
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


def caption(doc, text: str):
    """A table's caption, above it and kept with it."""
    para(doc, text, ds.TABLE_CAPTION)


def signature(doc, closing: str, attachment: str = ""):
    """Closing formula, 附件说明, then 落款 (issuing office and date) kept on the page of the closing:
    every paragraph from the closing on keeps with the next (GB/T 9704 7.3.5), and so does the last
    paragraph of the text before it (the callers' loops), so the last page never holds the closing
    alone. The 署名 is 右空二字 and the 成文日期 starts two characters right of it: set after
    rendering from the two texts (docstyle.place_signature)."""
    para(doc, closing, ds.LEAD)
    if attachment:
        para(doc, "", ds.LEAD)
        para(doc, attachment, ds.LEAD)
    para(doc, "", ds.LEAD)
    para(doc, "{{ organization }}创建工作办公室", ds.SIGNATURE)
    para(doc, "{{ report_date }}", ds.SIGNATURE)
    tag(doc, "{%p if contact_text %}")
    para(doc, "（{{ contact_text }}）")           # 附注 (GB/T 9704 7.3.6): 左空二字, in brackets
    tag(doc, "{%p endif %}")


def last_kept(doc, loop: str, text: str, style: str = ds.BODY):
    """A `{%p for %}` loop of paragraphs whose last one keeps with the next (the closing)."""
    tag(doc, f"{{%p for {loop} %}}")
    tag(doc, "{%p if loop.last %}")
    para(doc, text, ds.LEAD)
    tag(doc, "{%p else %}")
    para(doc, text, style)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def header_block(doc, title: str, subtitle: str = ""):
    para(doc, title, ds.TITLE)
    if subtitle:
        para(doc, subtitle, ds.SUBTITLE)
    else:
        para(doc, "", ds.SUBTITLE)


def page_break(doc):
    from docx.enum.text import WD_BREAK
    doc.add_paragraph(style=ds.BODY).add_run().add_break(WD_BREAK.PAGE)


def summary_template(path: Path) -> None:
    doc = new_document("{{ title }}汇总报告（{{ round }}）")
    header_block(doc, "{{ title_text }}")
    para(doc, "{{ organization }}创建工作领导小组：", ds.ADDRESSEE)
    # The date near the start of its paragraph, where no round name can push it across a line end
    # (Word, WPS and LibreOffice all break CJK text between 年 and 12月, word joiner or not).
    para(doc, "根据创建工作安排，以{{ as_of }}为测评基准日，创建工作办公室对各部门报送的{{ round }}"
              "自评测评材料进行了汇总审核。现将有关情况报告如下。")

    para(doc, "一、总体情况", ds.HEADING1)
    para(doc, "{{ verdict }}{{ shortfall_text }}")
    para(doc, "{{ overview }}")
    caption(doc, "各测评项目得分情况")
    loop_table(doc, [("编号", 14, "{{ i.code }}", C), ("测评项目", 66, "{{ i.name }}", L),
                     ("得分", 19, "{{ i.score }}", N), ("分值", 18, "{{ i.max }}", N),
                     ("失分", 18, "{{ i.lost }}", N), ("得分率", 21, "{{ i.rate }}", N)], "i in items",
               total=["", "{{ items_total.name }}", "{{ items_total.score }}", "{{ items_total.max }}",
                      "{{ items_total.lost }}", "{{ items_total.rate }}"])
    para(doc, "{{ chart_items }}", ds.FIGURE)
    para(doc, "图1　各测评项目得分率", ds.CAPTION)

    para(doc, "二、失分分析", ds.HEADING1)
    tag(doc, "{%p if loss_text %}")
    para(doc, "{{ loss_text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if source_text %}")
    para(doc, "{{ source_text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if losing_indicators %}")
    caption(doc, "失分最多的指标")
    loop_table(doc, [("指标", 64, "{{ x.code }} {{ x.name }}", L), ("分值", 15, "{{ x.max }}", N),
                     ("得分", 15, "{{ x.score }}", N), ("失分", 15, "{{ x.lost }}", N),
                     ("其中因退回、\n未报送", 24, "{{ x.lost_absent }}", N),
                     ("其中因\n自评偏低", 23, "{{ x.lost_low }}", N)], "x in losing_indicators")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for c in computed_lines %}")
    para(doc, "{{ c.text }}")
    tag(doc, "{%p endfor %}")

    para(doc, "三、各部门报送和排名情况", ds.HEADING1)
    para(doc, "{{ unsubmitted_text }}")
    tag(doc, "{%p if unranked %}")
    caption(doc, "退回和未报送的部门")
    loop_table(doc, [("序号", 11, "{{ u.no }}", C), ("部门", 45, "{{ u.name }}", L),
                     ("情况", 16, "{{ u.state_text }}", C), ("原因", 50, "{{ u.reason }}", L),
                     ("负责人", 16, "{{ u.head }}", C), ("报送时限", 18, "{{ u.resubmit_by }}", C)], "u in unranked")
    tag(doc, "{%p endif %}")
    para(doc, "{{ ranking_text }}")
    tag(doc, "{%p if bottom_departments %}")
    caption(doc, "得分率前{{ top_departments|length }}名和后{{ bottom_departments|length }}名的部门")
    loop_table(doc, [("排名", 16, "{{ d.rank }}", C), ("部门", 74, "{{ d.name }}", L),
                     ("得分", 22, "{{ d.score }}", N), ("分值", 22, "{{ d.max }}", N),
                     ("得分率", 22, "{{ d.rate }}", N)], "d in top_bottom")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if chart_departments %}")
    para(doc, "{{ chart_departments }}", ds.FIGURE)
    para(doc, "图2　{{ chart_departments_caption }}", ds.CAPTION)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if chart_note %}")
    para(doc, "{{ chart_note }}", ds.NOTE)
    tag(doc, "{%p endif %}")

    para(doc, "四、主要问题短板", ds.HEADING1)
    para(doc, "{{ top_gaps_text }}{{ severe_text }}")
    tag(doc, "{%p if top_gaps %}")
    caption(doc, "主要问题短板")
    loop_table(doc, gap_columns("g", department=True, measure=False, owner=False, state=False), "g in top_gaps")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if progress_text %}")
    para(doc, "{{ progress_text }}")
    tag(doc, "{%p endif %}")

    para(doc, "五、核定情况", ds.HEADING1)
    para(doc, "{{ review_text }}")
    tag(doc, "{%p if review_rows %}")
    caption(doc, "核减最多的自评得分")
    loop_table(doc, [("部门", 34, "{{ r.department }}", L), ("指标", 42, "{{ r.indicator }} {{ r.indicator_name }}", L),
                     ("自评\n得分", 14, "{{ r.self_score }}", N), ("核定\n得分", 14, "{{ r.score }}", N),
                     ("核减", 12, "{{ r.delta }}", N), ("核定说明", 40, "{{ r.reason }}", L)], "r in review_rows")
    tag(doc, "{%p endif %}")

    para(doc, "六、整改进度", ds.HEADING1)
    para(doc, "{{ rectification_text }}")
    tag(doc, "{%p if overdue_rows %}")
    caption(doc, "超过完成时限尚未销号的问题")
    loop_table(doc, [("序号", 11, "{{ g.no }}", C), ("部门", 34, "{{ g.department }}", L),
                     ("指标", 49, "{{ g.indicator_text }}", L), ("责任人", 18, "{{ g.owner }}", C),
                     ("完成时限", 27, "{{ g.deadline }}", C), ("整改状态", 17, "{{ g.tracking }}", C)],
               "g in overdue_rows")
    tag(doc, "{%p endif %}")

    para(doc, "七、一票否决事项和特色加分", ds.HEADING1)
    para(doc, "{{ vetoes_text }}", ds.LEAD)
    tag(doc, "{%p for v in vetoes_occurred %}")
    para(doc, "{{ v.code }} {{ v.name }}（报告部门：{{ v.departments }}；情况说明：{{ v.notes }}）")
    tag(doc, "{%p endfor %}")
    para(doc, "{{ bonus_text }}")
    tag(doc, "{%p if bonuses %}")
    caption(doc, "特色加分申报情况")
    loop_table(doc, [("序号", 11, "{{ b.no }}", C), ("部门", 32, "{{ b.department }}", L),
                     ("特色项目", 45, "{{ b.project }}", L), ("申报\n加分", 14, "{{ b.points }}", N),
                     ("说明", 54, "{{ b.description }}", L)], "b in bonuses")
    tag(doc, "{%p endif %}")

    para(doc, "八、下一步工作", ds.HEADING1)
    last_kept(doc, "a in actions", "（{{ a.no_cn }}）{{ a.text }}。责任人：{{ a.owner }}；完成时间：{{ a.deadline }}。")
    signature(doc, "特此报告。", "附件：各部门自评得分排名")

    page_break(doc)
    para(doc, "附件", ds.ATTACHMENT)
    para(doc, "各部门自评得分排名", ds.ATTACHMENT_TITLE)
    loop_table(doc, [("名次", 14, "{{ d.rank }}", C), ("部门", 62, "{{ d.name }}", L),
                     ("自评\n得分", 18, "{{ d.self_score }}", N), ("得分", 18, "{{ d.score }}", N),
                     ("分值", 14, "{{ d.max }}", N), ("得分率", 18, "{{ d.rate }}", N),
                     ("问题\n数", 12, "{{ d.gap_count }}", N)], "d in ranking")
    tag(doc, "{%p if unranked %}")
    para(doc, "注：退回和未报送的部门（{{ unranked|length }}个）不参与排名，见正文第三部分。", ds.NOTE)
    tag(doc, "{%p endif %}")
    doc.save(path)


def department_template(path: Path) -> None:
    doc = new_document("关于{{ round }}{{ title }}审核结果的通知（{{ dept.name }}）")
    header_block(doc, "{{ dept.title_text }}")
    para(doc, "{{ dept.name }}：", ds.ADDRESSEE)
    para(doc, "根据创建工作安排，以{{ as_of }}为测评基准日，现将你部门{{ round }}自评测评的审核结果通知如下。")

    para(doc, "一、报送和得分情况", ds.HEADING1)
    para(doc, "{{ dept.overview }}")
    tag(doc, "{%p if dept.errors %}")
    para(doc, "{{ dept.errors_text }}")
    caption(doc, "退回的自评表须修改的错误")
    loop_table(doc, [("序号", 11, "{{ x.no }}", C), ("文件", 30, "{{ x.file }}", L), ("工作表", 20, "{{ x.sheet }}", C),
                     ("单元格", 16, "{{ x.cell }}", C), ("问题及修改要求", 79, "{{ x.message }}", L)],
               "x in dept.errors")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if dept.evidence_problems %}")
    para(doc, "{{ dept.evidence_text }}")
    caption(doc, "佐证材料须补充或更换的情况")
    loop_table(doc, [("序号", 11, "{{ x.no }}", C), ("文件", 45, "{{ x.file }}", L), ("问题及要求", 100, "{{ x.message }}", L)],
               "x in dept.evidence_problems")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if dept.reviews %}")
    para(doc, "{{ dept.review_text }}")
    caption(doc, "创建办核定情况")
    loop_table(doc, [("指标", 50, "{{ r.code }} {{ r.name }}", L), ("自评\n得分", 15, "{{ r.self_score }}", N),
                     ("核定\n得分", 15, "{{ r.score }}", N), ("核定说明", 56, "{{ r.reason }}", L),
                     ("核定人", 20, "{{ r.reviewer }}", C)], "r in dept.reviews")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for c in dept.computed %}")
    para(doc, "{{ c.quoted }}按平台数据计算：{{ c.basis }}。"
              "{% if c.below %}未达到目标的人员：{{ c.below }}。{% endif %}")
    tag(doc, "{%p endfor %}")

    para(doc, "二、指标自评情况", ds.HEADING1)
    tag(doc, "{%p if dept.entries %}")
    caption(doc, "本部门承担指标的自评情况")
    loop_table(doc, [("测评指标", 52, "{{ e.code }} {{ e.name }}", L),
                     ("分值", 12, "{{ e.max }}", N), ("自评\n得分", 14, "{{ e.self_score }}", N),
                     ("核定\n得分", 14, "{{ e.verified }}", N),
                     ("完成\n情况", 16, "{{ e.status }}", C), ("佐证材料", 48, "{{ e.evidence }}", L)],
               "e in dept.entries")
    tag(doc, "{%p else %}")
    para(doc, "本部门本轮未承担测评指标。")
    tag(doc, "{%p endif %}")

    para(doc, "三、问题短板", ds.HEADING1)
    para(doc, "{{ dept.gaps_text }}")
    tag(doc, "{%p if dept.gaps %}")
    caption(doc, "本部门问题短板")
    loop_table(doc, gap_columns("g", department=False, measure=True, owner=True, state=False, tracking=True,
                                severity=False, number=False), "g in dept.gaps")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if dept.defaults_note %}")
    para(doc, "注：{{ dept.defaults_note }}", ds.NOTE)
    tag(doc, "{%p endif %}")

    para(doc, "四、下一步工作", ds.HEADING1)
    last_kept(doc, "s in dept.next_steps", "（{{ s.no_cn }}）{{ s.text }}")
    signature(doc, "{{ dept.closing }}")
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
    loop_table(doc, gap_columns("g", department=False, measure=True, owner=True, state=True, tracking=True,
                                width=wide), "g in grp.gaps", wide)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if closed_gaps %}")
    para(doc, "已整改销号的问题", ds.HEADING1)
    para(doc, "以下问题上轮（{{ previous_round }}）列入清单，本轮已整改到位，予以销号：", ds.LEAD)
    loop_table(doc, [("序号", 11, "{{ c.no }}", C), ("部门", 40, "{{ c.department }}", L),
                     ("指标", 56, "{{ c.indicator_text }}", L), ("类型", 17, "{{ c.kind }}", C),
                     ("说明", 56, "{{ c.description }}", L), ("销号日期", 27, "{{ c.closed_on }}", C),
                     ("核验人", 18, "{{ c.verifier }}", C)], "c in closed_gaps", wide)
    tag(doc, "{%p endif %}")
    para(doc, "注：类型中“低分”指自评得分低于分值的{{ gap_ratio }}，其中低于{{ gap_severe_ratio }}的为严重；"
              "{% if has_state %}状态中“新增”“持续”与上一轮对比得出；{% endif %}"
              "同一指标兼有低分、逾期等情形的合为一项；整改状态由创建办在问题清单.xlsx中登记，"
              "该表按类型逐条列出，可筛选、排序。{{ defaults_note }}", ds.NOTE)
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
