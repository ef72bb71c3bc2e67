"""Evidence files in the result (CONTRACT §13): summary.json `evidence` and `evidence_summary`, and
the gaps they give: 佐证缺失 where an indicator's counted files fall short (its note says what is
missing: 需照片2张，现有1张), 佐证存疑 where one of its files is reused or stale.

The evidence itself is judged before scoring (scorecard.evidence.judge); this only turns that
judgement into the result's records and gaps."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from .result import DOUBT, NO_EVIDENCE, EvidenceFile, EvidenceTally, FindingRecord, Gap

NORMAL = "一般"


def evidence_records(outcome, binder: Mapping[int, str]) -> tuple[tuple[EvidenceFile, ...], tuple[EvidenceTally, ...]]:
    """binder: index of a file in outcome.files -> its path in the round's binder (counted files)."""
    files = tuple(EvidenceFile(j.department, j.indicator, j.file, j.sha256, j.kind, j.type, j.bytes, j.pages,
                               j.width, j.height, j.taken_on, j.counted, binder.get(n),
                               tuple(FindingRecord.of(f) for f in j.findings))
                  for n, j in enumerate(outcome.files))
    tallies = tuple(EvidenceTally(t.department, t.indicator, t.files, t.required, t.min_files, t.ok)
                    for t in outcome.tallies)
    return files, tallies


def evidence_gaps(gaps: list[Gap], table: pd.DataFrame, outcome, row_gap) -> list[Gap]:
    """The gaps of the evidence tallies, each once beside the gaps of its row (a 佐证缺失 the
    workbook's own evidence.missing already gave is not given again). row_gap: score._row_gap."""
    wanted = {(t.department, t.indicator): t for t in outcome.tallies if t.missing or t.doubt}
    if not wanted:
        return gaps
    have = {(g.kind, g.department, g.indicator) for g in gaps}
    rows = table[[(d, i) in wanted for d, i in zip(table["department"].tolist(), table["indicator"].tolist())]]
    extra = []
    for row in rows.itertuples(index=False):
        t = wanted[(row.department, row.indicator)]
        if t.missing and (NO_EVIDENCE, row.department, row.indicator) not in have:
            extra.append(row_gap(NO_EVIDENCE, NORMAL, row, t.missing))
        if t.doubt:
            extra.append(row_gap(DOUBT, NORMAL, row, t.doubt))
    return gaps + extra

