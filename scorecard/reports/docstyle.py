"""Word styles for the report templates: an official-document look (GB/T 9704-2012, as far as
python-docx allows) kept in NAMED styles, so office staff can restyle a template in Word
(修改样式) instead of hunting direct formatting.

`tools/build_templates.py` calls `apply_styles(document)` on a fresh python-docx Document and then
writes paragraphs with these style names. Fonts are set explicitly on every style (ascii, hAnsi
and eastAsia, theme fonts removed), because a theme font attribute silently wins over a named one
and Chinese text would then fall back to the theme's Japanese/Latin font.
"""
from __future__ import annotations


from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, nsmap, qn
from lxml import etree
from docx.shared import Mm, Pt


# Fonts named as Chinese government offices have them (GB/T 9704); `ALT_NAMES` goes into the
# font table so Word can substitute a commonly installed font when the official one is missing.
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_TABLE = "仿宋_GB2312"
LATIN = "Times New Roman"
ALT_NAMES = {
    FONT_TITLE: "华文中宋",
    FONT_BODY: "仿宋",
    FONT_KAI: "楷体",
    FONT_HEI: "SimHei",
    FONT_SONG: "SimSun",
}

# Page: A4, GB/T 9704 margins (top 37, bottom 35, left 28, right 26 mm).
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH_MM = 210 - 28 - 26          # 156 mm between the margins
LANDSCAPE_TEXT_WIDTH_MM = 297 - 37 - 35  # 225 mm
TWIPS_PER_MM = 1440 / 25.4

BODY_SIZE = Pt(16)      # 三号
TITLE_SIZE = Pt(22)     # 二号
TABLE_SIZE = Pt(10.5)   # 五号
FOOTER_SIZE = Pt(14)    # 四号
LINE = Pt(28.95)        # exact line pitch: 22 lines in the 225 mm text height (GB/T 9704 7.1)
GRID_LINES, GRID_CHARS = 22, 28   # document grid: 22 lines of 28 characters

# Style names used by the templates (Word shows Normal/Heading 1/Heading 2 as 正文/标题 1/标题 2).
BODY = "Normal"
TITLE = "公文标题"
SUBTITLE = "文头"
HEADING1 = "Heading 1"
HEADING2 = "Heading 2"
TABLE_TEXT = "表格文字"
TABLE_CENTER = "表格居中"
TABLE_HEADER = "表格表头"
TABLE_NUMBER = "表格数字"   # numbers right-aligned so their digits line up
TABLE_CAPTION = "表题"      # a table's caption, above it
ADDRESSEE = "主送"          # the 主送机关 line: flush left, ending with a colon
FIGURE = "图片"
CAPTION = "图题"
NOTE = "说明文字"
PAGE_NUMBER = "页码"
SIGNATURE = "落款"
LEAD = "引导语"          # body text kept on the page of what follows (the closing, the signature)
ATTACHMENT = "附件标识"   # "附件" on the attachment's first line, 顶格 (GB/T 9704 8)
ATTACHMENT_TITLE = "附件标题"  # the attachment's title, centred, as the 附件说明 names it
TABLE_STYLE = "Table Grid"
HEADER_FILL = "D9D9D9"


def _set_fonts(rpr_owner, east: str, latin: str = LATIN) -> None:
    """Explicit fonts for every script; drop theme attributes, which would override them."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_style(doc, name: str, *, base: str | None = BODY, next_style: str | None = None):
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.quick_style = True
    if base and name != base:
        style.base_style = styles[base]
    if next_style:
        style.next_paragraph_style = styles[next_style]
    return style


def _format(style, *, east: str, size, bold=False, align=None, indent_chars: int = 0,
            exact: Pt | None = None, before=0, after=0, keep_next=False, latin: str = LATIN):
    _set_fonts(style.element, east, latin)
    font = style.font
    font.size = size
    font.bold = bold
    font.italic = False
    rpr = style.element.get_or_add_rPr()
    color = rpr.find(qn("w:color"))
    if color is not None:
        rpr.remove(color)
    pf = style.paragraph_format
    pf.alignment = align
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.keep_with_next = keep_next
    pf.widow_control = True
    if exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = exact
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = size * indent_chars if indent_chars else Pt(0)
    ind = style.element.get_or_add_pPr().get_or_add_ind()
    # firstLineChars makes the indent follow the font size when staff change it (2 characters).
    ind.set(qn("w:firstLineChars"), str(indent_chars * 100))
    # Borders, shading and theme colours inherited from python-docx's built-in Title/Heading styles.
    ppr = style.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:shd"):
        el = ppr.find(qn(tag))
        if el is not None:
            ppr.remove(el)


def _no_grid(style) -> None:
    """Keep a style off the character grid: small type (tables, notes) would otherwise be spread
    to the body's 28-characters-a-line pitch."""
    ppr = style.element.get_or_add_pPr()
    if ppr.find(qn("w:snapToGrid")) is None:
        el = OxmlElement("w:snapToGrid")
        el.set(qn("w:val"), "0")
        # CT_PPr order: pStyle, keepNext, keepLines, pageBreakBefore, framePr, widowControl,
        # numPr, suppressLineNumbers, pBdr, shd, tabs, suppressAutoHyphens, kinsoku, wordWrap,
        # overflowPunct, topLinePunct, autoSpaceDE, autoSpaceDN, bidi, adjustRightInd, snapToGrid, spacing, ...
        later = [ppr.find(qn(t)) for t in ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                                            "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                                            "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                                            "w:rPr", "w:sectPr", "w:pPrChange")]
        later = [x for x in later if x is not None]
        if later:
            min(later, key=lambda x: list(ppr).index(x)).addprevious(el)
        else:
            ppr.append(el)


