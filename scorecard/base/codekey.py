"""One key for "this program's code": every `.py` file under the package, wherever it lives.

What a run reuses (checked files, rendered documents, the whole last run) was made by some version
of the code; any other version must redo it. Hashing the whole tree, by relative path and content,
means a module added, moved or changed anywhere in the package is always seen, with no hand-kept
list of the files that matter to each stage.
"""
from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

# the top package's folder, wherever in it this module lives
PACKAGE_DIR = Path(sys.modules[__name__.partition(".")[0]].__file__).resolve().parent


def package_sources(root: Path = PACKAGE_DIR) -> list[Path]:
    """Every Python source of the package, in a stable order."""
    return sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix())


@functools.cache
def code_version(root: Path = PACKAGE_DIR) -> str:
    """SHA-256 (hex) over each source's path relative to the package and its bytes."""
    digest = hashlib.sha256()
    for path in package_sources(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
