"""Named exceptions the command line maps to exit codes, in a module light enough for `--help`."""
from __future__ import annotations


class ReportError(Exception):
    """A template could not be opened or rendered; names the template file."""

    def __init__(self, template: str, message: str):
        super().__init__(f"{template}：{message}")
        self.template = template
        self.message = message
