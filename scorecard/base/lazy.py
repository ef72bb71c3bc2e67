"""A subpackage's public face that costs nothing to import (PEP 562).

Each room's __init__.py names its public functions and classes and the module of each; a name
loads its module on first use. So `from scorecard.intake import check_file` works, and importing
the room for its docstring (or for `--help`) pulls in no pandas, openpyxl or docx.
"""
from __future__ import annotations

import importlib


def face(package: str, public: dict[str, str]):
    """(__getattr__, __dir__) for the package `package` whose `public` maps name -> module."""
    def __getattr__(name: str):
        if name in public:
            return getattr(importlib.import_module(f".{public[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(importlib.import_module(package).__dict__) | set(public))

    return __getattr__, __dir__
