"""After a report is rendered: column widths from the measured text of the cells (fit_columns), the
signature and date placed as GB/T 9704 sets them (place_signature); `finish` runs both.
"""
from __future__ import annotations

import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..base.text import display_width
from .docstyle import (BODY_SIZE, SIGNATURE, TABLE_SIZE, TEXT_WIDTH_MM, TWIPS_PER_MM, _BR, _GRID_COL,
                       _GRID_SPAN, _P, _PPR, _PSTYLE, _T, _TBL, _TBL_GRID, _TBL_HEADER, _TC, _TC_PR, _TC_W,
                       _TR, _TR_PR, _TYPE, _V_MERGE, _W, drop_empty_columns)


CELL_MARGIN_TWIPS = 57 * 2          # table_layout's left + right cell margins
TABLE_CHAR_TWIPS = int(TABLE_SIZE.pt * 20)
SHORT_CHARS = 10                    # a column whose longest line is this short never wraps
MIN_TEXT_CHARS = 6                  # a column of longer text is never narrower than this
_UNBROKEN = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|[0-9A-Za-z.,:%/+-]+")


def text_em(text: str, latin: float = 0.6) -> float:
    """A line's width in full-width characters: a CJK character 1, a Latin letter or digit 0.6
    (a little over the 0.5 of most faces, so a substituted font still fits)."""
    wide = display_width(text) - len(text)          # characters counted 2 by display_width
    kinds = [display_width(ch) == 2 for ch in text]
    turns = sum(a != b for a, b in zip(kinds, kinds[1:]))
    return wide + (len(text) - wide) * latin + 0.25 * turns   # autospace between CJK and Latin text


def _cell_lines(tc) -> list[str]:
    """The lines a cell shows: each paragraph, split at its line breaks."""
    lines = []
    for p in tc.iter(_P):
        parts = [""]
        for el in p.iter(_T, _BR):
            if el.tag == _BR:
                parts.append("")
            else:
                parts[-1] += el.text or ""
        lines += parts
    return lines


def fit_columns(body) -> int:
    """Column widths from the text the cells hold, not from the template: every body table with a
    repeated header row (and no merged cells) keeps its width, and each column gets what its
    longest line needs when that is short (a date, a name, a number: never wrapped), else at
    least MIN_TEXT_CHARS and a share of the rest in proportion to its text. Measured in
    characters (text_em), so it holds for any renderer: no line is tuned to LibreOffice's breaks.
    Returns the number of tables fitted."""
    fitted = 0
    for tbl in body.iter(_TBL):
        rows = tbl.findall(_TR)
        if not rows or not any((pr := r.find(_TR_PR)) is not None and pr.find(_TBL_HEADER) is not None for r in rows):
            continue
        grid = tbl.find(_TBL_GRID)
        cols = grid.findall(_GRID_COL) if grid is not None else []
        cells = [r.findall(_TC) for r in rows]
        if (not cols or any(len(c) != len(cols) for c in cells)
                or next(tbl.iter(_GRID_SPAN, _V_MERGE), None) is not None):
            continue
        total = sum(int(c.get(_W) or 0) for c in cols)
        natural, least = [], []
        for j in range(len(cols)):
            lines = [line for row in cells for line in _cell_lines(row[j])]
            longest = max((text_em(x) for x in lines), default=0.0)
            token = max((text_em(m) for x in lines for m in _UNBROKEN.findall(x)), default=0.0)
            header = max((text_em(x) for x in _cell_lines(cells[0][j])), default=0.0)
            natural.append(longest)
            least.append(max(header, token, min(longest, MIN_TEXT_CHARS)))
        twips = lambda em: (em + 0.5) * TABLE_CHAR_TWIPS + CELL_MARGIN_TWIPS     # noqa: E731 (half a character of slack)
        floor = [twips(max(t, min(n, 4))) for t, n in zip(least, natural)]
        # Short columns (up to SHORT_CHARS) on one line; when that leaves a text column at its
        # minimum, the short columns longer than MIN_TEXT_CHARS (names, not dates or numbers:
        # those keep their unbroken width) wrap too, to give the text room.
        for short in (SHORT_CHARS, MIN_TEXT_CHARS):
            text = [n > short for n in natural]
            lower = [twips(x if n > short else max(x, n)) for x, n in zip(least, natural)]
            widths = _allot(total, [twips(x) for x in natural], lower, text, floor)
            if not any(t and w <= lower[j] + 1 and natural[j] > MIN_TEXT_CHARS
                       for j, (t, w) in enumerate(zip(text, widths))):
                break
        widths = [int(w) for w in widths]
        widths[max(range(len(widths)), key=lambda j: natural[j])] += total - sum(widths)
        for col, w in zip(cols, widths):
            col.set(_W, str(w))
        for row in cells:
            for tc, w in zip(row, widths):
                tc_w = tc.find(_TC_PR).find(_TC_W) if tc.find(_TC_PR) is not None else None
                if tc_w is not None:
                    tc_w.set(_W, str(w))
                    tc_w.set(_TYPE, "dxa")
        fitted += 1
    return fitted