def _doc_defaults(doc) -> None:
    root = doc.styles.element
    defaults = root.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr, value in (("w:ascii", LATIN), ("w:hAnsi", LATIN), ("w:eastAsia", FONT_BODY), ("w:cs", LATIN)):
        fonts.set(qn(attr), value)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    # Any other style that still names a theme font would override the explicit fonts: remove.
    for el in root.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            el.attrib.pop(qn(attr), None)


def _font_table(doc) -> None:
    """Declare the Chinese fonts (GB2312 charset) with an alternative name Word can fall back to."""
    part = next((p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None:
        return
    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name in (FONT_TITLE, FONT_BODY, FONT_HEI, FONT_KAI, FONT_SONG):
        if name in known:
            continue
        font = parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{ALT_NAMES[name]}"/>'
            '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
        )
        root.append(font)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _settings(doc) -> None:
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def page_setup(section, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins; landscape turns the portrait page (margins rotate with it),
    for documents that are mostly one wide table."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
        section.top_margin, section.bottom_margin = MARGIN_RIGHT, MARGIN_LEFT
        section.left_margin, section.right_margin = MARGIN_TOP, MARGIN_BOTTOM
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = Mm(15)
    section.footer_distance = Mm(25)
    section.gutter = Mm(0)
    document_grid(section)


def document_grid(section) -> None:
    """The GB/T 9704 line grid: 22 lines on the 225 mm text height (Word's 文档网格, 只指定行网格).

    The standard's 28 characters a line are 28 三号 characters squeezed into 156 mm (a pitch of
    15.8 pt for a 16 pt glyph). Word squeezes them with a character grid, but LibreOffice then
    gives every character two grid cells and spreads a line over the page; so the grid fixes
    the lines only, and the body font and margins give 27-28 characters a line in both."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(round(LINE.pt * 20))))
    grid.attrib.pop(qn("w:charSpace"), None)


def _prune(doc) -> None:
    """Drop what python-docx's default document carries but a report never uses: the ~100
    decorative table styles (they make styles.xml 350 KB, parsed on every render and shown to
    staff in the style gallery), Word 2010's stylesWithEffects copy (with theme fonts that would
    come back there), the blank thumbnail and the custom XML item."""
    root = doc.styles.element
    for style in root.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:styleId")) not in ("TableNormal", "TableGrid"):
            root.remove(style)
    dropped = ("stylesWithEffects", "customXml", "webSettings")
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.rsplit("/", 1)[-1] in dropped:
            doc.part.drop_rel(rel_id)
    package_rels = doc.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.rsplit("/", 1)[-1] == "thumbnail":
            package_rels.pop(rel_id)


def apply_styles(doc) -> None:
    """Define every named style the templates use, and the page layout of the first section."""
    _prune(doc)
    _doc_defaults(doc)
    _font_table(doc)
    _settings(doc)

    _format(doc.styles[BODY], east=FONT_BODY, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent_chars=2, exact=LINE)
    _format(_paragraph_style(doc, TITLE), east=FONT_TITLE,
            size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, exact=Pt(36), after=6, keep_next=True)
    _format(_paragraph_style(doc, SUBTITLE, next_style=BODY), east=FONT_KAI, size=BODY_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER, exact=LINE, after=28, keep_next=True)
    doc.styles[TITLE].next_paragraph_style = doc.styles[SUBTITLE]
    _format(_paragraph_style(doc, HEADING1, next_style=BODY), east=FONT_HEI, size=BODY_SIZE,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2, exact=LINE, keep_next=True)
    _format(_paragraph_style(doc, HEADING2, next_style=BODY), east=FONT_KAI, size=BODY_SIZE,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2, exact=LINE, keep_next=True)
    _format(_paragraph_style(doc, TABLE_TEXT), east=FONT_TABLE, size=TABLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.LEFT)
    _format(_paragraph_style(doc, TABLE_CENTER, base=TABLE_TEXT), east=FONT_TABLE, size=TABLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER)
    _format(_paragraph_style(doc, TABLE_HEADER, base=TABLE_TEXT), east=FONT_HEI, size=TABLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, keep_next=True)
    _format(_paragraph_style(doc, TABLE_NUMBER, base=TABLE_TEXT), east=FONT_TABLE, size=TABLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.RIGHT)
    _format(_paragraph_style(doc, CAPTION, next_style=BODY), east=FONT_KAI, size=Pt(14),
            align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    _format(_paragraph_style(doc, TABLE_CAPTION), east=FONT_HEI, size=Pt(14),
            align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=3, keep_next=True)
    _format(_paragraph_style(doc, ADDRESSEE), east=FONT_BODY, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT,
            exact=LINE, keep_next=True)
    _format(_paragraph_style(doc, FIGURE, next_style=CAPTION), east=FONT_BODY, size=BODY_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER, before=6, keep_next=True)
    _format(_paragraph_style(doc, NOTE, next_style=BODY), east=FONT_BODY, size=Pt(12),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY, exact=Pt(20), before=3)
    _format(_paragraph_style(doc, LEAD), east=FONT_BODY, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent_chars=2, exact=LINE, keep_next=True)
    _format(_paragraph_style(doc, SIGNATURE), east=FONT_BODY, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT,
            exact=LINE, keep_next=True)
    # 署名 右空二字 (GB/T 9704 7.3.5.2, unsealed); the date line below is placed by place_signature.
    doc.styles[SIGNATURE].paragraph_format.right_indent = BODY_SIZE * 2
    _format(_paragraph_style(doc, ATTACHMENT), east=FONT_HEI, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT,
            exact=LINE, keep_next=True)
    _format(_paragraph_style(doc, ATTACHMENT_TITLE), east=FONT_TITLE, size=TITLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER, exact=Pt(36), before=14, after=14, keep_next=True)
    _format(_paragraph_style(doc, PAGE_NUMBER, base=BODY), east=FONT_SONG, size=FOOTER_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER, latin=FONT_SONG)
    for name in ("Header", "Footer"):
        _format(doc.styles[name], east=FONT_SONG, size=FOOTER_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                latin=FONT_SONG)
    # Table Grid's own paragraph properties are already single-spaced; give it our font too.
    _set_fonts(doc.styles[TABLE_STYLE].element, FONT_TABLE)
    for name in (TITLE, SUBTITLE, ATTACHMENT_TITLE, TABLE_TEXT, TABLE_CENTER, TABLE_HEADER, TABLE_NUMBER, CAPTION, TABLE_CAPTION,
                 FIGURE, NOTE, PAGE_NUMBER, "Header", "Footer"):
        _no_grid(doc.styles[name])
    page_setup(doc.sections[0])
    doc.settings.odd_and_even_pages_header_footer = True
    page_number_footer(doc.sections[0])


def page_number_footer(section) -> None:
    """Page numbers "— n —" in 4号 宋体 (the 页码 style), GB/T 9704 7.5: on odd pages right with
    one character's space, on even pages left with one character's space."""
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = PAGE_NUMBER
        paragraph.alignment = align
        if side == "right":
            paragraph.paragraph_format.right_indent = FOOTER_SIZE
        else:
            paragraph.paragraph_format.left_indent = FOOTER_SIZE
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.add_run("— ")
        for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
            run = paragraph.add_run()
            if kind == "instr":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            elif kind == "text":
                run.text = text
            else:
                fld = OxmlElement("w:fldChar")
                fld.set(qn("w:fldCharType"), kind)
                run._r.append(fld)
        paragraph.add_run(" —")


# ---------------------------------------------------------------- tables

def mm_to_twips(mm: float) -> int:
    return int(round(mm * TWIPS_PER_MM))


def table_layout(table, widths_mm: list[float], text_width_mm: float = TEXT_WIDTH_MM) -> None:
    """Fixed layout, exact column widths that add up to the text width, centred, compact cells."""
    total = sum(widths_mm)
    if total > text_width_mm + 0.01:
        raise ValueError(f"table is {total} mm wide, more than {text_width_mm} mm")
    table.style = TABLE_STYLE
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout", "w:tblCellMar", "w:tblLook"):
        el = tbl_pr.find(qn(tag))
        if el is not None:
            tbl_pr.remove(el)
    tbl_pr.append(parse_xml(f'<w:tblW {nsdecls("w")} w:w="{mm_to_twips(total)}" w:type="dxa"/>'))
    tbl_pr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    tbl_pr.append(parse_xml(
        f'<w:tblCellMar {nsdecls("w")}><w:top w:w="28" w:type="dxa"/><w:left w:w="57" w:type="dxa"/>'
        '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'))
    # Keep the elements in schema order (tblStyle, ..., tblW, jc, ..., tblLayout, tblCellMar, tblLook).
    order = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
             "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"]
    children = sorted(tbl_pr, key=lambda el: order.index(el.tag.split("}")[1]) if el.tag.split("}")[1] in order else 99)
    for el in children:
        tbl_pr.append(el)
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def header_row(row) -> None:
    """Shade the header row and repeat it at the top of every page; never split it."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr_pr.append(OxmlElement("w:tblHeader"))
    for cell in row.cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        shd = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>')
        # CT_TcPr is a sequence: shd goes before noWrap/tcMar/.../vAlign.
        later = [tc_pr.find(qn(t)) for t in ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                                              "w:vAlign", "w:hideMark")]
        later = [el for el in later if el is not None]
        if later:
            later[0].addprevious(shd)
        else:
            tc_pr.append(shd)
        for paragraph in cell.paragraphs:
            paragraph.style = TABLE_HEADER


