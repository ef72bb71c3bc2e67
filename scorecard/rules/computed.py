"""The `data:` section and each indicator's `computed:` (CONTRACT.md §12), checked like the rest.
"""
from __future__ import annotations

from dataclasses import replace


from ..base.text import did_you_mean
from .check import _Checker
from .model import Computed, DataSource, Item


# ---------------------------------------------------------------------------------------------
# Computed indicators (CONTRACT.md §12): `data:` at the top, `computed:` on an indicator

DATA_KEYS = {"name", "columns", "department", "person"}
COMPUTED_KEYS = {"data", "value", "target", "method"}
DATA_METHODS = ("share", "mean", "sum")


def _data_sources(value, c: _Checker) -> tuple[DataSource, ...]:
    from ..base.text import title_key

    sources, names = [], {}
    for i, d in enumerate(c.sequence(value, ("data",))):
        kp = ("data", i)
        d = c.mapping(d, kp, DATA_KEYS, ("name", "columns", "department"))
        name = c.text(d.get("name"), kp + ("name",)) if d.get("name") is not None else ""
        if name and name in names:
            c.problem(kp + ("name",), f"数据名称“{name}”重复（已用于 data[{names[name]}]）")
        names.setdefault(name, i)
        columns = c.strings(d.get("columns"), kp + ("columns",)) if d.get("columns") is not None else ()
        keys = [title_key(col) for col in columns]
        for j, key in enumerate(keys):
            if key and key in keys[:j]:
                c.problem(kp + ("columns", j), f"列名“{columns[j]}”重复")
        if d.get("columns") is not None and len([k for k in keys if k]) < 2:
            c.problem(kp + ("columns",), "至少列出两列：部门列和数值列")
        department = c.text(d.get("department"), kp + ("department",)) if d.get("department") is not None else ""
        if department and columns and title_key(department) not in keys:
            c.problem(kp + ("department",), f"部门列“{department}”不在 columns 中{did_you_mean(department, columns)}")
        person = c.text(d.get("person"), kp + ("person",), required=False)
        if person and title_key(person) not in keys:
            c.problem(kp + ("person",), f"姓名列“{person}”不在 columns 中{did_you_mean(person, columns)}")
        elif person and title_key(person) == title_key(department):
            c.problem(kp + ("person",), "姓名列不能与部门列相同")
        if name:
            sources.append(DataSource(name, tuple(col for col in columns if col), department, person))
    return tuple(sources)


def _with_computed(items: tuple[Item, ...], raw_items, c: _Checker,
                   sources: tuple[DataSource, ...]) -> tuple[Item, ...]:
    """Items with each indicator's `computed:` parsed (raw and built items correspond one to one)."""
    if not isinstance(raw_items, list):
        return items
    out = []
    for i, item in enumerate(items):
        raw = raw_items[i] if i < len(raw_items) and isinstance(raw_items[i], dict) else {}
        raw_inds = raw.get("indicators") if isinstance(raw.get("indicators"), list) else []
        indicators = []
        for j, ind in enumerate(item.indicators):
            raw_ind = raw_inds[j] if j < len(raw_inds) and isinstance(raw_inds[j], dict) else {}
            computed = _computed(raw_ind.get("computed"), ("items", i, "indicators", j, "computed"), c, sources)
            indicators.append(replace(ind, computed=computed) if computed else ind)
        out.append(replace(item, indicators=tuple(indicators)))
    return tuple(out)


def _computed(value, kp, c: _Checker, sources: tuple[DataSource, ...]) -> Computed | None:
    if value is None:
        return None
    from ..base.text import title_key

    given = c.mapping(value, kp, COMPUTED_KEYS, ("data", "value", "target", "method"))
    if not given:
        return None
    data = c.text(given.get("data"), kp + ("data",)) if given.get("data") is not None else ""
    column = c.text(given.get("value"), kp + ("value",)) if given.get("value") is not None else ""
    target = c.number(given.get("target"), kp + ("target",), positive=True)
    method = c.choice(given.get("method"), kp + ("method",), DATA_METHODS, None) if given.get("method") is not None else None
    source = next((s for s in sources if s.name == data), None)
    if data and source is None:
        known = [s.name for s in sources]
        c.problem(kp + ("data",), f"数据“{data}”未在 data 中声明{did_you_mean(data, known)}"
                  if known else f"数据“{data}”未在 data 中声明（规则文件没有 data: 部分）")
    elif source is not None and column:
        keys = [title_key(col) for col in source.columns]
        if title_key(column) not in keys:
            c.problem(kp + ("value",), f"数值列“{column}”不在数据“{data}”的 columns 中{did_you_mean(column, source.columns)}")
        elif title_key(column) == title_key(source.department):
            c.problem(kp + ("value",), f"数值列“{column}”是数据“{data}”的部门列，不能用作数值")
        elif source.person and title_key(column) == title_key(source.person):
            c.problem(kp + ("value",), f"数值列“{column}”是数据“{data}”的姓名列，不能用作数值")
    if not (data and column and method) or target is None or target <= 0 or isinstance(target, bool):
        return None
    return Computed(data=data, value=column, target=float(target), method=method)