def _allot(total: float, natural: list[float], least: list[float], text: list[bool], floor: list[float]) -> list[float]:
    """Widths adding up to total: short columns their natural width, text columns what is left,
    shared in proportion to the square root of their text (a long text gets more, never all, and
    a short one is not squeezed), each at least `least` (then `floor`) and at most its natural width."""
    widths = [n if not t else 0.0 for n, t in zip(natural, text)]
    cols = [j for j, t in enumerate(text) if t]
    if not cols:
        spare = total - sum(widths)
        return [w + spare * w / sum(widths) for w in widths] if sum(widths) else widths
    for bound in (least, floor):
        if total - sum(widths) >= sum(bound[j] for j in cols):
            break
    else:                                     # not even the floors fit: everything shrinks alike
        widths = [max(w, floor[j]) for j, w in enumerate(widths)]
        return [w * total / sum(widths) for w in widths]
    fixed: dict[int, float] = {}
    while True:
        left = total - sum(widths) - sum(fixed.values())
        free = [j for j in cols if j not in fixed]
        weight = sum(natural[j] ** 0.5 for j in free) or 1.0
        share = {j: left * natural[j] ** 0.5 / weight for j in free}
        clamp = {j: bound[j] for j in free if share[j] < bound[j]} or {
            j: natural[j] for j in free if share[j] > natural[j]}
        if not clamp or len(clamp) == len(free) and all(share[j] > natural[j] for j in free):
            fixed.update(share)
            break
        fixed.update(clamp)
    for j, w in fixed.items():
        widths[j] = w
    spare = total - sum(widths)
    if spare > 1:                             # every text fits on one line: the rest to the text columns
        weight = sum(natural[j] for j in cols) or 1.0
        for j in cols:
            widths[j] += spare * natural[j] / weight
    return widths


def _style_of(p) -> str:
    ppr = p.find(_PPR)
    style = ppr.find(_PSTYLE) if ppr is not None else None
    return style.get(qn("w:val")) if style is not None else ""


def _paragraph_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(_T))


_PPR_AFTER_IND = ("w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                  "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
                  "w:sectPr", "w:pPrChange")


def _ppr_child(p, tag: str, after: tuple[str, ...]):
    """p's pPr/<tag>, created in schema order (before the first of `after` present)."""
    ppr = p.find(_PPR)
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        p.insert(0, ppr)
    el = ppr.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        later = [x for x in (ppr.find(qn(name)) for name in after) if x is not None]
        if later:
            min(later, key=lambda x: list(ppr).index(x)).addprevious(el)
        else:
            ppr.append(el)
    return el


def _indent(p, *, left: float = 0, right: float = 0, align: str | None = None) -> None:
    """Direct indents in characters of the body size (and the alignment) on paragraph p."""
    ind = _ppr_child(p, "w:ind", _PPR_AFTER_IND)
    for side, chars in (("left", left), ("right", right)):
        ind.set(qn(f"w:{side}"), str(int(round(chars * BODY_SIZE.pt * 20))))
        ind.attrib.pop(qn(f"w:{side}Chars"), None)
    if align:
        _ppr_child(p, "w:jc", _PPR_AFTER_IND[4:]).set(qn("w:val"), align)


def _text_chars(body) -> float:
    """The text width of the body's (last) section in body-size characters (27.6 on A4 portrait)."""
    sect = body.find(qn("w:sectPr"))
    size, margins = (sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))) if sect is not None else (None, None)
    if size is None or margins is None:
        return TEXT_WIDTH_MM * TWIPS_PER_MM / (BODY_SIZE.pt * 20)
    width = int(size.get(qn("w:w"))) - int(margins.get(qn("w:left"))) - int(margins.get(qn("w:right")))
    return width / (BODY_SIZE.pt * 20)


def place_signature(body) -> int:
    """GB/T 9704 7.3.5.2, a document without a seal: the 署名 右空二字, the 成文日期 on the next
    line starting two characters right of the 署名's first character. The 署名 stays right-aligned
    (2 characters from the margin); the date is left-aligned from where the 署名 starts + 2, so
    its own width (digits, which renderers space differently) does not matter. When the date is
    the longer, it is 右空二字 and the 署名 moves right to keep the step. Applied to each pair of
    consecutive 落款 paragraphs; returns the pairs placed."""
    paragraphs = list(body.iter(_P))
    line = _text_chars(body)
    placed = 0
    for first, second in zip(paragraphs, paragraphs[1:]):
        if _style_of(first) != SIGNATURE or _style_of(second) != SIGNATURE:
            continue
        name, date = text_em(_paragraph_text(first), 0.5), text_em(_paragraph_text(second), 0.6)
        if not name or not date:
            continue
        if date + 2 <= name:
            _indent(first, right=2)
            _indent(second, left=max(0.0, line - name), align="left")
        else:
            _indent(second, right=2)
            _indent(first, right=date + 4 - name)
        placed += 1
    return placed


def finish(document) -> None:
    """What every rendered report gets (docxrender's post step and docxtpl's alike): empty
    columns dropped, column widths from the text, the 落款 placed. document: a python-docx
    Document or the w:body element."""
    element = getattr(document, "element", None)
    body = element.body if element is not None else document
    drop_empty_columns(body)
    fit_columns(body)
    place_signature(body)
