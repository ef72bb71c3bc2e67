"""The program's settings (docs/settings.md): one table, documented, overridable, checked."""
from __future__ import annotations

import logging
import re

import pytest

from conftest import ROOT
from scorecard.base import settings
from scorecard.base.settings import SETTINGS, Setting


def test_the_docs_list_every_setting_with_its_default():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `(SCORECARD_\w+)` \| ([\d.]+) \|", doc, re.M)
    assert [(s.name, s.variable, str(int(s.default)) if s.integer else f"{s.default:g}") for s in SETTINGS] == rows


def test_an_environment_variable_overrides_the_default(monkeypatch):
    monkeypatch.setenv("SCORECARD_LEDGER_WAIT", "2.5")
    assert settings.get("ledger_wait") == 2.5
    monkeypatch.delenv("SCORECARD_LEDGER_WAIT")
    assert settings.get("ledger_wait") == settings.BY_NAME["ledger_wait"].default


@pytest.mark.parametrize("text, expected", [("9999", 10_000), ("10000", 10_000), ("10001", 10_001),
                                            ("1e6", 10_000), ("很多", 10_000), ("", 10_000)])
def test_a_value_below_the_minimum_or_not_a_number_keeps_the_default(monkeypatch, caplog, text, expected):
    setting = Setting("probe_bytes", 10_000, "a probe", minimum=10_000)
    monkeypatch.setitem(settings.BY_NAME, "probe_bytes", setting)
    monkeypatch.setenv(setting.variable, text)
    with caplog.at_level(logging.WARNING, logger="scorecard.base.settings"):
        assert settings.get("probe_bytes") == expected
    warned = any("SCORECARD_PROBE_BYTES" in r.getMessage() for r in caplog.records)
    assert warned == (text not in ("", "10000", "10001"))


def test_the_modules_take_their_thresholds_from_the_table():
    from scorecard.base import ledgerfile, logsetup
    from scorecard.operations import lifecycle, stages
    from scorecard.reports import write

    assert stages.PARALLEL_FROM == settings.get("read_pool_from")
    assert write.PARALLEL_FROM == settings.get("render_pool_from")
    assert write.GAP_XLSX_PARALLEL_FROM == settings.get("gap_xlsx_pool_from")
    assert logsetup.LOG_MAX_BYTES == settings.get("log_max_bytes")
    assert lifecycle.WAIT_POLL == settings.get("wait_poll")
    assert ledgerfile.wait_seconds() == settings.get("ledger_wait")
