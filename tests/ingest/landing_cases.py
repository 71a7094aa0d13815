"""Helpers of the landing-safety tests: a small real COCO input, a content-hash snapshot of
what has landed, and the ``mmfactory`` CLI run in a child process (real exit codes)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES

GOOD = ["000000000009.jpg", "000000000025.jpg", "000000000030.jpg", "000000000034.jpg"]


def small_coco(folder: Path) -> tuple[Path, Path]:
    """Four real COCO128 images and their records, as an images folder and a JSON file."""
    images = folder / "images"
    images.mkdir(parents=True)
    for name in GOOD:
        shutil.copy(COCO128_IMAGES / name, images / name)
    doc = json.loads(COCO128_ANNOTATIONS.read_text())
    keep = {i["id"] for i in doc["images"] if i["file_name"] in GOOD}
    doc["images"] = [i for i in doc["images"] if i["id"] in keep]
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] in keep]
    ann = folder / "instances.json"
    ann.write_text(json.dumps(doc))
    return images, ann


def snapshot(wh: Warehouse) -> dict[str, str]:
    """sha256 of every landed file (and claim), by path relative to the warehouse."""
    out = {}
    for folder in (wh.landing, wh.root / "claims"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.name != "_schema.parquet":
                    out[path.relative_to(wh.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def leftovers(wh: Warehouse) -> list[str]:
    """Temporary files a landing left in the warehouse (should be none)."""
    return sorted(p.name for p in wh.root.rglob("*.tmp"))


def cli(wh: Warehouse, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``mmfactory <args>`` against ``wh`` in a child process."""
    env = {**os.environ, WAREHOUSE_ENV: str(wh.root), "COLUMNS": "200"}
    exe = Path(sys.executable).parent / "mmfactory"
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout)


def assert_digests_kept(wh: Warehouse, root: Path, source: str) -> None:
    """Every asset ``source`` landed from ``root`` is in the contracts' kept image digests
    (lakehouse/file_digests.py) by its file's inode, size and date, with its asset id as
    sha256, so that check 6 reads none of them (the shared datasets' files are old enough
    to be kept)."""
    import pyarrow.parquet as pq

    from lakehouse.file_digests import sha256_files_kept

    assets = pq.read_table(wh.landing / "assets" / f"{source}.parquet").to_pylist()
    kept = {(r["inode"], r["size_bytes"], r["modified_at_ns"]): r["sha256"]
            for r in pq.read_table(wh.image_digest_cache).to_pylist()}
    files = [root / a["relative_path"] for a in assets]
    status = [f.stat() for f in files]
    assert [kept.get((s.st_ino, s.st_size, s.st_mtime_ns)) for s in status] == [a["asset_id"] for a in assets]
    assert sha256_files_kept(files, wh.image_digest_cache).files_read == 0
