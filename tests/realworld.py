"""Builders for workbooks as other tools write them: Excel (Windows, Mac, Strict), WPS, LibreOffice.

openpyxl writes one narrow dialect of SpreadsheetML (inline strings, its own part names). Real
submissions come from Excel, WPS and LibreOffice, whose files differ in ways that trip readers:
shared strings, Strict namespaces, part names in another case, backslashes in zip entries, a
workbook part at the package root, pivot caches. `write_xlsx` writes a package by hand from the
values of a filled workbook, with each of those conventions as an option, so the corpus in
tests/test_corpus.py is built here rather than committed as binaries.

    sheets = sheets_of(filled(rules, "办公室"))
    path.write_bytes(write_xlsx(sheets, strict=True))
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, to_excel

TRANSITIONAL = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
# ISO/IEC 29500 Strict: what Excel writes for "Strict Open XML Spreadsheet (*.xlsx)".
STRICT = {
    "main": "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "r": "http://purl.oclc.org/ooxml/officeDocument/relationships",
    "rel": "http://purl.oclc.org/ooxml/officeDocument/relationships",
}
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass(frozen=True)
class Formula:
    text: str                    # without the leading "="
    cached: object = None        # None: saved without a result (a generator that never calculated)


class Err(str):
    """An error value (#N/A, #DIV/0!) as a formula's cached result."""


@dataclass
class Sheet:
    title: str
    cells: dict[tuple[int, int], object]          # (row, col), 1-based -> value
    merges: list[str] = field(default_factory=list)
    state: str = "visible"


def sheets_of(wb) -> list[Sheet]:
    """The values, merges and visibility of an openpyxl workbook, in sheet order."""
    out = []
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    value = cell.value
                    if isinstance(value, str) and value.startswith("="):
                        value = Formula(value[1:])
                    cells[(cell.row, cell.column)] = value
        out.append(Sheet(ws.title, cells, [str(r) for r in ws.merged_cells.ranges], ws.sheet_state))
    return out


def put(sheets: list[Sheet], title: str, ref: str, value) -> None:
    """Set one cell (A1 reference) of the named sheet; None removes it."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    letters, row = coordinate_from_string(ref)
    cells = next(s for s in sheets if s.title == title).cells
    if value is None:
        cells.pop((row, column_index_from_string(letters)), None)
    else:
        cells[(row, column_index_from_string(letters))] = value


def write_xlsx(sheets: list[Sheet], *, strict: bool = False, shared_strings: bool = True,
               entry_case: dict[str, str] | None = None, root_workbook: bool = False, backslashes: bool = False,
               date1904: bool = False, iso_dates: bool = False, empty_style: bool = False,
               application: str = "Microsoft Excel", pivot: str | None = None, prefixed: bool = False,
               cell_refs: bool = True, markup_compat: bool = False,
               extra: dict[str, bytes] | None = None) -> bytes:
    """A package as Excel writes it (shared strings, a date style, docProps), with the options:

    strict          ISO 29500 Strict namespaces and conformance="strict" (dates as ISO text cells when iso_dates)
    entry_case      zip entry names spelt otherwise than the relationships name them
                    ({"xl/sharedStrings.xml": "xl/SharedStrings.xml"}: Excel finds parts case-insensitively)
    root_workbook   workbook.xml at the package root rather than in xl/
    backslashes     zip entry names with "\\" (written by some Windows zip tools and generators)
    date1904        the 1904 date system (Excel for Mac before 2016)
    empty_style     every cell without a style carries s="" (written by some generators; Excel accepts it)
    pivot           "mac": a pivot table with a cache openpyxl refuses (see _add_pivot)
    prefixed        SpreadsheetML bound to a prefix (<x:worksheet xmlns:x=...>), as the Open XML SDK writes
    cell_refs       False: cells without r="" (positional, as some streaming writers emit them)
    markup_compat   what Excel 365 adds: mc:Ignorable namespaces, xr:uid attributes, x14ac:dyDescent on
                    rows, an mc:AlternateContent block in the workbook part
    """
    ns = STRICT if strict else TRANSITIONAL
    base = "" if root_workbook else "xl/"
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    sst_name = f"{base}sharedStrings.xml"
    strings: dict[str, int] = {}
    parts: dict[str, bytes] = {}
    overrides = {f"/{base}workbook.xml": MAIN_CT,
                 f"/{base}styles.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
                 "/docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
                 "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml"}
    rels = []
    for n, sheet in enumerate(sheets, 1):
        parts[f"{base}worksheets/sheet{n}.xml"] = _sheet_xml(sheet, ns, strings, shared_strings, epoch,
                                                             iso_dates, empty_style, cell_refs)
        overrides[f"/{base}worksheets/sheet{n}.xml"] = SHEET_CT
        rels.append((f"rId{n}", f"{ns['rel']}/worksheet", f"worksheets/sheet{n}.xml"))
    rels.append(("rIdS", f"{ns['rel']}/styles", "styles.xml"))
    if strings:
        rels.append(("rIdT", f"{ns['rel']}/sharedStrings", "sharedStrings.xml"))
        overrides["/" + sst_name] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
        items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        parts[sst_name] = _xml(f'<sst xmlns="{ns["main"]}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                               f"{items}</sst>")
    pivot_cache = ""
    if pivot:
        pivot_cache = _add_pivot(parts, overrides, rels, base, ns, sheets[0].title)
    conformance = ' conformance="strict"' if strict else ""
    date_system = ' date1904="1"' if date1904 else ""
    sheet_list = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{n}"'
                         + (f' state="{s.state}"' if s.state != "visible" else "") + f' r:id="rId{n}"/>'
                         for n, s in enumerate(sheets, 1))
    parts[f"{base}workbook.xml"] = _xml(
        f'<workbook xmlns="{ns["main"]}" xmlns:r="{ns["r"]}"{conformance}>'
        f'<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328"/>'
        f'<workbookPr{date_system} defaultThemeVersion="166925"/>'
        f'<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300"/></bookViews>'
        f'<sheets>{sheet_list}</sheets><calcPr calcId="191029"/>{pivot_cache}</workbook>')
    parts[f"{base}_rels/workbook.xml.rels"] = _rels(rels)
    parts[f"{base}styles.xml"] = _xml(
        f'<styleSheet xmlns="{ns["main"]}"><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d;@"/>'
        '</numFmts><fonts count="1"><font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/>'
        '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
        '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="176" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    parts["docProps/app.xml"] = _xml(
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        f"<Application>{escape(application)}</Application></Properties>")
    parts["docProps/core.xml"] = _xml(
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>张敏</dc:creator></cp:coreProperties>')
    parts["_rels/.rels"] = _rels([
        ("rId1", f"{ns['rel']}/officeDocument", f"{base}workbook.xml"),
        ("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
         "docProps/core.xml"),
        ("rId3", f"{ns['rel']}/extended-properties", "docProps/app.xml")])
    if markup_compat:
        for name in [n for n in parts if n.startswith(base) and n.endswith(".xml")]:
            parts[name] = _markup_compat(parts[name], ns["main"].encode())
    if prefixed:
        main = ns["main"].encode()
        for name in [n for n in parts if n.startswith(base) and n.endswith(".xml")]:
            if main in parts[name]:
                parts[name] = _prefixed(parts[name], main)
    parts.update(extra or {})
    types = "".join(f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
    content_types = _xml(f'<Types xmlns="{CT}"><Default Extension="rels" ContentType='
                         '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                         f'ContentType="application/xml"/>{types}</Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        for name, body in parts.items():
            name = (entry_case or {}).get(name, name)
            zf.writestr(name.replace("/", "\\") if backslashes else name, body)
    return buf.getvalue()


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + body).encode("utf-8")


MC = (b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
      b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
      b'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
      b'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
      b'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" ')


def _markup_compat(body: bytes, main: bytes) -> bytes:
    root = b'xmlns="' + main + b'"'
    if root not in body:
        return body
    body = body.replace(root, root + b" " + MC.strip(), 1)
    body = body.replace(b"<worksheet ", b'<worksheet xr:uid="{00000000-0001-0000-0000-000000000000}" ', 1)
    body = re.sub(rb'<row r="([0-9]+)">', rb'<row r="\1" x14ac:dyDescent="0.25">', body)
    return body.replace(b"<bookViews>", b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
                        b'markup-compatibility/2006"><mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\'
                        b'\xe5\xbc\xa0\xe6\x95\x8f\\Desktop\\" xmlns:x15ac="http://schemas.microsoft.com/office/'
                        b'spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent><bookViews>', 1)


def _prefixed(body: bytes, main: bytes) -> bytes:
    body = body.replace(b'xmlns="' + main + b'"', b'xmlns:x="' + main + b'"')
    return re.sub(rb"<(/?)([A-Za-z][\w]*)(?=[\s/>])", rb"<\1x:\2", body)


def _rels(rels) -> bytes:
    return _xml(f'<Relationships xmlns="{PKG_RELS}">'
                + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in rels)
                + "</Relationships>")


def _sheet_xml(sheet: Sheet, ns, strings, shared, epoch, iso_dates, empty_style, cell_refs) -> bytes:
    rows: dict[int, list[str]] = {}
    for (r, c), value in sorted(sheet.cells.items()):
        line = rows.setdefault(r, [])
        if not cell_refs:       # positional cells: fill the gaps before this one
            line.extend('<c/>' for _ in range(c - 1 - len(line)))
        line.append(_cell(f"{get_column_letter(c)}{r}", value, strings, shared, epoch, iso_dates, empty_style))
    if not cell_refs:
        rows = {r: [re.sub(r'^<c r="[A-Z]+[0-9]+"', "<c", cell) for cell in line] for r, line in rows.items()}
    data = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in sorted(rows.items()))
    merges = ""
    if sheet.merges:
        merges = f'<mergeCells count="{len(sheet.merges)}">' + "".join(
            f'<mergeCell ref="{m}"/>' for m in sheet.merges) + "</mergeCells>"
    return _xml(f'<worksheet xmlns="{ns["main"]}" xmlns:r="{ns["r"]}"><sheetViews><sheetView workbookViewId="0"/>'
                f'</sheetViews><sheetFormatPr defaultRowHeight="14.25"/><sheetData>{data}</sheetData>{merges}'
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                "</worksheet>")


def _cell(ref, value, strings, shared, epoch, iso_dates, empty_style) -> str:
    plain = ' s=""' if empty_style else ""
    if isinstance(value, Formula):
        cached = value.cached
        kind = ' t="e"' if isinstance(cached, Err) else ' t="str"' if isinstance(cached, str) else ""
        v = "" if cached is None else f"<v>{escape(str(cached))}</v>"
        return f'<c r="{ref}"{plain}{kind}><f>{escape(value.text)}</f>{v}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{plain} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        day = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        if iso_dates:
            return f'<c r="{ref}" s="2" t="d"><v>{day.isoformat()}</v></c>'
        return f'<c r="{ref}" s="2"><v>{to_excel(day, epoch):g}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{plain}><v>{value!r}</v></c>'
    text = str(value)
    if shared:
        index = strings.setdefault(text, len(strings))
        return f'<c r="{ref}"{plain} t="s"><v>{index}</v></c>'
    return f'<c r="{ref}"{plain} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _add_pivot(parts, overrides, rels, base, ns, source_sheet) -> str:
    """A pivot table over 基本信息 whose cache definition openpyxl refuses while Excel opens the
    file: it stands in for the caches Excel for Mac writes, with attribute values openpyxl's typed
    descriptors reject (`refreshedDate` with a decimal comma: TypeError expected float; an empty
    `missingItemsLimit`: TypeError expected int), each enough on its own. Not a byte copy of a
    Mac file: the reader must not depend on pivot parts at all, whatever is in them."""
    defn = (f'<pivotCacheDefinition xmlns="{ns["main"]}" xmlns:r="{ns["r"]}" r:id="rId1" '
            'refreshedBy="Microsoft Office User" refreshedDate="46376,6173" createdVersion="4" '
            'refreshedVersion="4" minRefreshableVersion="3" recordCount="2" missingItemsLimit="">'
            f'<cacheSource type="worksheet"><worksheetSource ref="A1:B2" sheet={quoteattr(source_sheet)}/>'
            '</cacheSource><cacheFields count="2"><cacheField name="部门名称" numFmtId="0"><sharedItems count="2">'
            '<s v="填报人"/><m/></sharedItems></cacheField><cacheField name="办公室" numFmtId="0"><sharedItems '
            'count="1"><s v="张敏"/></sharedItems></cacheField></cacheFields></pivotCacheDefinition>')
    records = (f'<pivotCacheRecords xmlns="{ns["main"]}" count="1"><r><x v="0"/><x v="0"/></r>'
               "</pivotCacheRecords>")
    table = (f'<pivotTableDefinition xmlns="{ns["main"]}" name="数据透视表1" cacheId="1" dataCaption="值" '
             'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" '
             'applyAlignmentFormats="0" applyWidthHeightFormats="1" updatedVersion="4" minRefreshableVersion="3" '
             'createdVersion="4" indent="0" outline="1" outlineData="1"><location ref="D1:E3" firstHeaderRow="1" '
             'firstDataRow="1" firstDataCol="0"/><pivotFields count="2"><pivotField axis="axisRow" showAll="0">'
             '<items count="3"><item x="0"/><item x="1"/><item t="default"/></items></pivotField>'
             '<pivotField showAll="0"/></pivotFields><rowFields count="1"><field x="0"/></rowFields>'
             '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1"/>'
             "</pivotTableDefinition>")
    parts[f"{base}pivotCache/pivotCacheDefinition1.xml"] = _xml(defn)
    parts[f"{base}pivotCache/pivotCacheRecords1.xml"] = _xml(records)
    parts[f"{base}pivotCache/_rels/pivotCacheDefinition1.xml.rels"] = _rels(
        [("rId1", f"{ns['rel']}/pivotCacheRecords", "pivotCacheRecords1.xml")])
    parts[f"{base}pivotTables/pivotTable1.xml"] = _xml(table)
    parts[f"{base}pivotTables/_rels/pivotTable1.xml.rels"] = _rels(
        [("rId1", f"{ns['rel']}/pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml")])
    parts[f"{base}worksheets/_rels/sheet1.xml.rels"] = _rels(
        [("rId1", f"{ns['rel']}/pivotTable", "../pivotTables/pivotTable1.xml")])
    overrides[f"/{base}pivotCache/pivotCacheDefinition1.xml"] = \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"
    overrides[f"/{base}pivotCache/pivotCacheRecords1.xml"] = \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml"
    overrides[f"/{base}pivotTables/pivotTable1.xml"] = \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml"
    rels.append(("rIdP", f"{ns['rel']}/pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml"))
    return '<pivotCaches><pivotCache cacheId="1" r:id="rIdP"/></pivotCaches>'
