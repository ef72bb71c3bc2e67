"""Normalising what people type: titles, numbers, dates, names, and safe file names.

Everything here is pure and small; the reader and the validator share it so that a title, a
department name or a score is understood the same way everywhere.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

_SPACE = re.compile(r"\s+", re.UNICODE)
# A trailing unit or hint in brackets: 自评得分（分）, 完成时限(年月日).
_SUFFIX = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters XML 1.0 cannot carry at all (lone surrogates, U+FFFE/U+FFFF): Word and Excel files refuse them.
_XML_INVALID = re.compile("[\ud800-\udfff\ufffe\uffff]")


def half_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width (NFKC), ideographic space included."""
    return unicodedata.normalize("NFKC", text)


def squash(text) -> str:
    """Half-width, all whitespace (spaces, line breaks, U+3000) removed. None becomes ''."""
    if text is None:
        return ""
    return _SPACE.sub("", half_width(str(text)))


def title_key(text) -> str:
    """A column title or label as it is matched: squashed, markers and unit suffixes dropped."""
    key = squash(text).strip("*:：")
    while True:
        stripped = _SUFFIX.sub("", key)
        if stripped == key or not stripped:
            return key
        key = stripped.strip("*:：")


def clean_text(value) -> str:
    """Cell content as text for display: control characters removed, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    return _CONTROL.sub("", str(value)).strip()


def strip_control(text: str) -> str:
    return _CONTROL.sub("", text)


def xml_safe(text: str) -> str:
    """Text that can go into a Word or Excel file: control and XML-invalid characters removed."""
    return _XML_INVALID.sub("", _CONTROL.sub("", text))


def display_width(text: str) -> int:
    """Columns a text needs in a console or Excel: East Asian wide characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(" \t\r\n\u3000"))


_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:分)?$")


def parse_number(value) -> float | None:
    """A score as people type it: 8, 8.0, '８', '8分', ' 8 ', '8.5'. None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = squash(value).replace(",", "")
    match = _NUMBER.match(text)
    if not match:
        return None
    number = float(match.group(1))
    return number if math.isfinite(number) else None


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]

# Excel serial numbers for 1950-01-01 .. 2100-12-31 in the 1900 system; outside that a number is not a date.
_SERIAL_MIN, _SERIAL_MAX = 18264, 73415


def parse_date(value, epoch: dt.datetime | None = None) -> dt.date | None:
    """A date as people type it: an Excel date or serial, 2026-12-31, 2026/12/31, 2026.12.31,
    2026年12月31日, 20261231. None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not _SERIAL_MIN <= value <= _SERIAL_MAX:
            return None
        from openpyxl.utils.datetime import from_excel, CALENDAR_WINDOWS_1900

        try:
            return from_excel(value, epoch or CALENDAR_WINDOWS_1900).date()
        except (ValueError, OverflowError):
            return None
    text = squash(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups()[:3])
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


# Characters Windows forbids in file names, path separators, and control characters.
_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, fallback: str = "未命名") -> str:
    """A department or round name made safe as one path component on Windows and Linux."""
    text = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", str(name))).strip(" .")
    text = text.replace("..", "_")
    if not text:
        text = fallback
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text[:80]



def unique_filename(name: str, used: set[str]) -> str:
    """safe_filename(name), made unique among `used` (compared case-blind, as Windows does) with
    （2）, （3）…: 综合/办公室 and 综合:办公室 are both 综合_办公室 once cleaned. Adds it to used."""
    stem, k = safe_filename(name), 2
    candidate = stem
    while candidate.lower() in used:
        candidate, k = f"{stem}（{k}）", k + 1
    used.add(candidate.lower())
    return candidate


def did_you_mean(word: str, choices) -> str:
    """' (是否应为 "x"?)' when one of the choices is close to word, else ''."""
    import difflib

    choices = list(choices)
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"（是否应为“{match[0]}”？）" if match else ""


def fmt_number(value: float | int | None) -> str:
    """8.0 -> '8', 8.5 -> '8.5', 3.3333 -> '3.33'. For messages and reports, never for computing."""
    if value is None:
        return ""
    value = round(float(value), 2)
    if abs(value) >= 1e12:          # a typed 1e308 is quoted as 1e+308, not as 309 digits
        return f"{value:.6g}"
    return str(int(value)) if value.is_integer() else f"{value:g}"


def chinese_date(value: dt.date | str | None) -> str:
    """2027-03-31 (a date or its ISO text) -> '2027年3月31日', the way dates are written in prose."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


def add_working_days(start: dt.date, days: int, holidays=(), workdays=()) -> dt.date:
    """The day `days` working days after `start`, by the Chinese calendar (working_day)."""
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if working_day(day, holidays, workdays):
            left -= 1
    return day


def working_day(day: dt.date, holidays=(), workdays=()) -> bool:
    """Whether `day` is a working day in mainland China: the office's own lists first (rules.yaml
    `holidays:` and `workdays:`, for years the calendar does not know yet or a local arrangement),
    then the State Council's holidays and 调休 working weekends (chinesecalendar), else Monday to Friday."""
    if day in workdays:
        return True
    if day in holidays:
        return False
    try:
        import chinese_calendar
    except ImportError:                 # pragma: no cover - pinned in requirements.txt
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:         # a year it has no data for yet
        return day.weekday() < 5
