"""Running the tool: one run end to end (pipeline, its stages, the unchanged-rerun key), the
ledger of runs and its backup, the next round, the folder watcher and what `status` reports.

Modules: dashboard, ledger, ledger_backup, lifecycle, newround, pipeline, stages, status, unchanged, watch.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "DASHBOARD": "dashboard",
    "Ledger": "ledger",
    "json_utf8": "ledger",
    "NewRoundError": "newround",
    "start_round": "newround",
    "RunResult": "pipeline",
    "check_folders": "pipeline",
    "run": "pipeline",
    "PARALLEL_FROM": "stages",
    "collect": "status",
    "lines": "status",
    "lock_held": "status",
    "Stopper": "watch",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
