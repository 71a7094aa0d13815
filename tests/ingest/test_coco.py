"""COCO landing on real COCO128 and on a folder seeded with every kind of bad input."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from PIL import Image

from ingest.coco import CocoFileError, land_coco
from lakehouse.landing import landed_files
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES
from tests.ingest.landing_cases import assert_digests_kept

GOOD = ["000000000009.jpg", "000000000025.jpg", "000000000030.jpg"]


def _png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def test_coco128_lands_whole(shared_datasets, wh) -> None:
    report = land_coco(wh, COCO128_IMAGES, COCO128_ANNOTATIONS, "coco128")
    assert report.rows_landed == {"assets": 128, "coco_images": 128, "coco_annotations": 939,
                                  "coco_categories": 80, "coco_licenses": 8}
    assert report.rejects == []
    assets = pq.read_table(wh.landing / "assets" / "coco128.parquet")
    paths = assets.column("relative_path").to_pylist()
    assert all(not p.startswith("/") and ".." not in p for p in paths)
    # a license and attribution came from the COCO licenses table
    row = next(r for r in assets.to_pylist() if r["relative_path"] == "000000000009.jpg")
    assert row["license_id"] == "coco128:3"
    assert row["license_name"] == "Attribution-NonCommercial-NoDerivs License"
    assert row["attribution_url"].startswith("http://farm")
    assert (row["width_px"], row["height_px"], row["format"]) == (640, 480, "JPEG")
    assert_digests_kept(wh, COCO128_IMAGES, "coco128")


def test_landing_twice_gives_the_same_rows(shared_datasets, wh) -> None:
    land_coco(wh, COCO128_IMAGES, COCO128_ANNOTATIONS, "coco128")
    land_coco(wh, COCO128_IMAGES, COCO128_ANNOTATIONS, "coco128")
    with duckdb.connect() as con:
        glob = (wh.landing / "coco_annotations" / "*.parquet").as_posix()
        n, distinct = con.execute(
            "select count(*), count(distinct annotation_id) from read_parquet(?)", [glob]).fetchone()
    assert n == distinct == 939


@pytest.fixture()
def bad_input(tmp_path: Path, shared_datasets) -> tuple[Path, Path, Path]:
    """An images root seeded with one instance of each bad input, and an annotation file
    naming them, next to three good images with their real annotations."""
    root = tmp_path / "images"
    root.mkdir()
    outside = tmp_path / "outside.jpg"
    shutil.copy(COCO128_IMAGES / "000000000034.jpg", outside)
    for name in GOOD:
        shutil.copy(COCO128_IMAGES / name, root / name)
    real = (COCO128_IMAGES / "000000000036.jpg").read_bytes()
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("these are meeting notes, not a picture\n")
    (root / "truncated.jpg").write_bytes(real[: len(real) // 2])
    (root / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    (root / "corrupt.png").write_bytes(_png_header_only(0, 10))
    shutil.copy(root / GOOD[0], root / "copy_of_9.jpg")
    (root / "escape.jpg").symlink_to(outside)
    Image.new("RGB", (64, 48), "gray").save(root / "size.jpg")
    rotated = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(root / "rotated.jpg", exif=exif)
    exif[0x0112] = 3  # turned 180 degrees: the same size stored and displayed
    Image.new("RGB", (64, 48), "black").save(root / "flipped.jpg", exif=exif)

    doc = json.loads(COCO128_ANNOTATIONS.read_text())
    good_images = [im for im in doc["images"] if im["file_name"] in GOOD]
    good_ids = {im["id"] for im in good_images}
    good_anns = [a for a in doc["annotations"] if a["image_id"] in good_ids]
    bad_images = [
        {"id": 901, "file_name": "empty.jpg", "width": 1, "height": 1},
        {"id": 902, "file_name": "notes.jpg", "width": 1, "height": 1},
        {"id": 903, "file_name": "truncated.jpg", "width": 640, "height": 480},
        {"id": 904, "file_name": "bomb.png", "width": 30000, "height": 30000},
        {"id": 905, "file_name": "missing.jpg", "width": 640, "height": 480},
        {"id": 906, "file_name": "../outside.jpg", "width": 640, "height": 480},
        {"id": 907, "file_name": str(outside), "width": 640, "height": 480},
        {"id": 908, "file_name": "escape.jpg", "width": 640, "height": 480},
        {"id": 909, "file_name": "dup.jpg", "width": 10, "height": 10},
        {"id": 909, "file_name": "dup2.jpg", "width": 10, "height": 10},
        {"id": 910, "file_name": "size.jpg", "width": 640, "height": 480},
        {"id": 911, "file_name": "rotated.jpg", "width": 64, "height": 48},
        {"id": 912, "file_name": "corrupt.png", "width": 0, "height": 10},
        {"id": 913, "file_name": "copy_of_9.jpg", "width": 640, "height": 480},
        {"id": 914, "file_name": "flipped.jpg", "width": 64, "height": 48},
        {"id": "x", "file_name": 3},
    ]
    img = good_images[0]["id"]  # 640x480
    base = {"image_id": img, "category_id": 1, "iscrowd": 0, "area": 1.0}
    bad_anns = [
        {**base, "id": 800001, "image_id": 424242, "bbox": [1, 1, 5, 5]},
        {**base, "id": 800002, "category_id": 9999, "bbox": [1, 1, 5, 5]},
        {**base, "id": 800003, "bbox": [float("nan"), 1, 5, 5]},
        {**base, "id": 800004, "bbox": [1, 1, float("inf"), 5]},
        {**base, "id": 800005, "bbox": [10, 10, -5, 5]},
        {**base, "id": 800006, "bbox": [10, 10, 0, 5]},
        {**base, "id": 800007, "bbox": [600, 10, 45, 5]},
        {**base, "id": 800008, "bbox": [-2, 10, 5, 5]},
        {**base, "id": 800009, "bbox": [1, 2, 3]},
        {**base, "id": 800010, "bbox": [1, 1, 5, 5]},
        {**base, "id": 800010, "bbox": [2, 2, 5, 5]},
        {**base, "id": 800011, "image_id": 901, "bbox": [0, 0, 1, 1]},
        {**base, "id": 800012, "image_id": 911, "bbox": [1, 1, 5, 5]},  # lands, turned upright
        {**base, "id": 800014, "image_id": 914, "bbox": [1, 1, 5, 5]},
        # within the 1 px tolerance: lands as given
        {**base, "id": 800013, "bbox": [600, 10, 40.5, 5]},
    ]
    doc["images"] = good_images + bad_images
    doc["annotations"] = good_anns + bad_anns
    path = tmp_path / "instances.json"
    # json.dumps writes NaN / Infinity as Python does: the landing must cope
    path.write_text(json.dumps(doc))
    return root, path, outside


EXPECTED_IMAGE_REASONS = {
    "image 901": "zero_byte",
    "image 902": "not_an_image",
    "image 903": "truncated_image",
    "image 904": "decompression_bomb",
    "image 905": "missing_file",
    "image 906": "path_escapes_root",
    "image 907": "path_escapes_root",
    "image 908": "path_escapes_root",
    "image 909": "duplicate_image_id",
    "image 910": "size_mismatch",
    "image 912": "corrupt_image",
    "image 913": "duplicate_content",
    "images[18]": "malformed_record",
}
EXPECTED_ANNOTATION_REASONS = {
    "annotation 800001": "unknown_image",
    "annotation 800002": "unknown_category",
    "annotation 800003": "non_finite_bbox",
    "annotation 800004": "non_finite_bbox",
    "annotation 800005": "negative_bbox",
    "annotation 800006": "zero_size_bbox",
    "annotation 800007": "bbox_out_of_bounds",
    "annotation 800008": "bbox_out_of_bounds",
    "annotation 800009": "malformed_record",
    "annotation 800010": "duplicate_annotation_id",
    "annotation 800011": "image_rejected",
    "annotation 800014": "exif_frame_undecidable",
}


def test_every_bad_input_is_rejected_with_its_reason(bad_input, wh) -> None:
    root, annotations, _ = bad_input
    report = land_coco(wh, root, annotations, "bad")
    got_images = {r.item: str(r.reason) for r in report.rejects if r.landing_table == "coco_images"}
    got_anns: dict[str, list[str]] = {}
    for r in report.rejects:
        if r.landing_table == "coco_annotations":
            got_anns.setdefault(r.item, []).append(str(r.reason))
    assert got_images == EXPECTED_IMAGE_REASONS
    assert {k: v[0] for k, v in got_anns.items()} == EXPECTED_ANNOTATION_REASONS
    assert got_anns["annotation 800010"] == ["duplicate_annotation_id"] * 2
    files = {r.item: str(r.reason) for r in report.rejects if r.landing_table == "assets"}
    assert files["empty.jpg"] == "zero_byte"
    assert files["escape.jpg"] == "path_escapes_root"
    assert files["copy_of_9.jpg"] == "duplicate_content"
    # every message names the offending input
    for r in report.rejects:
        assert r.item.split()[-1].strip("[]").split("[")[-1] in r.message or r.item in r.message

    # the good rows all landed, and the accounting balances for every table
    assert report.unbalanced_tables() == []
    doc = json.loads(annotations.read_text().replace("NaN", "0").replace("Infinity", "0"))
    good_ann_ids = {a["id"] for a in doc["annotations"] if not 800001 <= a["id"] <= 800011
                    and a["id"] != 800014}
    landed = pq.read_table(wh.landing / "coco_annotations" / "bad.parquet")
    assert set(landed.column("annotation_id").to_pylist()) == good_ann_ids
    images = pq.read_table(wh.landing / "coco_images" / "bad.parquet")
    assert set(images.column("file_name").to_pylist()) == set(GOOD) | {"rotated.jpg", "flipped.jpg"}
    by_name = {r["file_name"]: r for r in images.to_pylist()}
    # the frame of flipped.jpg's boxes cannot be decided: it ships as stored, without boxes
    assert by_name["flipped.jpg"]["has_exif_orientation"] is True
    # rotated.jpg's record points at its upright copy, at the displayed size
    rotated = by_name["rotated.jpg"]
    assert rotated["has_exif_orientation"] is False
    assert (rotated["width_px"], rotated["height_px"]) == (48, 64)
    copies = pq.read_table(wh.landing / "assets" / "bad-upright.parquet").to_pylist()
    assert [c["asset_id"] for c in copies] == [rotated["asset_id"]]
    turned = next(r for r in landed.to_pylist() if r["annotation_id"] == 800012)
    assert [turned[k] for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h")] == [42, 1, 5, 5]
    assets = pq.read_table(wh.landing / "assets" / "bad.parquet").to_pylist()
    by_path = {a["relative_path"]: a for a in assets}
    assert set(by_path) == set(GOOD) | {"rotated.jpg", "flipped.jpg", "size.jpg"}
    assert (by_path["rotated.jpg"]["display_width_px"], by_path["rotated.jpg"]["display_height_px"]) == (48, 64)
    # the rejects landed too, beside the good rows
    rejects = pq.read_table(wh.landing / "rejects" / "bad.parquet")
    assert rejects.num_rows == len(report.rejects)


def test_a_file_that_is_not_coco_json_fails_clearly_and_lands_nothing(tmp_path, wh) -> None:
    root = tmp_path / "images"
    root.mkdir()
    for text, expected in [("", "empty"), ("[1, 2]", "JSON object"), ('{"images": [ {"id": 1', "not valid JSON")]:
        path = tmp_path / "instances.json"
        path.write_text(text)
        with pytest.raises(CocoFileError, match=expected) as info:
            land_coco(wh, root, path, "broken")
        assert str(path) in str(info.value)
    assert landed_files(wh, "coco_images") == []
    with pytest.raises(CocoFileError, match="not found"):
        land_coco(wh, root, tmp_path / "nope.json", "broken")
