"""scorecard: the spreadsheet-driven assessment processor (see README.md)."""
from pathlib import Path

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"   # the default Word and mail templates
