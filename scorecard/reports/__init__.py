"""Word reports and charts rendered from the summary (docxtpl through a compiled-template cache),
the render cache that reuses unchanged documents, and the check of a user's template folder.

Modules: charts, context, dashboard_charts, dashboard_view, department, docfinish, docstyle, docxrender, rendercache, summary, templatecheck, trial, write.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "write_unit_documents": "units",
    "rate_chart": "charts",
    "Shared": "context",
    "overview_view": "dashboard_view",
    "point": "dashboard_view",
    "round_view": "dashboard_view",
    "department_context": "department",
    "KEYS_FILE": "rendercache",
    "summary_context": "summary",
    "template_problems": "templatecheck",
    "DEFAULT_TEMPLATES": "write",
    "DEPARTMENT_DIR": "write",
    "GAPLIST_TEMPLATE": "write",
    "GAPLIST_XLSX": "write",
    "PARALLEL_FROM": "write",
    "SUMMARY_TEMPLATE": "write",
    "build_context": "write",
    "write_reports": "write",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
