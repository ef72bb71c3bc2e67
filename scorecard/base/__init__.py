"""What every stage uses: text normalisation, files written whole, the findings catalogue,
named errors and stops, the operator's console and logging, the stop flag, worker pools, the
ledger's file names and the code-version key. Imports nothing else of the package.

Modules: codekey, console, errors, findings, formatting, fsutil, lazy, ledgerfile, logsetup, pools, settings, stopping, text.
"""
from __future__ import annotations

from .lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "code_version": "codekey",
    "package_sources": "codekey",
    "ProgressFn": "console",
    "run_report": "console",
    "setup_streams": "console",
    "table": "console",
    "FoldersOverlap": "errors",
    "LedgerBusy": "errors",
    "LedgerDamaged": "errors",
    "ReportError": "errors",
    "Stop": "errors",
    "translate": "errors",
    "CATALOGUE": "findings",
    "ERROR": "findings",
    "FileProblem": "findings",
    "Finding": "findings",
    "finding": "findings",
    "has_error": "findings",
    "number": "formatting",
    "percent": "formatting",
    "quantity": "formatting",
    "rounded": "formatting",
    "share": "formatting",
    "LockHeld": "fsutil",
    "OutputBusy": "fsutil",
    "atomic_save_workbook": "fsutil",
    "atomic_write_bytes": "fsutil",
    "atomic_write_text": "fsutil",
    "clean_left_behind": "fsutil",
    "file_sha256": "fsutil",
    "run_lock": "fsutil",
    "staged_directory": "fsutil",
    "try_lock": "fsutil",
    "unlock": "fsutil",
    "BACKUP_NAME": "ledgerfile",
    "FILE_NAME": "ledgerfile",
    "LEDGER_WAIT": "ledgerfile",
    "wait_seconds": "ledgerfile",
    "log_path": "logsetup",
    "MAX_WORKERS": "pools",
    "Pool": "pools",
    "parallel_from": "pools",
    "SETTINGS": "settings",
    "Setting": "settings",
    "StopRequested": "stopping",
    "add_working_days": "text",
    "chinese_date": "text",
    "clean_text": "text",
    "did_you_mean": "text",
    "display_width": "text",
    "fmt_number": "text",
    "is_blank": "text",
    "parse_date": "text",
    "parse_number": "text",
    "safe_filename": "text",
    "squash": "text",
    "title_key": "text",
    "unique_filename": "text",
    "xml_safe": "text",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
