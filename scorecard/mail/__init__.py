"""E-mail: messages planned from a round folder, what changed for a reader (【更新】), the outbox
in the ledger, SMTP delivery.

Modules: delivery, messages, mime, outbox, smtp, updates.
"""
from __future__ import annotations

from ..base.lazy import face

# public name -> the module that defines it; loaded on first use (PEP 562)
_PUBLIC = {
    "STATE_LABELS": "delivery",
    "counts_line": "delivery",
    "deliver": "delivery",
    "listing": "delivery",
    "superseded_count": "delivery",
    "MailTemplateError": "messages",
    "Entry": "outbox",
    "Outbox": "outbox",
    "backoff": "outbox",
    "settings_from": "smtp",
}
__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = face(__name__, _PUBLIC)
