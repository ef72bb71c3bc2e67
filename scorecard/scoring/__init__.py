"""Scoring: pure functions of the checked files (no I/O, no clock): the latest accepted submission
per department, scores, gaps, the analysis, and the typed result that serialises to summary.json.

Modules: analysis, defaults, result, score.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "analyse": "analysis",
    "FindingRecord": "result",
    "ReviewResult": "result",
    "Summary": "result",
    "TrackingResult": "result",
    "UnitResult": "result",
    "GroupResult": "result",
    "key_of": "result",
    "rectification": "result",
    "write_json": "result",
    "Placed": "score",
    "choose_latest": "score",
    "summarise": "score",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
