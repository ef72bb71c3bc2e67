"""docxtpl's render, with what is the same for every document of a template done once.

A department report costs ~25 ms through docxtpl: it opens the template package (python-docx
parses every XML part), renders, re-serialises every part and deflates each into a new zip.
Only the parts with tags change from one department to the next. `Prepared` opens the template
once per process, keeps docxtpl's patched and compiled Jinja source of each rendered part (body,
headers, footers, the core properties), and the serialised and already-deflated bytes of every
other part; a render then runs Jinja, docxtpl's own table and drawing-id fixes and our
empty-column pass on the body, and writes the zip from the cached members plus the few new ones.

The result is the package docxtpl writes, part for part and byte for byte (tests/test_docxrender.py
compares them): the same docxtpl functions run on the same text, only the order of the work
changes. The context must be plain data: a picture, sub-document or hyperlink adds parts to the
package while it renders, which only docxtpl does (reports renders the summary report, with its
charts, through docxtpl). A template this module does not cover (footnotes) and any error go
through docxtpl itself (reports._Renderer), so messages and edge cases stay docxtpl's; a
template from a user's folder is also compared with docxtpl's output on its first document.
"""
from __future__ import annotations

import copy
import io
import logging
import re
import struct
import time
import zlib

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import parse_xml, serialize_part_xml
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
from docx.opc.pkgwriter import _ContentTypesItem
from docx.oxml.ns import nsmap, qn
from docxtpl import DocxTemplate
from jinja2 import Environment
from lxml import etree

from ..base import settings

logger = logging.getLogger(__name__)

# The core properties docxtpl renders (DocxTemplate.render_properties), in its order.
PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_PARAGRAPH = re.compile(r"<w:p([ >])")
_W_NS = nsmap["w"]
_TBL, _TBL_GRID, _GRID_COL, _TR, _TC = qn("w:tbl"), qn("w:tblGrid"), qn("w:gridCol"), qn("w:tr"), qn("w:tc")
_TC_PR, _GRID_SPAN, _VAL, _DOC_PR = qn("w:tcPr"), qn("w:gridSpan"), qn("w:val"), qn("wp:docPr")
_MARK = "docxrender body"
LEVEL = 6          # zlib's default: what zipfile (python-docx) writes


_CACHE_SIZE = int(settings.get("template_cache"))   # a run has a handful (body, headers, footers of 3 templates)


def cached(cache: dict, key, make):
    """cache[key], made by make() on a miss. Emptied rather than grown past _CACHE_SIZE, so an
    unusual template (many parts) costs recompiles, never unbounded memory."""
    value = cache.get(key)
    if value is None:
        if len(cache) > _CACHE_SIZE:
            cache.clear()
        value = cache[key] = make()
    return value


