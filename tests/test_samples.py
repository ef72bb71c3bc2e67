"""The bundled sample workbooks are what the generator writes for the bundled rules (run `make samples`)."""
from __future__ import annotations

import openpyxl

from conftest import ROOT
from scorecard.forms.samples import write_samples

BUNDLED = ROOT / "examples" / "input"


def values(path):
    if path.name.startswith("~$") or path.suffix == ".zip":       # the evidence zips (§13): byte for byte
        return path.read_bytes()
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_bundled_samples_are_current(bundled_rules, tmp_path):
    written = write_samples(bundled_rules, tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p for p in written}
    bundled = {p.relative_to(BUNDLED).as_posix(): p for p in BUNDLED.rglob("*") if p.is_file()}
    assert sorted(bundled) == sorted(fresh), "run `make samples` and commit examples/input"
    for name, path in fresh.items():
        assert values(bundled[name]) == values(path), f"{name} is stale: run `make samples`"
