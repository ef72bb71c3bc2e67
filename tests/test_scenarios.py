"""Golden scenarios: each tests/scenarios/*.json is a change to a properly filled workbook of the
small rules (department 办公室), the findings it must produce (rule, severity, sheet, cell) and
the values that must be read from it (`read`: department, fill date, each indicator's score,
status and deadline, the vetoes and the bonus claims)."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from openpyxl.utils import column_index_from_string

from conftest import filled, full_marks
from scorecard.intake.checking import check_file

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.json"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _value(v):
    return dt.date.fromisoformat(v["date"]) if isinstance(v, dict) and "date" in v else v


def build(spec, rules):
    rows = full_marks(rules, spec.get("department", "办公室"))
    for code, values in spec.get("rows", {}).items():
        rows.setdefault(code, {}).update({k: _value(v) for k, v in values.items()})
    vetoes = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.get("vetoes", {}).items()}
    wb = filled(rules, spec.get("department", "办公室"), rows=rows, info=spec.get("info"), vetoes=vetoes or None,
                bonuses=spec.get("bonuses"))
    for op, sheet, *args in spec.get("ops", []):
        ws = wb[sheet]
        if op == "set":
            ws[args[0]] = args[1]
        elif op == "delete_sheet":
            del wb[sheet]
        elif op == "rename_sheet":
            ws.title = args[0]
        elif op == "delete_column":
            ws.delete_cols(column_index_from_string(args[0]))
        elif op == "delete_rows":
            ws.delete_rows(args[0])
        elif op == "insert_rows":
            ws.insert_rows(args[0], args[1])
        elif op == "merge":
            ws.merge_cells(args[0])
        elif op == "swap_columns":
            a, b = (column_index_from_string(x) for x in args)
            for r in range(1, ws.max_row + 1):
                ca, cb = ws.cell(row=r, column=a), ws.cell(row=r, column=b)
                ca.value, cb.value = cb.value, ca.value
        else:
            raise ValueError(op)
    return wb


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path, small_rules, save):
    spec = json.loads(path.read_text(encoding="utf-8"))
    sub = check_file(save(build(spec, small_rules)), small_rules)
    got = [{"rule": f.rule, "severity": f.severity, "sheet": f.sheet, "cell": f.cell} for f in sub.findings]
    if spec["exact"]:
        assert sorted(got, key=str) == sorted(spec["expect"], key=str), spec["about"]
    else:
        for want in spec["expect"]:
            assert want in got, spec["about"]
    for f in sub.findings:
        assert CJK.search(f.message), f"message is not Chinese: {f.message}"
    assert sub.ok == (not any(e["severity"] == "error" for e in spec["expect"]))
    assert read_values(sub) == spec["read"], spec["about"]


def read_values(sub) -> dict:
    return {
        "department": sub.department,
        "fill_date": sub.fill_date.isoformat() if sub.fill_date else None,
        "entries": {e.indicator: [e.score, e.status, e.deadline.isoformat() if e.deadline else None]
                    for e in sub.entries},
        "vetoes": {v.code: v.occurred for v in sub.vetoes},
        "bonuses": [[b.project, b.points] for b in sub.bonuses],
    }


def test_every_contract_rule_has_a_failing_scenario():
    contract = {"sheet.missing", "header.missing", "department.missing", "department.unknown", "indicator.unknown",
                "indicator.duplicate", "indicator.missing", "indicator.not_assigned", "score.not_number",
                "score.out_of_range", "field.required", "status.invalid", "date.invalid", "evidence.missing",
                "veto.invalid", "bonus.not_number", "bonus.out_of_range"}
    covered = {e["rule"] for p in SCENARIOS for e in json.loads(p.read_text(encoding="utf-8"))["expect"]}
    assert contract <= covered, contract - covered
