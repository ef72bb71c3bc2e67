"""Follow-up (CONTRACT §14): what is due on a day (due: 提醒, 催办, 督办, pure) and the `remind`
command that queues it in the §9 outbox and sends it (remind).

Modules: due, remind.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "Due": "due",
    "due": "due",
    "remind": "remind",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
