"""Which files of the input folder are not a department's (CONTRACT.md §3): Excel owner files
(~$*), hidden files and the system's own files are ignored; anything else is read."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from scorecard.checking import _hidden_on_windows, ignore_reason


@pytest.mark.parametrize("name", ["~$办公室.xlsx", ".办公室.xlsx", ".~lock.办公室.xlsx#", "Thumbs.db", "thumbs.db",
                                  "Desktop.ini", ".DS_Store"])
def test_owner_hidden_and_system_files_are_ignored(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x")
    assert ignore_reason(path)


@pytest.mark.parametrize("name", ["办公室.xlsx", "~办公室.xlsx", "办公室~$.xlsx", "a.b.xlsx", "thumbs.db.xlsx"])
def test_other_files_are_read(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x")
    assert ignore_reason(path) is None


class _Stat:
    def __init__(self, attributes):
        self.attributes = attributes

    def stat(self):
        return SimpleNamespace(st_file_attributes=self.attributes)


@pytest.mark.parametrize("attributes, hidden", [(0x2, True), (0x22, True), (0x20, False), (0x4, False), (0, False)])
def test_the_windows_hidden_attribute(attributes, hidden):
    """On Windows a file may be hidden by its FILE_ATTRIBUTE_HIDDEN (0x2) bit, not by its name."""
    assert _hidden_on_windows(_Stat(attributes)) is hidden


def test_a_file_gone_since_it_was_listed_is_not_hidden(tmp_path):
    assert _hidden_on_windows(Path(tmp_path / "gone.xlsx")) is False
