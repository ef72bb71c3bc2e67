"""The office's own pass (CONTRACT §11): 核定表 and 问题清单 written, read back, judged, kept in
the ledger and applied to the result.

Modules: apply, gaplist, read, store, write.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "OFFICE": "apply",
    "apply_office": "apply",
    "load_office": "apply",
    "office_checked": "apply",
    "GAP_SHEET": "gaplist",
    "KINDS": "gaplist",
    "STATS_SHEET": "gaplist",
    "write_gap_xlsx": "gaplist",
    "GAP_FILE": "read",
    "REVIEW_FILE": "read",
    "norm": "read",
    "write_review_xlsx": "write",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
