"""The ledger's records (more in test_pipeline.py and test_status.py, which run whole rounds)."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from scorecard.operations.ledger import Ledger, json_utf8


def test_a_summary_is_stored_as_the_text_json_dumps_gives(tmp_path):
    summary = {"round": "2026年第四季度", "unit": {"total": 90.5, "passed": True}, "empty": {}, "none": None,
               "entries": [{"department": f"部门{k}", "score": k / 3, "note": "a\n\"b\""} for k in range(2345)],
               "gaps": [], "submissions": [{"status": "accepted"}], "short": [1, 2]}
    assert json_utf8(summary).decode("utf-8") == json.dumps(summary, ensure_ascii=False)
    ledger = Ledger(tmp_path)
    ledger.record(summary, "2026-12-31T18:00:00")
    with closing(sqlite3.connect(ledger.path)) as conn:
        kind, text = conn.execute("SELECT typeof(summary), summary FROM rounds").fetchone()
    assert kind == "text" and text == json.dumps(summary, ensure_ascii=False)
    assert ledger.previous("2027年第一季度") == summary
