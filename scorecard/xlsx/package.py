"""What the xlsx package says about itself, read from its parts without a spreadsheet parser.

A workbook's zip holds facts a values reader does not give: the date system (1904 or 1900), whether
it is ISO 29500 Strict, which zip entry holds which sheet, which cells are formulas saved without
a result, and how far each sheet extends (a values reader allocates the whole rectangle, so one
cell at XFD1048576 must be caught before it is asked). Files Excel opens but readers trip on
(zip entries with backslashes, `xl/SharedStrings.xml` in another case than its relationship
names it, a workbook part at the package root) are rewritten here into the conventional layout,
in memory, before a reader sees them.

Every part was already inflated and checked by safety.open_safely (bounded sizes, no DOCTYPE or
ENTITY), so reading them again here is cheap and safe; XML is parsed with defusedxml anyway.
`PackageError` is raised for a part whose XML is broken: the caller turns it into a finding.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import fromstring, iterparse
from openpyxl.utils import column_index_from_string

STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
CONTENT_TYPES = "[Content_Types].xml"
PACKAGE_RELS = "_rels/.rels"
CONVENTIONAL = "xl/workbook.xml"
# Package-level parts that stay where they are when the workbook part is moved into xl/.
PACKAGE_LEVEL = (CONTENT_TYPES.casefold(), PACKAGE_RELS, "docprops/", "customxml/", "[trash]/")

_ROW_REF = re.compile(rb"<(?:[\w.\-]+:)?row\b[^>]*?\br=\"\s*([0-9]{1,12})")
# A cell's own reference places it, whatever row element holds it (calamine goes by it).
_CELL_REF = re.compile(rb"<(?:[\w.\-]+:)?c\b[^>]*?\br=\"\s*([A-Za-z]{1,8})\s*([0-9]{0,12})")
_CELL_TAG = re.compile(rb"<(?:[\w.\-]+:)?c[\s/>]")
_FAR = re.compile(rb' r="(?:[A-Za-z]{2}|[A-Za-z]?[0-9]{4})')      # a column past Z or a row past 999
SMALL_EXTENT = (999, 26)
_ERROR_OR_FORMULA = re.compile(rb"t=\"e\"|<(?:[\w.\-]+:)?f[\s/>]")


class PackageError(Exception):
    """A part the package needs is missing or is not well-formed XML."""


@dataclass(frozen=True)
class SheetPart:
    name: str               # the sheet's name as the workbook lists it
    part: str               # the zip entry holding it ("" when the workbook points nowhere)
    state: str              # visible | hidden | veryHidden


@dataclass(frozen=True)
class CellNotes:
    """What a values reader does not say about a sheet's cells (1-based row, col)."""

    formulas_without_value: dict[tuple[int, int], str] = field(default_factory=dict)   # -> "=formula"
    errors: dict[tuple[int, int], str] = field(default_factory=dict)                   # -> "#N/A"


