"""lakehouse.atomic: a target is replaced whole or not at all, and no temporary file is
left behind either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakehouse.atomic import (
    copy_file,
    replacing,
    temporary_sibling,
    write_bytes,
    write_content_named,
    write_text,
)


def test_a_block_that_fails_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.json", "old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_writes_create_the_folder_and_replace_the_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "b.png"
    assert write_bytes(target, b"\x89PNG one") == target
    write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["b.png"]


def test_a_copy_keeps_the_permission_bits(tmp_path: Path) -> None:
    src = write_text(tmp_path / "src", "x")
    os.chmod(src, 0o644)
    dst = copy_file(src, tmp_path / "out" / "dst")
    assert dst.read_text() == "x" and (dst.stat().st_mode & 0o777) == 0o644


def test_temporary_names_are_hidden_unique_and_end_in_tmp(tmp_path: Path) -> None:
    names = {temporary_sibling(tmp_path / "c.parquet").name for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith(".c.parquet.") and n.endswith(".tmp") for n in names)


def test_a_content_named_file_of_the_same_size_is_kept(tmp_path: Path) -> None:
    target = write_content_named(tmp_path / "d" / "ab12.png", b"first")
    os.utime(target, (1, 1))
    write_content_named(target, b"other")  # same size: these bytes are already there
    assert target.read_bytes() == b"first" and target.stat().st_mtime == 1
    write_content_named(target, b"longer bytes")
    assert target.read_bytes() == b"longer bytes"
