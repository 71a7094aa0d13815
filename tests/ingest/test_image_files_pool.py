"""Image landing's process pool gives what the thread pool gives, in input order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest import image_files
from ingest.image_files import ImageFile, inspect_images
from lakehouse.rejects import Reject
from tests.conftest import SHARED_DATASETS


def test_the_process_pool_lands_the_same_files_and_rejects_in_order(
    tmp_path: Path, shared_datasets, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_files, "INSPECT_CHUNK_FILES", 8)  # 6 chunks over 2 workers
    root = tmp_path / "images"
    shutil.copytree(SHARED_DATASETS / "coco128" / "train2017", root)
    names = sorted(p.name for p in root.iterdir())[:40]
    (root / "broken.jpg").write_bytes((root / names[0]).read_bytes()[:500])  # truncated
    (root / "empty.jpg").write_bytes(b"")
    paths = ["empty.jpg", *names[:20], "broken.jpg", "missing.jpg", *names[20:]]
    threads = list(inspect_images(root, paths, workers=None))
    processes = list(inspect_images(root, paths, workers=2))
    assert processes == threads
    # each file's status for the kept image digests crosses the pool too (its sha256: the
    # asset id), and only the time it was read differs
    status = [r.kept._replace(hashed_at_ns=0) for r in threads if isinstance(r, ImageFile)]
    assert [r.kept._replace(hashed_at_ns=0) for r in processes if isinstance(r, ImageFile)] == status
    assert [(k.inode, k.size_bytes, k.sha256) for k in status] == [
        ((root / r.relative_path).stat().st_ino, r.size_bytes, r.asset_id) for r in threads if isinstance(r, ImageFile)]
    assert [r.relative_path if isinstance(r, ImageFile) else r.item for r in processes] == paths
    assert [str(r.reason) for r in processes if isinstance(r, Reject)] == [
        "zero_byte", "truncated_image", "missing_file"]
