"""Workbooks for departments: the standard template, the annotated copy of a rejected submission,
and the bundled sample workbooks.

Modules: feedback, samples, template.
"""
from __future__ import annotations

import importlib

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "ERROR_FILL": "feedback",
    "SHEET": "feedback",
    "WARNING_FILL": "feedback",
    "write_returned": "feedback",
    "fill_workbook": "samples",
    "write_samples": "samples",
    "build_template": "template",
    "write_templates": "template",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