@dataclass
class Package:
    data: bytes
    entries: dict[str, str]             # normalised, case-folded name -> the zip entry's own name
    workbook_part: str                  # as found (normalised), e.g. "xl/workbook.xml" or "workbook.xml"
    strict: bool
    date1904: bool
    sheets: list[SheetPart]
    repairs: list[str]                  # what had to be rewritten for readers (empty for a plain file)
    _zip: tuple | None = field(default=None, repr=False)
    _parts: dict[str, bytes] = field(default_factory=dict, repr=False)     # entry -> inflated bytes
    _targets: dict[str, str] = field(default_factory=dict, repr=False)     # workbook relationships

    def read(self, name: str) -> bytes | None:
        entry = self.entries.get(_norm(name).casefold())
        if entry is None:
            return None
        cached = self._parts.get(entry)
        if cached is None:
            if self._zip is None or self._zip[0] is not self.data:
                self._zip = (self.data, zipfile.ZipFile(io.BytesIO(self.data)))
            cached = self._parts[entry] = self._zip[1].read(entry)
        return cached

    def extent(self, sheet: SheetPart) -> tuple[int, int]:
        """An upper bound on (rows, columns) of the sheet's used rectangle, from its cell references."""
        xml = self.read(sheet.part) if sheet.part else None
        if not xml:
            return 0, 0
        # The common case in a few fast byte scans: every row and cell carries r="", none past Z999.
        if (b"<c>" not in xml and b":c " not in xml and not _FAR.search(xml)
                and xml.count(b' r="') >= xml.count(b"<c ") + xml.count(b"<row")):
            return SMALL_EXTENT
        rows = [int(r) for r in _ROW_REF.findall(xml)]
        refs = _CELL_REF.findall(xml)
        rows += [int(r) for _, r in refs if r]
        n_rows = max([*rows, xml.count(b"<row") + xml.count(b":row ")])
        n_cells = len(_CELL_TAG.findall(xml))
        max_col = max((_column(c) for c in {c for c, _ in refs}), default=0)
        if len(refs) < n_cells:          # cells without r="" sit one after another from column A
            max_col = max(max_col, n_cells)
        return n_rows, max_col

    def cell_notes(self, sheet: SheetPart) -> CellNotes:
        """Formula cells saved without a result, and error cells (#N/A...), by position."""
        xml = self.read(sheet.part) if sheet.part else None
        if not xml or not _ERROR_OR_FORMULA.search(xml):
            return CellNotes()
        notes = CellNotes()
        row, col = 0, 0
        try:
            for event, el in iterparse(io.BytesIO(xml), events=("start", "end")):
                tag = el.tag.rpartition("}")[2]
                if event == "start":
                    if tag == "row":
                        row = int(el.get("r") or row + 1)
                        col = 0
                    elif tag == "c":
                        ref = el.get("r")
                        if ref:
                            letters = ref.rstrip("0123456789")
                            col = column_index_from_string(letters.upper())
                            row = int(ref[len(letters):] or row)
                        else:
                            col += 1
                    continue
                if tag != "c":
                    continue
                kids = {child.tag.rpartition("}")[2]: child for child in el}
                value = kids.get("v")
                has_value = value is not None and (value.text or "") != ""
                if "f" in kids and not has_value:
                    text = (kids["f"].text or "").strip()
                    notes.formulas_without_value[(row, col)] = "=" + text if text else "=（共享公式）"
                elif el.get("t") == "e" and has_value:
                    notes.errors[(row, col)] = value.text
                el.clear()
        except (ParseError, ValueError) as exc:
            raise PackageError(f"{sheet.part}: {exc}") from exc
        return notes


