"""Units mode (CONTRACT §17): `mode: units` with `units:` instead of `departments:`.

Every unit fills the whole indicator system, so inside the tool a unit is a department assigned
every indicator: validation, 退回 copies, evidence and follow-up work per unit unchanged. This
module checks the `units:` list and the indicators before the departments-mode builder runs.
"""
from __future__ import annotations

from ..base.text import squash
from .check import DEPARTMENT_KEYS, _Checker
from .schedule import department_followup
from .model import Department

MODES = ("departments", "units")
UNIT_KEYS = DEPARTMENT_KEYS | {"group"}


def mode_of(top: dict, c: _Checker) -> str:
    return c.choice(top.get("mode"), ("mode",), MODES, "departments")


def prepare_units(top: dict, c: _Checker) -> dict:
    """Check `units:` and each indicator (no `departments:` allowed); return the top mapping with
    `departments: all` on every indicator, so the common builder assigns each unit every indicator.
    The returned mapping has `units:` as the departments (see `units`)."""
    if "departments" in top:
        c.problem(("departments",), "units 模式下请用 units: 列出参评单位，不能再写 departments:")
    if top.get("units") in (None, ""):
        c.problem(("units",), "缺少必填项“units”（units 模式下列出参评单位）")
    items = top.get("items")
    if isinstance(items, list):
        for i, it in enumerate(items):
            inds = it.get("indicators") if isinstance(it, dict) else None
            if not isinstance(inds, list):
                continue
            for j, ind in enumerate(inds):
                if not isinstance(ind, dict):
                    continue
                if "departments" in ind:
                    c.problem(("items", i, "indicators", j, "departments"),
                              "units 模式下每项指标适用于所有参评单位，指标上不能写 departments:，请删除这一行")
                ind["departments"] = "all"
    out = dict(top)
    out.pop("units", None)
    out["departments"] = []
    return out


def units(value, c: _Checker, _emails) -> tuple[Department, ...]:
    """The `units:` list as Departments (name, aliases, email, head, group); `_emails` checks the
    addresses the way departments' are (rules/load.py)."""
    found, seen = [], {}
    for i, u in enumerate(c.sequence(value, ("units",))):
        kp = ("units", i)
        u = c.mapping(u, kp, UNIT_KEYS, ("name",))
        name = c.text(u.get("name"), kp + ("name",))
        aliases = c.strings(u.get("aliases"), kp + ("aliases",))
        emails = _emails(u.get("email"), kp, c)
        head = c.text(u.get("head"), kp + ("head",), required=False)
        group = c.text(u.get("group"), kp + ("group",), required=False)
        followup = department_followup(u, kp, c, _emails)                 # §14
        for spelling, where in [(name, kp + ("name",))] + [(a, kp + ("aliases", j)) for j, a in enumerate(aliases)]:
            key = squash(spelling)
            if not key:
                continue
            if key in seen and seen[key][0] != i:
                c.problem(where, f"“{spelling}”与单位“{seen[key][1]}”的名称或别名重复，无法区分")
            seen.setdefault(key, (i, name))
        if name:
            found.append(Department(name, tuple(a for a in aliases if a), emails, head, group, **followup))
    return tuple(found)
