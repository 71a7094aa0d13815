"""Files written whole or not at all: through a temporary file beside the target and one
rename (``os.replace``), so that a reader never sees half a file, two writers at once leave
one whole file, and a killed run leaves only a hidden ``.<name>.<pid>.<tag>.tmp`` (which
the next writer removes: ``lakehouse.lock.clean_leftovers``).

In: the target path and what goes in it (bytes, text, a file to copy, or whatever a
``with replacing(path) as tmp:`` block writes to ``tmp``). Out: the target, replaced in one
step; its folder is created when missing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """A new hidden name beside ``path`` for the file that will replace it (unique per
    process and call, ends in ``.tmp``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an error, the
    file written there replaces ``path``. No temporary file is left either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> Path:
    """``data`` as the whole content of ``path``; returns ``path``."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: Path, text: str) -> Path:
    """``text`` (UTF-8) as the whole content of ``path``; returns ``path``."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_content_named(path: Path, data: bytes) -> Path:
    """``data`` at ``path``, whose name is derived from the data's own hash: a file of that
    size already there holds these bytes and is kept; else ``write_bytes``. Returns ``path``."""
    if not (path.is_file() and path.stat().st_size == len(data)):
        write_bytes(path, data)
    return path


def copy_file(src: Path, dst: Path) -> Path:
    """A copy of ``src`` (content and permission bits) as ``dst``; returns ``dst``."""
    with replacing(dst) as tmp:
        shutil.copyfile(src, tmp)
        shutil.copymode(src, tmp)
    return dst