def open_package(data: bytes, parts: dict[str, bytes] | None = None) -> Package:
    """The package's own facts, and its bytes rewritten into the conventional layout where needed.
    `parts`: members already inflated (SafeFile.parts), by zip entry name."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = [info.filename for info in zf.infolist() if not info.is_dir()]
    entries = {_norm(n).casefold(): n for n in names}
    pkg = Package(data=data, entries=entries, workbook_part=CONVENTIONAL, strict=False, date1904=False,
                  sheets=[], repairs=[], _zip=(data, zf), _parts=dict(parts or {}))
    pkg.workbook_part = _workbook_part(pkg)
    workbook_xml = pkg.read(pkg.workbook_part)
    if workbook_xml is None:
        raise PackageError(f"no workbook part {pkg.workbook_part}")
    root = _xml(workbook_xml, pkg.workbook_part)
    pkg.strict = root.tag.startswith("{" + STRICT_MAIN + "}") or root.get("conformance") == "strict"
    for el in root.iter():
        tag = el.tag.rpartition("}")[2]
        if tag == "workbookPr":
            pkg.date1904 = (el.get("date1904") or "").strip().lower() in ("1", "true")
    targets = _relationships(pkg, _rels_of(pkg.workbook_part))
    pkg._targets = targets
    base = posixpath.dirname(pkg.workbook_part)
    sheets = next((el for el in root if el.tag.rpartition("}")[2] == "sheets"), ())
    for el in sheets:
        if el.tag.rpartition("}")[2] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.rpartition("}")[2] == "id"), None)
        target = targets.get(rid or "")
        part = _resolve(base, target) if target else ""
        if part and _norm(part).casefold() not in entries:
            part = ""
        pkg.sheets.append(SheetPart(el.get("name") or "", part, el.get("state") or "visible"))
    _repair(pkg, names)
    return pkg


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _norm(name: str) -> str:
    return name.replace("\\", "/").lstrip("/")


def _xml(body: bytes, part: str):
    try:
        return fromstring(body)
    except (ParseError, ValueError) as exc:
        raise PackageError(f"{part}: {exc}") from exc


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(pkg: Package, rels_part: str) -> dict[str, str]:
    body = pkg.read(rels_part)
    if body is None:
        return {}
    out = {}
    for el in _xml(body, rels_part).iter():
        if el.tag.rpartition("}")[2] == "Relationship" and el.get("TargetMode") != "External":
            out[el.get("Id") or ""] = el.get("Target") or ""
    return out


def _resolve(base: str, target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _workbook_part(pkg: Package) -> str:
    """The officeDocument relationship of _rels/.rels, or xl/workbook.xml when it names nothing there."""
    body = pkg.read(PACKAGE_RELS)
    if body is not None:
        for el in _xml(body, PACKAGE_RELS).iter():
            if el.tag.rpartition("}")[2] == "Relationship" and (el.get("Type") or "").endswith("/officeDocument"):
                part = _resolve("", el.get("Target") or "")
                if _norm(part).casefold() in pkg.entries:
                    return _norm(part)
    return CONVENTIONAL


# --- rewriting into the conventional layout ---------------------------------------------------

def _repair(pkg: Package, names: list[str]) -> None:
    """Rewrite pkg.data when readers expect names it does not have; note each repair made."""
    rename: dict[str, str] = {}
    if any("\\" in n for n in names):
        pkg.repairs.append("backslashes")
    for n in names:
        rename[n] = _norm(n)
    # Parts named by relationships or [Content_Types].xml in another case than the zip entry has.
    wanted = _referenced_names(pkg, names)
    for n in names:
        spelt = wanted.get(_norm(n).casefold())
        if spelt and spelt != rename[n]:
            rename[n] = spelt
            if "case" not in pkg.repairs:
                pkg.repairs.append("case")
    moved_from = posixpath.dirname(pkg.workbook_part)
    if pkg.workbook_part.casefold() != CONVENTIONAL:
        pkg.repairs.append("workbook-location")
        for n in names:
            new = rename[n]
            if _package_level(new):
                continue
            if moved_from and not new.casefold().startswith(moved_from.casefold() + "/"):
                continue
            inner = new[len(moved_from) + 1:] if moved_from else new
            rename[n] = "xl/" + inner
    if not pkg.repairs:
        return
    if len({n.casefold() for n in rename.values()}) < len(rename):
        raise PackageError("two members would take the same name once the layout is repaired")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pkg.data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.is_dir():
                continue
            body = src.read(info)
            new = rename[info.filename]
            if "workbook-location" in pkg.repairs:
                if new == PACKAGE_RELS:
                    body = _retarget_package_rels(body)
                elif new.casefold() == CONTENT_TYPES.casefold():
                    body = _move_content_types(body, moved_from)
            dst.writestr(new, body)
    pkg.data = out.getvalue()
    pkg._parts, pkg._zip = {}, None         # entry names changed: read the rewritten package afresh
    pkg.entries = {n.casefold(): n for n in rename.values()}
    pkg.sheets = [SheetPart(s.name, rename_of(rename, s.part) if s.part else "", s.state) for s in pkg.sheets]
    pkg.workbook_part = CONVENTIONAL if "workbook-location" in pkg.repairs else rename_of(rename, pkg.workbook_part)


def rename_of(rename: dict[str, str], part: str) -> str:
    for old, new in rename.items():
        if _norm(old).casefold() == part.casefold():
            return new
    return part


def _package_level(name: str) -> bool:
    low = name.casefold()
    return low in PACKAGE_LEVEL[:2] or low.startswith(PACKAGE_LEVEL[2:])


def _referenced_names(pkg: Package, names: list[str]) -> dict[str, str]:
    """Case-folded part name -> the spelling the workbook's relationships (shared strings, styles,
    sheets) or the package's give it; [Content_Types].xml by its one spelling. The parts readers
    look up by name; a mismatch elsewhere (a drawing's image) does not stop the values being read."""
    out = {CONTENT_TYPES.casefold(): CONTENT_TYPES}
    base = posixpath.dirname(pkg.workbook_part)
    for target in pkg._targets.values():
        if target and "://" not in target:
            part = _resolve(base, target)
            out.setdefault(part.casefold(), part)
    out.setdefault(pkg.workbook_part.casefold(), pkg.workbook_part)
    return out


def _retarget_package_rels(body: bytes) -> bytes:
    return re.sub(rb'(<Relationship\b[^>]*?Type="[^"]*/officeDocument"[^>]*?Target=")[^"]*"',
                  rb'\1xl/workbook.xml"', re.sub(
                      rb'(<Relationship\b[^>]*?Target=")[^"]*("[^>]*?Type="[^"]*/officeDocument")',
                      rb'\1xl/workbook.xml\2', body))


def _move_content_types(body: bytes, moved_from: str) -> bytes:
    prefix = ("/" + moved_from + "/").encode() if moved_from else b"/"

    def move(m: re.Match) -> bytes:
        name = m.group(2)
        rest = name[len(prefix):] if name.startswith(prefix) else None
        if rest is None or (not moved_from and _package_level(rest.decode("utf-8", "replace"))):
            return m.group(0)
        return m.group(1) + b"/xl/" + rest + b'"'

    return re.sub(rb'(PartName=")(/[^"]*)"', move, body)


# --- for openpyxl ------------------------------------------------------------------------------

_EMPTY_STYLE = re.compile(rb'(<(?:[\w.\-]+:)?(?:c|row)\b[^>]*?)\ss=""')
_PIVOT_REL = re.compile(rb'<(?:[\w.\-]+:)?Relationship\b[^>]*?Type="[^"]*/(?:pivotTable|pivotCacheDefinition)"[^>]*/>')
_PIVOT_CACHES = re.compile(rb"<(?:[\w.\-]+:)?pivotCaches\b.*?</(?:[\w.\-]+:)?pivotCaches>", re.S)


# ISO 29500 Strict -> Transitional namespaces (ECMA-376 Part 1 and Part 4). Longest first, so a
# relationship type's own spelling is replaced before its namespace prefix.
STRICT_TO_TRANSITIONAL = (
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
    (b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
     b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"),
    (b"http://purl.oclc.org/ooxml/officeDocument/sharedTypes",
     b"http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes"),
    (b"http://purl.oclc.org/ooxml/officeDocument/math", b"http://schemas.openxmlformats.org/officeDocument/2006/math"),
    (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"),
    (b"http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
     b"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"),
    (b"http://purl.oclc.org/ooxml/drawingml/chart", b"http://schemas.openxmlformats.org/drawingml/2006/chart"),
    (b"http://purl.oclc.org/ooxml/drawingml/main", b"http://schemas.openxmlformats.org/drawingml/2006/main"),
    (b"http://purl.oclc.org/ooxml/schemaLibrary/main", b"http://schemas.openxmlformats.org/schemaLibrary/2006/main"),
)
_STRICT_MARK = b"http://purl.oclc.org/ooxml/"


def _transitional(body: bytes) -> bytes:
    for strict, transitional in STRICT_TO_TRANSITIONAL:
        body = body.replace(strict, transitional)
    return body.replace(b' conformance="strict"', b"")


def for_openpyxl(pkg: Package) -> bytes:
    """The package (layout already repaired) as openpyxl can load it, for reading values when
    calamine cannot and for annotated copies: empty style attributes (s="") dropped, and pivot
    tables with their caches unhooked (openpyxl raises on caches Excel for Mac writes; a copy
    without the pivot table loses nothing the department filled in). Returns pkg.data itself
    when nothing needs changing. A Strict package is given Transitional namespaces (openpyxl
    knows only those and would load it with no sheets at all)."""
    sheet_parts = {s.part.casefold() for s in pkg.sheets if s.part}
    changes: dict[str, bytes] = {}
    for key, entry in pkg.entries.items():
        if not key.endswith((".xml", ".rels")):
            continue
        body = original = pkg.read(entry)
        if pkg.strict and _STRICT_MARK in body:
            body = _transitional(body)
        if key in sheet_parts and b's=""' in body:
            body = _EMPTY_STYLE.sub(rb"\1", body)
        elif key.endswith(".rels") and b"/pivot" in body:
            body = _PIVOT_REL.sub(b"", body)
        elif key == pkg.workbook_part.casefold() and b"pivotCaches" in body:
            body = _PIVOT_CACHES.sub(b"", body)
        if body != original:
            changes[entry] = body
    if not changes:
        return pkg.data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pkg.data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, changes.get(info.filename) or src.read(info))
    return out.getvalue()


def openpyxl_bytes(data: bytes) -> bytes:
    """A workbook's bytes as openpyxl can load them (layout repaired, Strict made Transitional,
    s="" dropped, pivot caches unhooked): for annotated copies of files openpyxl would refuse.
    Raises PackageError when the package's own XML is broken."""
    return for_openpyxl(open_package(data))
