"""A corpus of workbooks as real tools write them, and `check` over all of it.

Each case is a file built here (tests/realworld.py writes Excel's, Excel for Mac's, Strict and
WPS's conventions by hand; LibreOffice converts where it is installed; tests/hostile.py builds the
damaged and hostile ones) and the one outcome it must have: read with the right values, or the
right finding variant. Every file also goes through the CLI in-process (`check --json`), which
must agree with check_file and never crash.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

from conftest import SMALL_RULES, filled, full_marks
from scorecard import cli
from scorecard.intake.checking import check_file
from scorecard.base.findings import CATALOGUE
from scorecard.xlsx.package import openpyxl_bytes
from scorecard.rules import parse_rules
from scorecard.intake.workbook import read_workbook
from tests import hostile
from tests.realworld import Err, Formula, put, sheets_of, write_xlsx

DEFICIT = {"存在问题": "台账不全", "整改措施": "补齐台账", "责任人": "李强", "完成情况": "推进中"}
# What every readable file of the corpus holds: indicator -> (score, status, deadline).
EXPECTED = {"1.1": (3, "推进中", dt.date(2027, 1, 31)), "1.2": (5.5, "推进中", dt.date(2027, 2, 28)),
            "2.1": (5, "已完成", None), "2.10": (2, "已完成", None)}
SCORE_ROW = {"1.1": 2, "1.2": 3, "2.1": 4, "2.10": 5}    # 自评表 rows of the template
OK = "ok"


@pytest.fixture(scope="module")
def rules():
    return parse_rules(SMALL_RULES, "small.yaml")


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(SMALL_RULES, encoding="utf-8")
    return path


def department_book(rules):
    """The 办公室 workbook every readable case carries: a number stored as text, a full-width digit,
    a date typed as text, a status merged over two rows."""
    rows = full_marks(rules, "办公室", **{
        "1.1": {"自评得分": 3, **DEFICIT, "完成时限": dt.date(2027, 1, 31)},
        "1.2": {"自评得分": "5.5", **DEFICIT, "完成时限": "2027/02/28"},
        "2.1": {"自评得分": "５"}})
    wb = filled(rules, "办公室", rows=rows)
    ws = wb["自评表"]
    assert ws["A2"].value == "1.1" and ws["A3"].value == "1.2" and ws["F1"].value == "完成情况"
    ws["F3"] = None
    ws.merge_cells("F2:F3")
    return wb


def _sheets(rules):
    return sheets_of(department_book(rules))


# --- the corpus: name -> builder(rules, path) writing the file; outcome expected -------------

def excel(rules, path, **options):
    path.write_bytes(write_xlsx(_sheets(rules), **options))


def excel_with(cells: dict[tuple[str, str], object], **options):
    def build(rules, path):
        sheets = _sheets(rules)
        for (title, ref), value in cells.items():
            put(sheets, title, ref, value)
        path.write_bytes(write_xlsx(sheets, **options))
    return build


def mac_1904(rules, path):
    """Excel for Mac's 1904 date system: date cells and a deadline typed as a bare serial number."""
    sheets = _sheets(rules)
    put(sheets, "自评表", "K2", int(to_excel(dt.datetime(2027, 1, 31), CALENDAR_MAC_1904)))
    path.write_bytes(write_xlsx(sheets, date1904=True, application="Microsoft Macintosh Excel"))


def wps(rules, path):
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Properties xmlns='
              '"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt='
              '"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid='
              '"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer"><vt:lpwstr>2052-12.1.0.16120'
              "</vt:lpwstr></property></Properties>").encode()
    path.write_bytes(write_xlsx(_sheets(rules), application="WPS 表格", shared_strings=False,
                                extra={"docProps/custom.xml": custom}))


