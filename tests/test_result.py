"""The result shape is defined once (scorecard/scoring/result.py) and documented in docs/summary.md."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from conftest import ROOT, filled
from scorecard.scoring import result
from scorecard.intake.checking import check_file
from scorecard.scoring.score import choose_latest, summarise

DOC = (ROOT / "docs" / "summary.md").read_text(encoding="utf-8")
RECORDS = [obj for obj in vars(result).values()
           if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == result.__name__]


def documented(name: str) -> list[str]:
    section = re.search(rf"^### {name}\n(.*?)(?=^### |\Z)", DOC, re.S | re.M)
    assert section, f"docs/summary.md has no section for {name}"
    return re.findall(r"^\| `(\w+)` \|", section.group(1), re.M)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_docs_list_exactly_the_fields_in_order(record):
    assert documented(record.__name__) == result.field_names(record)


def test_every_record_is_reachable_from_summary():
    names = {r.__name__ for r in RECORDS}
    mentioned = set(re.findall(r"\b([A-Z]\w+)\b", " ".join(f.type for r in RECORDS for f in dataclasses.fields(r))))
    assert names - {"Summary"} <= mentioned


def test_summary_json_has_exactly_the_record_fields(small_rules, save):
    path = save(filled(small_rules, "办公室"), "办公室.xlsx")
    broken = save(filled(small_rules, "机关党委", info={"部门名称": ""}), "机关党委.xlsx")
    placed = choose_latest([check_file(path, small_rules), check_file(broken, small_rules)])
    summary = summarise(small_rules, placed, round_name="第一轮", as_of=dt.date(2026, 12, 31),
                        generated_at=dt.datetime(2026, 12, 31, 9), resubmit_by=dt.date(2027, 1, 5))
    data = json.loads(json.dumps(summary.to_dict(), ensure_ascii=False))
    absent = [f.name for f in dataclasses.fields(result.Summary)
              if f.metadata.get("omit_if_none") and getattr(summary, f.name) is None]
    # no earlier round; no lights yet; no evidence file and no `evidence:` in the rules (§13)
    assert absent == ["previous_round", "closed_gaps", "followup", "evidence", "evidence_summary"]
    assert list(data) == [n for n in result.field_names(result.Summary) if n not in absent]
    assert list(data["unit"]) == result.field_names(result.Unit)
    assert list(data["departments"][0]) == result.field_names(result.DepartmentResult)
    gap = data["gaps"][0]
    # optional: no previous round, no veto, no lights yet, no extension (§14)
    assert "state" not in gap and "departments" not in gap and "deadline_original" not in gap
    assert list(gap) == [n for n in result.field_names(result.Gap)
                         if n not in ("state", "departments", "light", "deadline_original")]
    # §14: the lights come after the office's pass (scoring/lights.py), on every open gap
    from scorecard.scoring.lights import with_lights
    lit = json.loads(json.dumps(with_lights(summary, small_rules.schedule, dt.date(2026, 12, 31)).to_dict(),
                                ensure_ascii=False))
    assert list(lit["followup"]) == result.field_names(result.FollowupResult)
    assert all(g["light"] in ("红", "黄", "绿") for g in lit["gaps"]) and lit["gaps"]
    # a department's finding has no `file` (its submission names it); the office's have one
    assert list(data["submissions"][1]["findings"][0]) == [n for n in result.field_names(result.FindingRecord)
                                                           if n != "file"]


def test_a_large_round_is_written_one_record_per_line_with_the_same_content(tmp_path, monkeypatch):
    import io
    import json

    from scorecard.scoring import result

    summary = {"round": "R", "unit": {"score": 1.5, "passed": True}, "entries": [{"department": "办公室", "score": k}
                                                                               for k in range(2500)],
               "gaps": [], "previous_round": None, "counts": {"files": {"accepted": 3}}, "names": ["a\n\"b"]}
    small, large = io.StringIO(), io.StringIO()
    result.write_json(summary, small)
    from scorecard.scoring import jsonout

    monkeypatch.setattr(jsonout, "INDENTED_UP_TO", 10)
    result.write_json(summary, large)
    assert json.loads(small.getvalue()) == json.loads(large.getvalue()) == summary
    assert small.getvalue() == json.dumps(summary, ensure_ascii=False, indent=2)
    lines = large.getvalue().splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and '{"department": "办公室", "score": 2499}' in lines
    assert len(lines) == 2 + len(summary) + (2500 + 1) + (1 + 1)     # braces, fields, list items and their "]"
