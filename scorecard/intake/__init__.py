"""Intake: the standard workbook's layout, the safety gate every file passes, reading values,
validating them into findings, checking one file, the data workbooks of computed indicators, and
the listing of the input folder (what is never opened).

Modules: checking, datasets, layout, listing, safety, validation, workbook, xmlscan.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "CHECKING_VERSION": "checking",
    "check_file": "checking",
    "ignore_reason": "checking",
    "ignored": "checking",
    "DataFile": "datasets",
    "basis": "datasets",
    "compute": "datasets",
    "method_words": "datasets",
    "problem_text": "datasets",
    "recognise": "datasets",
    "SCORES": "layout",
    "TABLES": "layout",
    "PLACEHOLDERS": "listing",
    "Refused": "listing",
    "shown": "listing",
    "SafeFile": "safety",
    "open_safely": "safety",
    "BonusClaim": "validation",
    "Checked": "validation",
    "Entry": "validation",
    "VetoAnswer": "validation",
    "validate": "validation",
    "read_workbook": "workbook",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
