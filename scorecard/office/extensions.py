"""Extensions of a gap's 完成时限 typed into 问题清单.xlsx (CONTRACT §14 延期): judged like the other
tracking edits of §11 (office.apply), and carried to every gap of the same row."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from . import store
from ..base.findings import Finding, finding
from ..base.text import chinese_date, parse_date
from ..scoring.result import split_key
from .read import Edit
from .store import Tracking


def is_iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def extend_row(conn, state, key: str, new: Tracking, known: set[str]) -> None:
    """An extension is the row's (部门 and 指标, §14): the other gaps of the row (its 低分 and its
    逾期) take the same 延期至 and 延期理由, so the list shows one date and the latest edit counts.
    `state` is office.apply's OfficeState (not imported: apply imports this module)."""
    _, department, indicator = split_key(key)
    for other in sorted(known - {key}):
        if split_key(other)[1:] != (department, indicator):
            continue
        current = state.effective(other)
        if (current.extended_to, current.extension_reason) == (new.extended_to, new.extension_reason):
            continue
        moved = replace(current, extended_to=new.extended_to, extension_reason=new.extension_reason)
        store.save_tracking(conn, state.round, other, moved)
        state.tracking[other] = moved


def extension_problem(current: Tracking, accepted: dict[str, str], edit: Edit) -> Finding | None:
    """tracking.extension_invalid when this edit's 延期至 / 延期理由 make an extension that cannot
    stand (§14): 延期至 not a date, not after the 完成时限 the row shows, or no 延期理由. A 延期至
    cleared is no extension: accepted."""
    if not {"extended_to", "extension_reason"} & set(accepted):
        return None
    merged = {**current.display(), **accepted}
    to, why = merged["extended_to"], merged["extension_reason"]
    if not to:
        return None
    cells, raw = edit.row.cells, edit.row.raw
    original = parse_date(edit.row.context.get("完成时限"), None) if edit.row.context.get("完成时限") else None
    cell = cells.get("extended_to", "")
    if not is_iso(to):
        reason = f"“延期至”的“{raw.get('extended_to')}”不是有效日期"
    elif original is not None and dt.date.fromisoformat(to) <= original:
        reason = f"“延期至”{chinese_date(to)}不晚于原完成时限{chinese_date(original)}"
    elif not why:
        reason, cell = "未填写“延期理由”", cells.get("extension_reason", cell)
    else:
        return None
    return finding("tracking.extension_invalid", sheet=edit.copy.sheet, file=edit.copy.file, cell=cell,
                   value=raw.get("extended_to") if "extended_to" in accepted else raw.get("extension_reason"),
                   key=edit.key, reason=reason)
