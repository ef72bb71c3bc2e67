"""The README documents every command, rules key, rule id and make target (docs that run)."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT
from scorecard import rules as R
from scorecard.cli import COMMANDS, build_parser
from scorecard.findings import CATALOGUE

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    block = README.split("```", 2)[1]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_and_option_is_documented(command):
    assert f"`{command}" in README
    sub = build_parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in README, f"{command} {option}"


KEYS = (R.TOP_KEYS | R.GAP_KEYS | R.DEPARTMENT_KEYS | R.LEADER_KEYS | R.ITEM_KEYS | R.INDICATOR_KEYS
        | R.VETO_KEYS | R.LIMIT_KEYS | R.MAIL_KEYS)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_rules_key_is_documented(key):
    assert f"`{key}`" in README


@pytest.mark.parametrize("rule", sorted({k.split("/")[0] for k in CATALOGUE}))
def test_every_rule_id_is_documented(rule):
    assert f"`{rule}`" in README


def test_every_make_target_is_documented():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    for target in targets:
        if target != "clean":
            assert f"make {target}" in README, target


def test_the_readme_quotes_a_real_run_of_the_examples(tmp_path, capsys):
    """"What you get" quotes the end of `make run`'s output: each line is what a run of the bundled
    examples prints (a line ending in …… is checked up to there)."""
    from scorecard.cli import main

    block = README.split("The end of its output:", 1)[1].split("```", 2)[1]
    quoted = [line for line in block.strip().splitlines() if line.strip()]
    assert len(quoted) >= 6
    assert main(["run", "--input", str(ROOT / "examples" / "input"), "--output", str(tmp_path / "examples-output"),
                 "--rules", str(ROOT / "rules.yaml"), "--templates", str(ROOT / "templates")]) == 0
    printed = capsys.readouterr().out.replace(str(ROOT / "examples" / "input"), "examples/input").replace(
        str(tmp_path / "examples-output"), "examples/output")
    for line in quoted:
        assert line.split("……")[0].rstrip("，") in printed, line
