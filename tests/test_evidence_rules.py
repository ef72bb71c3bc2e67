"""§13 rules: the long form of an indicator's evidence:, the top-level evidence: block, check-rules."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from conftest import ROOT, SMALL_RULES
from scorecard.rules import EvidenceRule, RulesError, parse_rules

LONG = ('{code: "1.1", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, departments: [办公室, 机关党委]}',
        '{code: "1.1", name: 创建领导机构健全, max: 4, method: 材料审核, criteria: 成立领导小组, departments: [办公室, 机关党委],'
        ' evidence: {required: true, kinds: [image, document], min_files: 2, note: 活动照片不少于2张}}')
TOP = "evidence:\n  files: required\n  period_start: 2026-10-01\n  max_file_mb: 20\n  max_total_mb: 200\nitems:\n"


def rules_with(indicator=LONG[1], top=TOP):
    return SMALL_RULES.replace(LONG[0], indicator).replace("items:\n", top, 1)


def problems(text):
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return info.value.problems


def line_of(text, needle):
    return [i for i, line in enumerate(text.splitlines(), start=1) if needle in line][-1]


def test_long_form_and_top_block_are_read():
    rules = parse_rules(rules_with(), "ok.yaml")
    rule = rules.indicator("1.1").evidence
    assert rule == EvidenceRule(required=True, kinds=("image", "document"), min_files=2, note="活动照片不少于2张")
    assert rules.indicator("1.1").evidence_required
    ev = rules.evidence
    assert (ev.files, ev.period_start, ev.max_file_mb, ev.max_total_mb) == ("required", dt.date(2026, 10, 1), 20, 200)


def test_short_form_and_defaults_still_work():
    rules = parse_rules(SMALL_RULES, "ok.yaml")
    assert rules.indicator("2.2").evidence == EvidenceRule(required=False) and not rules.indicator("2.2").evidence_required
    assert rules.indicator("1.1").evidence == EvidenceRule() and rules.indicator("1.1").evidence.min_files == 1
    assert rules.evidence.files == "optional" and rules.evidence.period_start is None
    assert (rules.evidence.max_file_mb, rules.evidence.max_total_mb) == (50, 500)


@pytest.mark.parametrize("old, new, key, words", [
    ("min_files: 2", "min_flies: 2", "min_flies", "min_files"),            # misspelt key: did-you-mean
    ("kinds: [image, document]", "kinds: [imgae, document]", "kinds[0]", "image"),
    ("min_files: 2", "min_files: 0", "min_files", "不能小于 1"),
    ("min_files: 2", "min_files: 1.5", "min_files", "整数"),
    ("required: true", "required: 是", "required", "true 或 false"),
])
def test_long_form_problems_name_line_key_and_hint(old, new, key, words):
    text = rules_with(LONG[1].replace(old, new))
    found = problems(text)
    assert len(found) == 1, found
    p = found[0]
    assert p.line == line_of(text, new) and key in str(p) and words in p.message, str(p)


@pytest.mark.parametrize("old, new, key, words", [
    ("files: required", "flies: required", "evidence.flies", "files"),
    ("files: required", "files: requird", "evidence.files", "required"),
    ("period_start: 2026-10-01", "period_start: '2026-13-01'", "evidence.period_start", "2026-10-01"),
    ("max_total_mb: 200", "max_total_mb: -1", "evidence.max_total_mb", "大于 0"),
    ("max_file_mb: 20", "max_file_mb: 900", "evidence.max_file_mb", "不能大于部门合计上限"),
])
def test_top_block_problems_name_line_key_and_hint(old, new, key, words):
    text = rules_with(top=TOP.replace(old, new))
    found = problems(text)
    assert len(found) == 1, found
    p = found[0]
    assert p.line == line_of(text, new) and key in str(p) and words in p.message, str(p)


def test_short_form_still_refuses_a_wrong_word():
    text = SMALL_RULES.replace("evidence: optional", "evidence: optinal")
    (p,) = problems(text)
    assert "optional" in p.message and p.line == line_of(text, "optinal")


def test_check_rules_shows_the_evidence_rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(rules_with(), encoding="utf-8")
    p = subprocess.run([sys.executable, str(ROOT / "process.py"), "check-rules", "--rules", str(path)],
                       capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "不早于 2026-10-01" in p.stdout and "20 MB" in p.stdout and "200 MB" in p.stdout
    assert "必需，照片/文件≥2：活动照片不少于2张" in p.stdout and "可选" in p.stdout
