"""Near-duplicate detection end to end: crafted copies of a COCO128 photo (resized,
re-encoded at a lower JPEG quality, slightly cropped) landed as a second source in other
folders are hashed by `mmfactory phash`, paired by the band join, clustered, and put in
the original's split group; unrelated COCO128 photos are never paired."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from ingest.perceptual_hashes import hash_image
from lakehouse.settings import Warehouse
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES
from tests.warehouses import run_mmfactory, scratch_copy

ORIGINAL = "000000000009.jpg"


def _bits(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _copies(original: Path) -> dict[str, bytes]:
    """Relative path (in folders of their own) -> bytes of each crafted copy."""
    img = Image.open(original).convert("RGB")
    w, h = img.size
    return {
        "resized/half_size.jpg": _jpeg(img.resize((w // 2, h // 2), Image.LANCZOS), 90),
        "reencoded/deeper/quality_40.jpg": _jpeg(img, 40),
        "cropped/crop_2pct.jpg": _jpeg(img.crop((w // 50, h // 50, w - w // 50, h - h // 50)), 90),
    }


def test_copies_are_close_and_unrelated_photos_far() -> None:
    """The hashes themselves: every crafted copy within the default threshold (7 bits) of
    its original; unrelated photos well beyond it."""
    data = (COCO128_IMAGES / ORIGINAL).read_bytes()
    phash, _ = hash_image(data)
    for name, copy in _copies(COCO128_IMAGES / ORIGINAL).items():
        assert _bits(hash_image(copy)[0], phash) <= 7, name
    others = sorted(COCO128_IMAGES.glob("*.jpg"))[1:9]
    assert min(_bits(hash_image(p.read_bytes())[0], phash) for p in others) > 7


def test_unrelated_coco128_photos_are_not_paired(built_warehouse: Warehouse) -> None:
    """The default build hashed every asset, and no two COCO128 photos are near-duplicates
    (the closest unrelated pair is 16 bits apart)."""
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        [(hashed, assets)] = con.execute(
            "select (select count(*) from stg_landing__perceptual_hashes), "
            "(select count(*) from stg_landing__assets)").fetchall()
        [(pairs,)] = con.execute("select count(*) from int_asset_near_duplicates_paired").fetchall()
    assert hashed == assets > 0
    assert pairs == 0


@pytest.fixture()
def copies_landed(built_warehouse: Warehouse, tmp_path: Path) -> tuple[Warehouse, dict[str, str]]:
    """A scratch copy of the build with the crafted copies landed as source coco_copies
    (no annotations: images only), hashed and rebuilt through the split groups."""
    wh = scratch_copy(built_warehouse, tmp_path / "warehouse")
    images = tmp_path / "copies"
    crafted = _copies(COCO128_IMAGES / ORIGINAL)
    categories = json.loads(COCO128_ANNOTATIONS.read_text())["categories"]
    records = []
    for i, (rel, data) in enumerate(sorted(crafted.items()), start=1):
        (images / rel).parent.mkdir(parents=True, exist_ok=True)
        (images / rel).write_bytes(data)
        width, height = Image.open(io.BytesIO(data)).size
        records.append({"id": i, "file_name": rel, "width": width, "height": height})
    annotations = tmp_path / "copies.json"
    annotations.write_text(json.dumps({"images": records, "annotations": [],
                                       "categories": categories}))
    landed = run_mmfactory(wh, "land", "coco", "--images", str(images), "--annotations",
                           str(annotations), "--source", "coco_copies")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    hashed = run_mmfactory(wh, "phash", "--workers", "2")
    assert hashed.returncode == 0, hashed.stdout + hashed.stderr
    # resumable: only the three new assets are hashed, the build's are reused
    assert "3 asset(s) hashed" in hashed.stdout, hashed.stdout
    # only what the copies change; cautious: no tests of models left as they were (and no
    # SQL unit tests: tests/lakehouse/test_dbt_unit_tests.py runs them)
    built = run_mmfactory(wh, "dbt", "build", "--indirect-selection", "cautious",
                          "--exclude-resource-type", "unit_test", "--select",
                          "stg_landing__asset_sources", "+int_sample_groups_assigned",
                          "+report_near_duplicate_clusters")
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(wh.database), read_only=True) as con:
        ids = dict(con.execute("select relative_path, asset_id from stg_landing__assets "
                               "where source = 'coco_copies' or relative_path = ?",
                           [ORIGINAL]).fetchall())
    return wh, ids


def test_crafted_copies_end_up_in_one_cluster_and_one_split(
        copies_landed: tuple[Warehouse, dict[str, str]]) -> None:
    wh, ids = copies_landed
    assert len(ids) == 4  # the original and its three copies, four distinct contents
    members = list(ids.values())
    with duckdb.connect(str(wh.database), read_only=True) as con:
        clusters = con.execute("select near_duplicate_cluster_id, cluster_asset_count "
                           "from int_asset_near_duplicates_clustered "
                           "where list_contains(?, asset_id)", [members]).fetchall()
        groups = con.execute("select distinct group_id, split from int_sample_groups_assigned "
                         "where list_contains(?, asset_id)", [members]).fetchall()
        original_splits = con.execute(
            "select distinct split from samples where source_asset_ids[1] = ?",
            [ids[ORIGINAL]]).fetchall()
        report = con.execute("select asset_count, split_count, source_count "
                         "from report_near_duplicate_clusters").fetchall()
    assert len(clusters) == 4 and len({c[0] for c in clusters}) == 1
    assert clusters[0][1] == 4
    assert len(groups) == 1, groups  # one split group, so one split, for all four
    assert original_splits in ([], [(groups[0][1],)])  # the original's samples agree
    assert report == [(4, 1, 2)]
