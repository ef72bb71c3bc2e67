"""The xlsx package read and written at a low level: its parts (dates, Strict, formulas, extents),
cell helpers shared by every workbook we write, and the streamed writer of long sheets.

Modules: bulk, package, util.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "Body": "bulk",
    "quoted": "bulk",
    "save": "bulk",
    "stored": "bulk",
    "Package": "package",
    "PackageError": "package",
    "SMALL_EXTENT": "package",
    "for_openpyxl": "package",
    "open_package": "package",
    "openpyxl_bytes": "package",
    "MAX_CELL_TEXT": "util",
    "MIN_SCALE": "util",
    "fitted_scale": "util",
    "one_column_text": "util",
    "print_a4": "util",
    "print_columns": "util",
    "print_landscape": "util",
    "print_legibly": "util",
    "row_height": "util",
    "set_text": "util",
    "stop_date": "util",
    "stop_decimal": "util",
    "stop_list": "util",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
