"""The synthetic COCO generator: valid COCO, the counts asked for, boxes inside their
images, the same bytes for the same seed."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from bench.make_synthetic_coco import main

COCO_KEYS = ["info", "licenses", "categories", "images", "annotations"]


def _generate(path: Path, *extra: str, images: int = 50, boxes: int = 5, seed: int = 7) -> dict:
    assert (
        main(
            [
                "--images",
                str(images),
                "--boxes-per-image",
                str(boxes),
                "--out",
                str(path),
                "--seed",
                str(seed),
                *extra,
            ]
        )
        == 0
    )
    return json.loads(path.read_text())


def test_small_file_is_valid_coco_with_the_counts_asked_for(tmp_path: Path) -> None:
    doc = _generate(tmp_path / "a.json")
    assert list(doc) == COCO_KEYS
    assert len(doc["images"]) == 50
    assert len(doc["annotations"]) == 250
    assert len(doc["categories"]) == 80
    assert len(doc["licenses"]) == 8
    assert len({c["id"] for c in doc["categories"]}) == 80
    assert {"person", "toothbrush", "traffic light"} <= {c["name"] for c in doc["categories"]}
    image_ids = [im["id"] for im in doc["images"]]
    assert len(set(image_ids)) == 50
    ann_ids = [a["id"] for a in doc["annotations"]]
    assert len(set(ann_ids)) == 250
    license_ids = {lic["id"] for lic in doc["licenses"]}
    for im in doc["images"]:
        assert im["license"] in license_ids
        assert im["file_name"] == f"{im['id']:012d}.jpg"
        assert im["width"] > 0 and im["height"] > 0


def test_boxes_lie_inside_their_images(tmp_path: Path) -> None:
    doc = _generate(tmp_path / "a.json", images=40, boxes=12)
    sizes = {im["id"]: (im["width"], im["height"]) for im in doc["images"]}
    category_ids = {c["id"] for c in doc["categories"]}
    crowd = 0
    for a in doc["annotations"]:
        w_img, h_img = sizes[a["image_id"]]
        x, y, w, h = a["bbox"]
        assert all(math.isfinite(v) for v in a["bbox"])
        assert w >= 1 and h >= 1
        assert x >= 0 and y >= 0
        assert x + w <= w_img + 1e-6 and y + h <= h_img + 1e-6
        assert a["category_id"] in category_ids
        assert a["area"] > 0
        if a["iscrowd"]:
            crowd += 1
            assert set(a["segmentation"]) == {"counts", "size"}
            assert sum(a["segmentation"]["counts"]) == w_img * h_img
        else:
            (polygon,) = a["segmentation"]
            assert len(polygon) % 2 == 0 and len(polygon) >= 6
            xs, ys = polygon[0::2], polygon[1::2]
            assert min(xs) >= x - 1e-6 and max(xs) <= x + w + 1e-6
            assert min(ys) >= y - 1e-6 and max(ys) <= y + h + 1e-6
    assert crowd < len(doc["annotations"]) * 0.1


def test_boxes_per_image_vary_around_the_mean(tmp_path: Path) -> None:
    doc = _generate(tmp_path / "a.json", images=300, boxes=6)
    per_image = Counter(a["image_id"] for a in doc["annotations"])
    counts = [per_image.get(im["id"], 0) for im in doc["images"]]
    assert sum(counts) == 1800
    assert 0 in counts and max(counts) > 12  # some empty images, a few crowded ones
    assert len({(im["width"], im["height"]) for im in doc["images"]}) > 5


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a.json")
    _generate(tmp_path / "b.json")
    _generate(tmp_path / "c.json", seed=8)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json").read_bytes() != (tmp_path / "c.json").read_bytes()


@pytest.mark.parametrize("extra", [["--segmentation-points", "0"], ["--key-order", "coco2017"]])
def test_options(tmp_path: Path, extra: list[str]) -> None:
    doc = _generate(tmp_path / "a.json", *extra)
    if "--key-order" in extra:
        assert list(doc) == ["info", "licenses", "images", "annotations", "categories"]
    else:
        assert all(a["segmentation"] in ([],) or a["iscrowd"] for a in doc["annotations"])


def test_the_landing_reads_it_whole(tmp_path: Path) -> None:
    """Every record of a synthetic file is one the landing accepts."""
    from ingest.coco import read_coco_json

    path = tmp_path / "a.json"
    _generate(path, images=30, boxes=4)
    coco = read_coco_json(path)
    assert coco.rejects == []
    assert (len(coco.images), len(coco.annotations), len(coco.categories), len(coco.licenses)) == (
        30,
        120,
        80,
        8,
    )
