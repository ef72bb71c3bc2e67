"""The program's tuning settings in one table: name, default, what it decides.

These are not business rules (those are in rules.yaml): they decide how the program works, never
what it concludes: when a pool of worker processes is worth starting, how long to wait for a held
lock or a busy ledger, how big the log grows. Each default suits an office PC. An operator may
override one with the environment variable `SCORECARD_<NAME>` (upper case), e.g.
`SCORECARD_LEDGER_WAIT=30` in scorecard.env. A value that is not a number in range is ignored
with a warning in the log, and the default applies. docs/settings.md lists the same table (a
test keeps the two in step).
"""
from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    help: str
    minimum: float = 0
    integer: bool = True

    @property
    def variable(self) -> str:
        return "SCORECARD_" + self.name.upper()


SETTINGS = (
    Setting("read_pool_from", 40, "files: a round with fewer is read in the main process (a pool of workers costs more "
                                  "than it saves)", 1),
    Setting("read_pool_from_spawn", 1000, "the same where workers are spawned, not forked (Windows): each re-imports "
                                          "pandas and openpyxl", 1),
    Setting("render_pool_from", 24, "departments: fewer reports are rendered in the main process", 1),
    Setting("render_pool_from_spawn", 400, "the same where workers are spawned (Windows)", 1),
    Setting("gap_xlsx_pool_from", 400, "gaps: from this many, 问题清单.xlsx is written in a worker of its own", 1),
    Setting("gap_xlsx_pool_from_spawn", 4000, "the same where workers are spawned (Windows)", 1),
    Setting("template_cache", 32, "compiled template parts kept per process (a run has a handful)", 1),
    Setting("log_max_bytes", 2_000_000, "bytes: scorecard.log is rotated past this size", 10_000),
    Setting("log_backups", 10, "rotated logs kept (scorecard.log.1 …)", 0),
    Setting("wait_poll", 2.0, "seconds between looks at a held lock (run --wait)", 0.1, integer=False),
    Setting("settle", 30.0, "seconds: watch runs once the input folder has been unchanged this long, and an unreadable "
                            "file changed more recently is still being copied (--settle overrides)", 0, integer=False),
    Setting("ledger_wait", 10.0, "seconds a run waits for another program's hold on the ledger before it stops "
                                 "(exit 75)", 0, integer=False),
)
BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> float:
    """The setting's value: the environment's when valid, else the default."""
    setting = BY_NAME[name]
    return _value(setting, os.environ.get(setting.variable, "").strip())


@functools.lru_cache(maxsize=None)
def _value(setting: Setting, text: str) -> float:
    """Read once per value the environment holds (a changed variable is read again)."""
    if not text:
        return setting.default
    try:
        value = int(text) if setting.integer else float(text)
    except ValueError:
        value = None
    if value is None or value < setting.minimum:
        logger.warning("环境变量 %s 的值“%s”无效（应为不小于 %g 的%s），按默认值 %g 处理。", setting.variable, text,
                       setting.minimum, "整数" if setting.integer else "数字", setting.default)
        return setting.default
    return value