class CompilingEnvironment(Environment):
    """Compiles each distinct template source once: docxtpl hands the same patched XML to
    from_string for every department, and compiling it is most of a render's cost."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return cached(self._compiled, source, lambda: super(CompilingEnvironment, self).from_string(source))


_LISTING_CHARS = re.compile("[\t\n\a\f]")


class Template(DocxTemplate):
    """DocxTemplate that remembers patch_xml results: cleaning the template XML for Jinja (a few
    dozen regex passes) gives the same result for every department, so do it once per run
    (patched: a dict shared by the Templates of one template)."""

    def __init__(self, template_file, patched: dict[str, str] | None = None):
        super().__init__(template_file)
        self._patched = {} if patched is None else patched

    def patch_xml(self, src_xml):
        return cached(self._patched, src_xml, lambda: super(Template, self).patch_xml(src_xml))

    def resolve_listing(self, xml):
        # docxtpl turns tab, newline, \a and \f inside texts into Word markup with three nested
        # regex passes over every paragraph; a rendered part without any of them is left as it is.
        if not _LISTING_CHARS.search(xml):
            return xml
        return super().resolve_listing(xml)


class Unsupported(Exception):
    """A template this module does not render; docxtpl renders it instead."""


class Prepared:
    """One template, opened and compiled once; render(context) -> the .docx bytes.

    tpl is a fresh Template (a DocxTemplate) of the template's bytes; env the Jinja
    environment of the run; post(body) is applied to the rendered body element before it is
    serialised (docstyle's empty-column pass)."""

    def __init__(self, tpl, env, post=None):
        self.tpl, self.env, self.post = tpl, env, post
        doc = tpl.get_docx()
        package = doc.part.package
        core = doc.core_properties          # created here when missing, as docxtpl's render does
        parts = package.parts
        if any(p.content_type == FOOTNOTES for p in parts):
            raise Unsupported("footnotes")
        self.document_part = doc.part
        self.root = doc.element
        body = self.root.body
        self.body = self._compile(tpl.patch_xml(tpl.xml_to_string(body)))
        # The body is swapped into a skeleton of the document element: the text before and after it.
        skeleton = copy.deepcopy(self.root)
        skeleton.body.clear()
        skeleton.body.append(etree.Comment(_MARK))
        text = serialize_part_xml(skeleton)
        mark = text.index(b"<!--" + _MARK.encode() + b"-->")
        self.head = text[:text.rindex(b"<", 0, mark)]
        self.tail = text[text.index(b">", mark + len(_MARK) + 7) + 1:]
        self.root_ns = dict(self.root.nsmap)
        self.stories: dict[str, tuple] = {}        # partname -> (encoding, compiled)
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                self.stories[part.partname] = (tpl.get_headers_footers_encoding(xml),
                                               self._compile(tpl.patch_xml(xml)))
        self.core_part = package.part_related_by(RT.CORE_PROPERTIES)
        self.core_element = copy.deepcopy(self.core_part.element)
        self.properties = [(name, self.env.from_string(getattr(core, name))) for name in PROPERTIES]
        self.cache: dict = {}                      # rendered story/properties -> member
        self.parser = etree.XMLParser(recover=True)  # DocxTemplate.fix_tables' parser
        # What python-docx's PackageWriter writes, in its order: a member's bytes, or the part
        # whose bytes a render makes (document, header/footer, core properties).
        changing = {self.document_part.partname, self.core_part.partname, *self.stories}
        self.members: list = [_member(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob),
                              _member(PACKAGE_URI.rels_uri.membername, package.rels.xml)]
        for part in parts:
            self.members.append(part.partname if part.partname in changing
                                else _member(part.partname.membername, part.blob))
            if len(part.rels):
                self.members.append(_member(part.partname.rels_uri.membername, part.rels.xml))

    def _compile(self, patched: str):
        return self.env.from_string(_PARAGRAPH.sub(r"\n<w:p\1", patched))

    def _rendered(self, template, context) -> str:
        """DocxTemplate.render_xml_part after from_string (its regex put back as two replaces)."""
        xml = template.render(context).replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.tpl.resolve_listing(xml)

    def document_xml(self, context) -> bytes:
        xml = self._rendered(self.body, context)
        tree = etree.fromstring(xml, parser=self.parser)
        if _tables_need_fixing(tree):
            tree = self.tpl.fix_tables(xml)
        # DocxTemplate.fix_docpr_ids: every drawing's id renumbered from 1001, in document order.
        for number, element in enumerate(tree.iter(_DOC_PR), 1001):
            element.attrib["id"] = str(number)
        if self.post is not None:
            self.post(tree)
        # In the document, the body's namespace declarations that the document element already
        # makes are dropped (lxml does so when docxtpl puts the body into the document tree).
        text = etree.tostring(tree, encoding="UTF-8")
        end = text.index(b">")
        start = text[:end]
        known = {uri: prefix for prefix, uri in self.root_ns.items()}
        for prefix, uri in tree.nsmap.items():
            if uri in known:
                if known[uri] != prefix:
                    raise Unsupported(f"namespace {uri} under two prefixes")
                declaration = (f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"').encode()
                start = start.replace(declaration, b"", 1)
        return self.head + start + text[end:] + self.tail

    def render(self, context) -> bytes:
        out = []
        for member in self.members:
            if not isinstance(member, tuple):
                member = self._part(member, context)
            out.append(member)
        return _zip(out)

    def _part(self, partname, context) -> tuple:
        name = partname.membername
        if partname == self.document_part.partname:
            return _member(name, self.document_xml(context))
        if partname == self.core_part.partname:
            values = tuple((prop, template.render(context)) for prop, template in self.properties)
            return self._cached((name, values), lambda: _member(name, serialize_part_xml(self._core(values))))
        encoding, template = self.stories[partname]
        xml = self._rendered(template, context)
        return self._cached((name, xml), lambda: _member(name, serialize_part_xml(parse_xml(xml.encode(encoding)))))

    def _core(self, values):
        """The core properties element as docxtpl leaves it: each rendered value set in turn."""
        element = copy.deepcopy(self.core_element)
        core = CoreProperties(element)
        for prop, value in values:
            setattr(core, prop, value)
        return element

    def _cached(self, key, make) -> tuple:
        """A member made from rendered text: footers are the same in every document, the title not."""
        return cached(self.cache, key, make)


def _tables_need_fixing(tree) -> bool:
    """Whether DocxTemplate.fix_tables would change a table: a row with more cells than the
    grid has columns, or no row as wide as the grid (cells counted with their gridSpan)."""
    if tree.nsmap.get("w") != _W_NS:
        return True
    for table in tree.iter(_TBL):
        grid = table.find(_TBL_GRID)
        if grid is None:
            return True
        columns = len(grid.findall(_GRID_COL))
        spans = next(table.iter(_GRID_SPAN), None) is not None
        widest = 0
        for row in table.iter(_TR):
            cells = row.findall(_TC)
            if len(cells) > columns:
                return True
            if spans:
                try:
                    width = sum(_span(cell) for cell in cells)
                except (TypeError, ValueError):
                    return True
            else:
                width = len(cells)
            widest = max(widest, width)
        if widest < columns:
            return True
    return False


def _span(cell) -> int:
    properties = cell.find(_TC_PR)
    span = None if properties is None else properties.find(_GRID_SPAN)
    return 1 if span is None else int(span.get(_VAL))


def _member(name: str, data: bytes) -> tuple:
    """(name, crc, size, deflated data) of a zip member."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return name, zlib.crc32(data), len(data), compressor.compress(data) + compressor.flush()


def _zip(members: list[tuple]) -> bytes:
    """A zip archive of already-deflated members, as zipfile writes it (deflate, no data
    descriptors, the time of writing as each member's time)."""
    now = time.localtime(time.time())
    dos_time = now.tm_hour << 11 | now.tm_min << 5 | now.tm_sec // 2
    dos_date = (now.tm_year - 1980) << 9 | now.tm_mon << 5 | now.tm_mday
    body, directory, offset = [], [], 0
    for name, crc, size, data in members:
        raw = name.encode("ascii") if name.isascii() else name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        if size >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
            raise Unsupported("zip64")
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, dos_time, dos_date,
                             crc, len(data), size, len(raw), 0)
        body += (header, raw, data)
        directory.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, dos_time, dos_date,
                                     crc, len(data), size, len(raw), 0, 0, 0, 0, 0o600 << 16, offset) + raw)
        offset += len(header) + len(raw) + len(data)
    central = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), offset, 0)
    return b"".join(body) + central + end


def same_package(a: bytes, b: bytes) -> bool:
    """Two .docx files hold the same members, in the same order, with the same bytes."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        names = za.namelist()
        return names == zb.namelist() and all(za.read(n) == zb.read(n) for n in names)
