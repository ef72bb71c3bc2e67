"""summary.json from the result's records (scoring.result): dataclasses to plain JSON data, and the
file's layout. Kept apart from the records so that result.py holds the shape and nothing else."""
from __future__ import annotations

import dataclasses
import json
import operator
from typing import Any


_SCALARS = frozenset({str, int, float, bool, type(None)})
# dataclass -> (field names, their getter, the fields left out when None); fields() is slow
_JSON_FIELDS: dict[type, tuple[tuple[str, ...], Any, tuple[str, ...]]] = {}


def _fields_of(cls) -> tuple[tuple[str, ...], Any, tuple[str, ...]]:
    found = _JSON_FIELDS.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        names = tuple(f.name for f in fields)
        getter = operator.attrgetter(*names) if len(names) > 1 else (lambda o, n=names[0]: (getattr(o, n),))
        found = _JSON_FIELDS[cls] = (names, getter, tuple(f.name for f in fields if f.metadata.get("omit_if_none")))
    return found


def to_json(value: Any):
    """Plain JSON data: dataclasses to dicts (in field order), tuples to lists.
    At 10,000 departments this converts ~200,000 records: fields are read with one attrgetter
    per class, and only values that are not plain scalars are converted further."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names, getter, omit = _fields_of(kind)
        values = getter(value)
        out = dict(zip(names, values))
        for name, v in zip(names, values):
            if type(v) not in _SCALARS:
                out[name] = to_json(v)
        for name in omit:
            if out[name] is None:
                del out[name]
        return out
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


INDENTED_UP_TO = 10_000     # entries; a larger round's summary.json has one record per line


def write_json(summary: dict, fh) -> None:
    """Write summary.json (a dict from Summary.to_dict()) to the open text file fh.

    Indented by 2 for a round of up to INDENTED_UP_TO entries. Above, each top-level field is on
    a line of its own and each element of a list field on its own line, compact: indentation
    makes Python's json fall back to its pure-Python encoder (~15 s for the 140,000 entries of
    10,000 departments); this layout uses the C encoder and stays readable line by line. Same
    content either way (docs/summary.md, "Layout").
    In units mode (§17, `units` present) the one-unit `unit` object is left out of the file; the
    documents still read it from the dict."""
    if summary.get("units") and "unit" in summary:
        summary = {k: v for k, v in summary.items() if k != "unit"}
    if len(summary.get("entries") or ()) <= INDENTED_UP_TO:
        json.dump(summary, fh, ensure_ascii=False, indent=2)
        return
    encode = json.JSONEncoder(ensure_ascii=False).encode
    fh.write("{")
    for n, (key, value) in enumerate(summary.items()):
        fh.write(("\n" if n == 0 else ",\n") + encode(key) + ": ")
        if isinstance(value, list) and value:
            for k in range(0, len(value), 1000):         # in pieces: the text of all is 100s of MB
                fh.write(("[\n" if k == 0 else ",\n") + ",\n".join(map(encode, value[k:k + 1000])))
            fh.write("\n]")
        else:
            fh.write(encode(value))
    fh.write("\n}")


def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
