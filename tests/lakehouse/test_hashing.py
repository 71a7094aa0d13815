"""The one sha256 helper (lakehouse/hashing.py): many files on a thread per core give the
digests of hashing them one by one, with hashlib's own digest of the whole bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lakehouse.hashing import BLOCK_BYTES, sha256_file, sha256_files
from tests.conftest import COCO128


def test_many_files_on_threads_equal_one_by_one(tmp_path: Path) -> None:
    images = sorted((COCO128 / "train2017").glob("*.jpg"))[:40]
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (3 * BLOCK_BYTES // 256 + 7))  # several blocks
    paths = [*images, big, images[0]]  # a repeat is hashed once
    digests = sha256_files(paths, workers=4)
    assert list(digests) == [*images, big]
    for path, digest in digests.items():
        assert digest == sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_files(paths, workers=1) == digests


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        sha256_files([tmp_path / "a", tmp_path / "b"], workers=2)