def cant_split(row) -> None:
    """Keep a row on one page (a row taller than a page still breaks)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


_TR, _TC, _T, _TR_PR, _TBL_HEADER = qn("w:tr"), qn("w:tc"), qn("w:t"), qn("w:trPr"), qn("w:tblHeader")
_TBL, _TBL_GRID, _GRID_COL, _TC_PR, _TC_W = qn("w:tbl"), qn("w:tblGrid"), qn("w:gridCol"), qn("w:tcPr"), qn("w:tcW")
_W, _TYPE, _GRID_SPAN, _V_MERGE, _DRAWING = qn("w:w"), qn("w:type"), qn("w:gridSpan"), qn("w:vMerge"), qn("w:drawing")
# The first tcPr's first tcW of the cell at `position` in every row: what find() gives, in one call.
_COLUMN_WIDTHS = etree.XPath("w:tr/w:tc[$position]/w:tcPr[1]/w:tcW[1]", namespaces={"w": nsmap["w"]})


def drop_empty_columns(document) -> int:
    """Remove, from every body table with a repeated header row, each column that is empty in
    every other row (a 责任人 nobody filled, a 状态 column without history). The freed width
    goes to the wide text columns, so the table keeps its width. Tables with merged cells are
    left alone. Returns the number of columns dropped. document: a python-docx Document, or
    the w:body element itself (docxrender renders the body alone)."""
    element = getattr(document, "element", None)
    body = element.body if element is not None else document
    dropped = 0
    for tbl in body.iter(_TBL):
        rows = tbl.findall(_TR)
        is_body = [(pr := r.find(_TR_PR)) is None or pr.find(_TBL_HEADER) is None for r in rows]
        if all(is_body) or not any(is_body):
            continue
        cells = [r.findall(_TC) for r in rows]
        grid = tbl.find(_TBL_GRID)
        cols = grid.findall(_GRID_COL) if grid is not None else []
        width = len(cells[0])
        if (any(len(c) != width for c in cells) or len(cols) != width
                or next(tbl.iter(_GRID_SPAN, _V_MERGE), None) is not None):
            continue
        body_cells = [c for c, b in zip(cells, is_body) if b]
        empty = [j for j in range(width)
                 if not any((x.text or "").strip() for row in body_cells for x in row[j].iter(_T))
                 and not row_has_drawing(body_cells, j)]
        if not empty or len(empty) == width:
            continue
        widths = [int(c.get(_W) or 0) for c in cols]
        freed = sum(widths[j] for j in empty)
        keep = [j for j in range(width) if j not in empty]
        widest = max(widths[j] for j in keep)
        wide = [j for j in keep if widths[j] >= 0.6 * widest]      # the free-text columns
        share = sum(widths[j] for j in wide) or 1
        new = {j: widths[j] + (round(freed * widths[j] / share) if j in wide else 0) for j in keep}
        new[wide[-1]] += freed - sum(new[j] - widths[j] for j in keep)
        for j in sorted(empty, reverse=True):
            for row in cells:
                row[j].getparent().remove(row[j])
            grid.remove(cols[j])
        for position, j in enumerate(keep, 1):
            value = str(new[j])
            cols[j].set(_W, value)
            for tc_w in _COLUMN_WIDTHS(tbl, position=position):     # each row's tc[position]/tcPr/tcW
                tc_w.set(_W, value)
                tc_w.set(_TYPE, "dxa")
        dropped += len(empty)
    return dropped


def row_has_drawing(rows, j: int) -> bool:
    return any(next(row[j].iter(_DRAWING), None) is not None for row in rows)


# ---------------------------------------------------------------- after rendering

_P, _PPR, _PSTYLE, _IND, _BR, _CANT = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:ind"), qn("w:br"), qn("w:cantSplit")
