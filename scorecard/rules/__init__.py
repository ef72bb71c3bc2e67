"""rules.yaml: the indicator system, departments and thresholds (CONTRACT.md §1).

`load_rules(path)` reads and checks the file once, at start-up, and returns frozen dataclasses.
Every problem is collected (not only the first) with the file, the line and the key path, and a
did-you-mean hint for a misspelt key; `RulesError` carries them all.
"""
from __future__ import annotations

from .check import *  # noqa: F401,F403 (the keys each section allows: documented, tested)
from .computed import COMPUTED_KEYS, DATA_KEYS, DATA_METHODS  # noqa: F401
from .evidence import (EVIDENCE_FILES, EVIDENCE_INDICATOR_KEYS, EVIDENCE_KINDS,  # noqa: F401
                       EVIDENCE_TOP_KEYS, EvidenceRule, EvidenceSettings, evidence_text)
from .load import ADDRESS, load_rules, one_address, parse_rules, yaml_problem  # noqa: F401
from .model import *  # noqa: F401,F403
