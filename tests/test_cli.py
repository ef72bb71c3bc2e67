"""The command line stays light: --help and check-rules import no pandas, docx or matplotlib."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

HEAVY = ("pandas", "docx", "docxtpl", "matplotlib", "openpyxl")
PROBE = """
import contextlib, io, sys
from scorecard.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main({argv!r})
    except SystemExit as exc:
        code = exc.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(code, ",".join(heavy))
"""


def probe(argv):
    p = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], cwd=ROOT, capture_output=True,
                       text=True, encoding="utf-8")
    assert p.returncode == 0, p.stderr
    code, heavy = p.stdout.split()[0], (p.stdout.split() + [""])[1]
    return int(code), heavy


def test_help_imports_nothing_heavy():
    assert probe(["--help"]) == (0, "")
    assert probe(["run", "--help"]) == (0, "")


def test_check_rules_imports_nothing_heavy():
    assert probe(["check-rules", "--rules", str(ROOT / "rules.yaml")]) == (0, "")
