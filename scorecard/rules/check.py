"""Reading YAML with the line of every key path, and the checker that collects every problem with
its line and key (a did-you-mean hint for a misspelt key); the keys each section allows.
"""
from __future__ import annotations


import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from ..base.text import did_you_mean
from .model import Limits, RuleProblem


# ---------------------------------------------------------------------------------------------
# YAML with line numbers

class _Located:
    """Plain data converted from YAML, with the line of every key path."""

    def __init__(self, path: str):
        self.path = path
        self.lines: dict[tuple, int] = {}
        self.problems: list[RuleProblem] = []

    def problem(self, keypath: tuple, message: str, line: int | None = None) -> None:
        if line is None:
            # The nearest key path that has a line (a missing key is reported at its parent).
            probe = keypath
            while probe and probe not in self.lines:
                probe = probe[:-1]
            line = self.lines.get(probe)
        self.problems.append(RuleProblem(self.path, line, _keystr(keypath), message))

    def convert(self, node, keypath=()):
        self.lines.setdefault(keypath, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key_node, value_node in node.value:
                key = SafeConstructor().construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self.problem(keypath + (key,), f"键“{key}”重复出现", key_node.start_mark.line + 1)
                    continue
                self.lines[keypath + (key,)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, keypath + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(child, keypath + (i,)) for i, child in enumerate(node.value)]
        try:
            return SafeConstructor().construct_object(node)
        except ConstructorError as exc:
            self.problem(keypath, f"无法解析的值：{exc.problem}")
            return None
        except ValueError:
            # A date-shaped scalar that is no date (2026-13-01, 2027-02-30): PyYAML's timestamp
            # constructor raises a bare ValueError from datetime.date. Kept as its text, it meets
            # the key's own check ("不是有效日期"), on its line, like any other bad date.
            return node.value


def _keystr(keypath: tuple) -> str:
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------------------------------------
# Checking

TOP_KEYS = {"version", "title", "organization", "round", "as_of", "pass_score", "bonus_cap", "gap",
            "statuses", "done_status", "departments", "leaders", "items", "vetoes", "limits", "mail",
            "resubmit_days", "data", "holidays", "workdays", "contact",
            "mode", "units",                                   # §17 (rules/units.py)
            "schedule",                                        # §14 (rules/schedule.py)
            "evidence"}   # §13
REQUIRED_TOP = ("pass_score", "departments", "items")
DEFAULT_TITLE = "自评测评"
GAP_KEYS = {"ratio", "severe_ratio"}
DEPARTMENT_KEYS = {"name", "aliases", "email", "head", "head_email", "leader"}     # the last two: §14
LEADER_KEYS = {"name", "email"}
CONTACT_KEYS = {"name", "phone"}
ITEM_KEYS = {"code", "name", "indicators"}
INDICATOR_KEYS = {"code", "name", "max", "method", "criteria", "departments", "combine", "evidence",
                  "computed"}
VETO_KEYS = {"code", "name"}
LIMIT_KEYS = set(Limits.__dataclass_fields__)
MAIL_KEYS = {"host", "port", "security", "user", "sender",
             "max_mb", "timeout", "cafile"}   # mail delivery (scorecard/mail/smtp.py): size limit, seconds, CA file


class _Checker:
    def __init__(self, located: _Located):
        self.loc = located

    def problem(self, keypath, message):
        self.loc.problem(tuple(keypath), message)

    def mapping(self, value, keypath, allowed, required=()):
        if not isinstance(value, dict):
            self.problem(keypath, "应为键值对（映射）" if value is not None else "不能为空")
            return {}
        for key in value:
            if key not in allowed:
                self.problem(tuple(keypath) + (key,), f"未知的键“{key}”{did_you_mean(key, sorted(allowed))}")
        for key in required:
            if value.get(key) in (None, ""):
                self.problem(tuple(keypath) + (key,), f"缺少必填项“{key}”")
        return value

    def sequence(self, value, keypath, allow_empty=False):
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(keypath, "应为列表")
            return []
        if not value and not allow_empty:
            self.problem(keypath, "列表不能为空")
        return value

    def text(self, value, keypath, required=True) -> str:
        if value is None or value == "":
            if required:
                self.problem(keypath, "不能为空")
            return ""
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            self.problem(keypath, "应为文字")
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def code(self, value, keypath) -> str:
        # Codes are text: an unquoted 1.1 in YAML arrives as a float, which is fine; 1.10 would not be.
        if isinstance(value, float):
            return repr(value)
        return self.text(value, keypath)

    def number(self, value, keypath, *, positive=False, minimum=None, maximum=None, default=None):
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(keypath, f"应为数字（现为“{value}”）")
            return default
        if positive and value <= 0:
            self.problem(keypath, f"必须大于 0（现为 {value}）")
        if minimum is not None and value < minimum:
            self.problem(keypath, f"不能小于 {minimum}（现为 {value}）")
        if maximum is not None and value > maximum:
            self.problem(keypath, f"不能大于 {maximum}（现为 {value}）")
        return value

    def strings(self, value, keypath) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(keypath, "应为文字列表")
            return ()
        return tuple(self.text(v, tuple(keypath) + (i,)) for i, v in enumerate(value))

    def choice(self, value, keypath, choices, default):
        if value is None:
            return default
        if value not in choices:
            self.problem(keypath, f"“{value}”无效，应为 {' | '.join(choices)} 之一{did_you_mean(str(value), choices)}")
            return default
        return value
