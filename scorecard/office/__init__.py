"""The office's own pass (CONTRACT §11): 核定表 and 问题清单 written, read back, judged, kept in
the ledger and applied to the result.

Modules: apply, gaplist, read, store, write.
"""
from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
