"""The pHash stage on a small real landing: the same hashes in-process and in a process
pool, a rerun hashes only new assets, and a file changed since landing is rejected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from ingest.coco import land_coco
from ingest.perceptual_hashes import DECODE_MODE, hash_image, run_perceptual_hashes
from lakehouse.catalog import ensure_landing
from lakehouse.landing import landed_files
from lakehouse.settings import Warehouse
from tests.conftest import COCO128_IMAGES


def _land(wh: Warehouse, folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i, name in enumerate(names, start=1):
        shutil.copy(COCO128_IMAGES / name, folder / name)
        width, height = Image.open(folder / name).size
        records.append({"id": i, "file_name": name, "width": width, "height": height})
    ann = folder.parent / "instances.json"
    ann.write_text(json.dumps({"images": records, "annotations": [], "categories": []}))
    ensure_landing(wh)
    land_coco(wh, folder, ann, "small", replace=True)


def _rows(wh: Warehouse) -> dict[str, tuple[int, int]]:
    rows = {}
    for path in landed_files(wh, "perceptual_hashes"):
        for r in pq.read_table(path).to_pylist():
            assert r["decode_mode"] == DECODE_MODE
            rows[r["asset_id"]] = (r["phash"], r["dhash"])
    return rows


def test_pool_equals_in_process_and_rerun_hashes_only_new(wh: Warehouse, tmp_path: Path) -> None:
    names = sorted(p.name for p in COCO128_IMAGES.glob("*.jpg"))[:6]
    _land(wh, tmp_path / "images", names[:4])
    first = run_perceptual_hashes(wh, workers=1, chunk_size=2)
    in_process = _rows(wh)
    assert first.rows_landed["perceptual_hashes"] == 4 and len(in_process) == 4
    # exactly the hashes of the files' bytes, one compacted file
    expected = {hash_image((tmp_path / "images" / n).read_bytes()) for n in names[:4]}
    assert set(in_process.values()) == expected
    assert [p.name for p in landed_files(wh, "perceptual_hashes")] == ["hashes.parquet"]

    shutil.rmtree(wh.landing / "perceptual_hashes")
    ensure_landing(wh)
    run_perceptual_hashes(wh, workers=2, chunk_size=1)
    assert _rows(wh) == in_process

    _land(wh, tmp_path / "images", names)  # two more photos
    rerun = run_perceptual_hashes(wh, workers=2, chunk_size=1)
    assert rerun.rows_landed["perceptual_hashes"] == 2
    assert len(_rows(wh)) == 6


def test_a_file_changed_since_landing_is_rejected(wh: Warehouse, tmp_path: Path) -> None:
    names = sorted(p.name for p in COCO128_IMAGES.glob("*.jpg"))[:2]
    _land(wh, tmp_path / "images", names)
    (tmp_path / "images" / names[0]).write_bytes((COCO128_IMAGES / names[1]).read_bytes())
    report = run_perceptual_hashes(wh, workers=1)
    assert report.rows_landed["perceptual_hashes"] == 1
    assert [str(r.reason) for r in report.rejects] == ["content_changed"]
    assert names[0] in report.rejects[0].message
