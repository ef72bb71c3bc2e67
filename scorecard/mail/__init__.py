"""E-mail: messages planned from a round folder, what changed for a reader (【更新】), the outbox
in the ledger, SMTP delivery.

Modules: delivery, messages, mime, outbox, smtp, updates.
"""
from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