def damaged_sheet_xml(rules, path):
    data = write_xlsx(_sheets(rules))
    path.write_bytes(_replace(data, "xl/worksheets/sheet3.xml", lambda body: body[: len(body) // 2]))


def missing_shared_strings(rules, path):
    data = write_xlsx(_sheets(rules))
    path.write_bytes(_replace(data, "xl/sharedStrings.xml", None))


def strict_unreadable(rules, path):
    """Strict, and a shared-string index past the table: no reader gets values out of it."""
    data = write_xlsx(_sheets(rules), strict=True)

    def change(body):
        assert b't="s"><v>' in body
        return body.replace(b't="s"><v>', b't="s"><v>999', 1)
    path.write_bytes(_replace(data, "xl/worksheets/sheet2.xml", change))


def far_cell(rules, path):
    """One value at XFD1048576: calamine would build a 17-billion-cell grid; openpyxl reads it sparse."""
    excel_with({("自评表", "XFD1048576"): "x"})(rules, path)


def rich_text(rules, path):
    """部门名称 as rich text (two runs, one bold) with a phonetic guide, as Excel keeps typed text."""
    data = write_xlsx(_sheets(rules))
    plain = '<t xml:space="preserve">办公室</t></si>'.encode()
    rich = ('<r><t>办公</t></r><r><rPr><b/></rPr><t>室</t></r><rPh sb="0" eb="1"><t>ban</t></rPh>'
            '<phoneticPr fontId="1"/></si>').encode()

    def change(body):
        assert plain in body
        return body.replace(plain, rich)
    path.write_bytes(_replace(data, "xl/sharedStrings.xml", change))


def _replace(data: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == name:
                if change is None:
                    continue
                body = change(body)
            dst.writestr(info.filename, body)
    return out.getvalue()


def _hostile(builder):
    def build(rules, path):
        getattr(hostile, builder)(path)
    return build


def truncated(rules, path):
    data = write_xlsx(_sheets(rules))
    path.write_bytes(data[: len(data) * 2 // 3])


CORPUS = {
    # Read with the right values
    "excel_windows": (lambda r, p: excel(r, p), OK),
    "excel_365_markup": (lambda r, p: excel(r, p, markup_compat=True), OK),
    "excel_strict": (lambda r, p: excel(r, p, strict=True), OK),
    "excel_strict_iso_dates": (lambda r, p: excel(r, p, strict=True, iso_dates=True), OK),
    "empty_style_attribute": (lambda r, p: excel(r, p, empty_style=True), OK),
    "shared_strings_case": (lambda r, p: excel(r, p, entry_case={"xl/sharedStrings.xml": "xl/SharedStrings.xml"}), OK),
    "backslash_entries": (lambda r, p: excel(r, p, backslashes=True), OK),
    "workbook_at_root": (lambda r, p: excel(r, p, root_workbook=True), OK),
    "mac_pivot_cache": (lambda r, p: excel(r, p, pivot="mac", application="Microsoft Macintosh Excel"), OK),
    "mac_1904": (mac_1904, OK),
    "strict_backslashes_at_root": (lambda r, p: excel(r, p, strict=True, backslashes=True, root_workbook=True), OK),
    "wps_inline_strings": (wps, OK),
    "openxml_sdk_prefixed": (lambda r, p: excel(r, p, prefixed=True, application="Microsoft Excel (Open XML SDK)"), OK),
    "positional_cells": (lambda r, p: excel(r, p, cell_refs=False), OK),
    "rich_text_with_phonetics": (rich_text, OK),
    "formula_with_cached_value": (excel_with({("自评表", "E5"): Formula("1+1", 2)}), OK),
    "far_away_cell": (far_cell, OK),
    # Read, with the finding the content calls for
    "formula_without_value": (excel_with({("自评表", "E5"): Formula("1+1")}), [("cell.formula_no_value", "E5"), ("indicator.missing", "E5")]),
    "error_cell": (excel_with({("自评表", "E4"): Formula("VLOOKUP(A4,X:Y,2,0)", Err("#N/A"))}),
                   [("score.not_number", "E4")]),
    # Not read, with the variant that says why and what to do
    "strict_unreadable": (strict_unreadable, "file.unreadable/strict"),
    "truncated_zip": (truncated, "file.unreadable/damaged"),
    "damaged_sheet_xml": (damaged_sheet_xml, "file.unreadable/damaged"),
    "missing_shared_strings": (missing_shared_strings, "file.unreadable/damaged"),
    "crc_mismatch": (_hostile("crc_mismatch"), "file.unreadable/damaged"),
    "encrypted_ole": (_hostile("encrypted_ole"), "file.unreadable/encrypted"),
    "zip_bomb": (_hostile("zip_bomb"), "file.unreadable/unsafe"),
    "entity_bomb": (_hostile("entity_bomb"), "file.unreadable/unsafe"),
    "legacy_xls_renamed": (_hostile("legacy_xls"), "file.unsupported_format"),
}


def _expect_read(sub, rules) -> None:
    assert sub.department == "办公室" and sub.filler == "张敏" and sub.fill_date == dt.date(2026, 12, 20)
    got = {e.indicator: (e.score, e.status, e.deadline) for e in sub.entries}
    assert got == EXPECTED


def _variant_opening(key: str) -> str:
    """The fixed words a catalogue variant's message starts with, past the shared opening."""
    template = CATALOGUE[key][1]
    return template.split("{")[0]


def _check_outcome(name, sub, outcome, rules):
    messages = [f.message for f in sub.findings]
    if outcome == OK:
        assert sub.findings == (), (name, messages)
        _expect_read(sub, rules)
    elif isinstance(outcome, list):
        assert [(f.rule, f.cell) for f in sub.findings if f.severity == "error"] == outcome, (name, messages)
    else:
        assert len(sub.findings) == 1, (name, messages)
        f = sub.findings[0]
        assert f.rule == outcome.split("/")[0] and f.severity == "error"
        assert f.message.startswith(_variant_opening(outcome)), (name, f.message)
        if outcome == "file.unreadable/damaged":
            assert "重新报送原始文件" in f.message and "修复" in f.message
        if outcome == "file.unreadable/strict":
            assert "Strict Open XML" in f.message and "Excel 工作簿(*.xlsx)" in f.message


@pytest.mark.parametrize("name", list(CORPUS), ids=list(CORPUS))
def test_corpus_file(name, rules, rules_file, tmp_path, capsys):
    build, outcome = CORPUS[name]
    path = tmp_path / "办公室.xlsx"
    build(rules, path)
    sub = check_file(path, rules)
    _check_outcome(name, sub, outcome, rules)
    # The CLI in-process says the same, and exits 0 only for a clean file.
    capsys.readouterr()
    code = cli.main(["check", "--rules", str(rules_file), "--json", str(path)])
    printed = json.loads(capsys.readouterr().out)
    assert code == (0 if sub.ok else 1)
    assert [f["rule"] for f in printed[0]["findings"]] == [f.rule for f in sub.findings]


def test_corpus_is_read_by_calamine_unless_it_cannot(rules, tmp_path):
    """Which reader read what: calamine for everything it can, openpyxl for the far-away cell."""
    readers = {}
    for name in ("excel_windows", "excel_strict", "empty_style_attribute", "backslash_entries", "workbook_at_root",
                 "mac_pivot_cache", "far_away_cell"):
        path = tmp_path / f"{name}.xlsx"
        CORPUS[name][0](rules, path)
        readers[name] = read_workbook(path, rules.limits).reader
    assert readers.pop("far_away_cell") == "openpyxl"
    assert set(readers.values()) == {"calamine"}, readers


def test_layout_repairs_are_recorded(rules, tmp_path):
    path = tmp_path / "a.xlsx"
    excel(rules, path, backslashes=True, root_workbook=True, entry_case={"xl/sharedStrings.xml": "SharedStrings.xml"})
    parsed = read_workbook(path, rules.limits)
    assert set(parsed.repairs) == {"backslashes", "workbook-location"}
    with zipfile.ZipFile(io.BytesIO(openpyxl_bytes(path.read_bytes()))) as zf:
        assert "xl/workbook.xml" in zf.namelist() and not any("\\" in n for n in zf.namelist())


@pytest.mark.parametrize("name", ["excel_strict", "empty_style_attribute", "mac_pivot_cache", "backslash_entries",
                                  "workbook_at_root", "shared_strings_case"])
def test_files_openpyxl_refuses_load_after_openpyxl_bytes(name, rules, tmp_path):
    """What feedback.py needs for an annotated copy: openpyxl loads the rewritten bytes, with the
    department's sheets and values (a Strict file otherwise loads with no sheets at all)."""
    path = tmp_path / "a.xlsx"
    CORPUS[name][0](rules, path)
    wb = openpyxl.load_workbook(io.BytesIO(openpyxl_bytes(path.read_bytes())))
    assert wb["基本信息"]["B1"].value == "办公室" and wb["自评表"]["E2"].value == 3


def test_encrypted_workbook_made_by_msoffcrypto(rules, tmp_path):
    pytest.importorskip("msoffcrypto")
    path = hostile.encrypted_workbook(tmp_path / "办公室.xlsx")
    _check_outcome("encrypted", check_file(path, rules), "file.unreadable/encrypted", rules)


def test_a_file_that_vanishes_is_reported_for_that_file(rules, tmp_path):
    """A drop folder: a file listed for the run is gone when it is read. The others are read."""
    first, gone, last = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    for path in (first, gone, last):
        excel(rules, path)
    gone.unlink()
    subs = [check_file(p, rules) for p in (first, gone, last)]
    assert [s.ok for s in subs] == [True, False, True]
    assert [f.rule for f in subs[1].findings] == ["file.vanished"]
    assert "不存在" in subs[1].findings[0].message


def test_a_file_replaced_by_a_folder_is_reported(rules, tmp_path):
    path = tmp_path / "a.xlsx"
    path.mkdir()
    sub = check_file(path, rules)
    assert [f.rule for f in sub.findings] == ["file.unreadable"]


# --- LibreOffice, where it is installed -------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def libreoffice_xlsx(rules, tmp_path_factory):
    """The department's workbook opened and saved again by LibreOffice Calc (its own shared strings,
    styles, merges and date formats). About 6 s: one conversion for the whole module."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("lo")
    source = folder / "source.xlsx"
    department_book(rules).save(source)
    out = folder / "out"
    subprocess.run([SOFFICE, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    return out / "source.xlsx"


def test_libreoffice_xlsx_is_read_with_its_values(libreoffice_xlsx, rules, rules_file, capsys):
    with zipfile.ZipFile(libreoffice_xlsx) as zf:
        assert "LibreOffice" in zf.read("docProps/app.xml").decode("utf-8")
    sub = check_file(libreoffice_xlsx, rules)
    assert sub.findings == (), [f.message for f in sub.findings]
    _expect_read(sub, rules)
    assert read_workbook(libreoffice_xlsx, rules.limits).reader == "calamine"
    assert cli.main(["check", "--rules", str(rules_file), str(libreoffice_xlsx)]) == 0


# --- both readers agree -----------------------------------------------------------------------

READABLE = [name for name, (_, outcome) in CORPUS.items() if outcome == OK and name != "far_away_cell"]


def _grids_both_ways(path: Path) -> tuple[dict, dict]:
    from scorecard.intake import workbook
    from scorecard.xlsx.package import for_openpyxl, open_package

    pkg = open_package(path.read_bytes())
    wanted = workbook._wanted([(s.name, s.state) for s in pkg.sheets])
    parts = {s.name: s for s in pkg.sheets}
    raw = workbook._calamine_sheets(pkg.data, [name for name, _ in wanted.values()])
    book = workbook._openpyxl_book(for_openpyxl(pkg))
    fast, slow = {}, {}
    for (canon, (name, state)), (rows, merges) in zip(wanted.items(), raw):
        notes = pkg.cell_notes(parts[name])
        fast[canon] = workbook._calamine_grid(name, state, rows, merges, notes)
        slow[canon] = workbook._openpyxl_grid(book[name], state, notes)
    return fast, slow


@pytest.mark.parametrize("name", READABLE + ["formula_without_value", "error_cell"])
def test_calamine_and_openpyxl_read_the_same_values(name, rules, tmp_path):
    """The fallback reader is a real one: on every readable corpus file (Strict included, through
    package.for_openpyxl) it gives the same values, of the same types, and the same merges."""
    path = tmp_path / "a.xlsx"
    CORPUS[name][0](rules, path)
    fast, slow = _grids_both_ways(path)
    assert fast.keys() == slow.keys() and len(fast) == 5          # four sheets and _meta
    for canon in fast:
        a, b = fast[canon], slow[canon]
        assert a.cells == b.cells, canon
        assert {k: type(v) for k, v in a.cells.items()} == {k: type(v) for k, v in b.cells.items()}, canon
        assert sorted(a.merges) == sorted(b.merges) and a.formulas == b.formulas


def test_bundled_examples_read_the_same_both_ways():
    from conftest import ROOT

    examples = sorted(p for p in (ROOT / "examples" / "input").rglob("*.xlsx") if not p.name.startswith("~$"))
    assert len(examples) >= 10
    for path in examples:
        fast, slow = _grids_both_ways(path)
        assert fast.keys() == slow.keys(), path.name
        for canon in fast:
            assert fast[canon].cells == slow[canon].cells, (path.name, canon)


def test_sheet_extent_bounds_what_calamine_would_allocate(rules, tmp_path):
    from scorecard.xlsx.package import SMALL_EXTENT, open_package

    cases = {"A1": SMALL_EXTENT, "Z999": SMALL_EXTENT, "AA1": (5, 27), "B1000": (1000, 13), "XFD1048576": (1048576, 16384)}
    for ref, want in cases.items():
        path = tmp_path / f"{ref}.xlsx"
        excel_with({("自评表", ref): "x"})(rules, path)
        pkg = open_package(path.read_bytes())
        sheet = next(s for s in pkg.sheets if s.name == "自评表")
        assert pkg.extent(sheet) == want, ref


def _with_raw_cell(rules, path, ref):
    """A cell whose own reference is ref, inside row 1's element (the row element says r="1")."""
    cell = f'<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>'.encode()
    data = write_xlsx(_sheets(rules))
    path.write_bytes(_replace(data, "xl/worksheets/sheet3.xml", lambda b: b.replace(b"</row>", cell + b"</row>", 1)))


@pytest.mark.parametrize("ref", ["N99999999", "N1048577", "AAAA1"])
def test_a_cell_reference_past_excel_limits_is_read_without_a_giant_grid(ref, rules, tmp_path):
    """calamine places a cell by its own r="", so N99999999 inside row 1 would make it allocate
    tens of gigabytes and abort the process: the extent check sends such a sheet to openpyxl."""
    from scorecard.xlsx.package import open_package

    path = tmp_path / "a.xlsx"
    _with_raw_cell(rules, path, ref)
    pkg = open_package(path.read_bytes())
    rows, cols = pkg.extent(next(s for s in pkg.sheets if s.name == "自评表"))
    assert rows * cols > 5 * 13
    sub = check_file(path, rules)
    assert sub.findings == (), [f.message for f in sub.findings]
    _expect_read(sub, rules)


def test_one_part_twice_under_two_spellings_is_refused(rules, tmp_path):
    """xl/workbook.xml and xl\\workbook.xml are the same part to Excel: which one counts is
    anyone's guess, so the file is refused rather than read one way here and another in Excel."""
    path = tmp_path / "a.xlsx"
    data = write_xlsx(_sheets(rules))
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        body = src.read("xl/worksheets/sheet3.xml")
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("xl\\worksheets\\sheet3.xml", body.replace(b"<v>3</v>", b"<v>0</v>"))
    path.write_bytes(buf.getvalue())
    sub = check_file(path, rules)
    assert [f.rule for f in sub.findings] == ["file.unreadable"]
    assert "重名" in sub.findings[0].message


def test_damaged_xml_inside_a_sound_zip_gives_a_reading_or_a_finding(rules, tmp_path):
    """Seeded damage to the XML members themselves (the zip stays sound, so the parsers see it):
    read_workbook, which has no catch-all around it, returns a reading or raises FileProblem;
    nothing else escapes. (Random bytes that break the zip are test_safety's.)"""
    import random

    from scorecard.base.findings import FileProblem
    from scorecard.intake.validation import validate

    rng = random.Random(20261201)
    with zipfile.ZipFile(io.BytesIO(write_xlsx(_sheets(rules)))) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    inserts = [b'"', b"<", b">", b' s=""', b' r="XFD1"', b"<v>", b"</c>", b't="e"', b"<f>1</f>", b"999"]
    path = tmp_path / "x.xlsx"
    outcomes = set()
    for _ in range(80):
        damaged = dict(members)
        name = rng.choice(sorted(damaged))
        body = bytearray(damaged[name])
        for _ in range(rng.randrange(1, 5)):
            at = rng.randrange(len(body))
            if rng.random() < 0.5:
                body[at:at] = rng.choice(inserts)
            else:
                del body[at:at + rng.randrange(1, 12)]
        damaged[name] = bytes(body)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, data in damaged.items():
                zf.writestr(member, data)
        path.write_bytes(buf.getvalue())
        try:
            parsed = read_workbook(path, rules.limits)
        except FileProblem as problem:
            outcomes.add(problem.finding.rule)
            continue
        validate(parsed, rules, file=str(path))
        outcomes.add("read")
    assert {"read", "file.unreadable"} <= outcomes


def test_check_over_the_whole_corpus_at_once(rules, rules_file, tmp_path, capsys):
    """One `check` invocation over every file: one entry per file, clean exactly where expected."""
    paths = []
    for name, (build, _) in CORPUS.items():
        path = tmp_path / f"{name}.xlsx"
        build(rules, path)
        paths.append(path)
    capsys.readouterr()
    code = cli.main(["check", "--rules", str(rules_file), "--json", *map(str, paths)])
    printed = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [entry["ok"] for entry in printed] == [outcome == OK for _, outcome in CORPUS.values()]
    assert all(entry["department"] == "办公室" for entry, (_, outcome) in zip(printed, CORPUS.values())
               if outcome == OK)


@pytest.mark.parametrize("options", [dict(strict=True), dict(empty_style=True), dict(backslashes=True),
                                     dict(pivot="mac", application="Microsoft Macintosh Excel")],
                         ids=["strict", "empty_style", "backslashes", "mac_pivot"])
def test_a_rejected_file_of_an_unusual_kind_is_annotated_in_place(options, rules, tmp_path):
    """The department gets its own file back with the cell marked, not only a list of problems."""
    from scorecard.operations.pipeline import run

    inp = tmp_path / "input"
    inp.mkdir()
    excel_with({("自评表", "E4"): "很好"}, **options)(rules, inp / "办公室.xlsx")
    result = run(rules, inp, tmp_path / "out")
    sub = result.summary["submissions"][0]
    assert sub["status"] == "rejected" and [f["cell"] for f in sub["findings"]] == ["E4"]
    copy = openpyxl.load_workbook(result.round_dir / sub["returned"])
    assert "自评表" in copy.sheetnames and copy["自评表"]["E4"].comment is not None
