"""Workbooks for departments: the standard template, the annotated copy of a rejected submission,
and the bundled sample workbooks.

Modules: feedback, samples, template.
"""
from __future__ import annotations

from ..base.lazy import face

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
__getattr__, __dir__ = face(__name__, _PUBLIC)
