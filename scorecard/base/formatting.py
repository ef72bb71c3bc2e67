"""How a number is written for a reader: one module, one style per kind of number, half-up.

Every document, workbook, message and console line formats through here, so a figure reads the
same wherever it appears (docs/documents.md):

- `number`   a score, a count of points: at most two decimals, trailing zeros dropped: 8, 4.5, 4.55
- `quantity` a measured amount from platform data (points, people): thousands separated: 8,000, 8,486.27
- `percent`  a measured rate: always one decimal: 81.3%, 75.0%, 100.0%
- `share`    a threshold from the rules (90% of max): as few decimals as it has: 90%, 62.5%

Rounding is half-up on the decimal value (13/16 = 81.25% -> 81.3%), never the binary float's
banker's rounding (round(81.25, 1) gives 81.2). Nothing here is used for computing a score.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and (
        not isinstance(value, float) or math.isfinite(value))


def half_up(value, places: int = 2) -> Decimal:
    """value rounded half-up to `places` decimals, from its shortest decimal form (repr)."""
    try:
        exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)) if isinstance(value, float)
                                                                 else str(value))
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return rounded + 0 if rounded else Decimal(0)          # never -0


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def number(value, places: int = 2) -> str:
    """A score or a count of points: 8, 4.5, 4.55 (half-up, trailing zeros dropped); '' for none."""
    if not _is_number(value):
        return ""
    return _plain(half_up(value, places))


def rounded(value, places: int = 2) -> float | None:
    """The value a cell should hold so that it shows as `number` shows it (4.5454545 -> 4.55)."""
    if not _is_number(value):
        return None
    d = half_up(value, places)
    return int(d) if d == d.to_integral_value() else float(d)


def quantity(value, places: int = 2) -> str:
    """A measured amount with thousands separators: 8,000, 8,486.27; '' for none."""
    if not _is_number(value):
        return ""
    text = _plain(half_up(value, places))
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")


def percent(rate, places: int = 1) -> str:
    """A measured rate (0.8125) as a percentage with exactly one decimal: 81.3%; '' for none."""
    if not _is_number(rate):
        return ""
    d = half_up(Decimal(repr(float(rate))) * 100, places)
    return f"{d:.{places}f}%"


def share(ratio) -> str:
    """A threshold from the rules (0.9, 0.625) as written: 90%, 62.5%; '' for none."""
    if not _is_number(ratio):
        return ""
    return number(Decimal(repr(float(ratio))) * 100, 2) + "%"
