"""Synthetic COCO-format ``instances.json`` files at any scale, for the benchmarks.

No image files are written: only the annotation file, streamed chunk by chunk (the
document is never held in memory), with the shape of a real COCO file:

- top-level keys in COCO order: ``info, licenses, categories, images, annotations``
  (``--key-order coco2017`` writes the order of the official 2017 release instead, with
  ``categories`` last, after the big ``annotations`` array);
- COCO's 8 licenses and its 80 categories (names, ids and supercategories read from
  COCO128's ``instances_train2017.json``; a built-in copy is used when that is absent);
- image sizes drawn from COCO's own mix (640x480, 640x427, 480x640, 500x375, ...) plus a
  few free-form sizes; sparse-looking ids, COCO-style ``file_name``/urls/dates;
- boxes per image: a gamma-mixed Poisson around ``--boxes-per-image`` (some images with
  none, a few with many), the total being exactly ``images * boxes-per-image``;
- box areas log-normal (COCO128: mean log-area 7.4, sd 2.2), aspect ratios log-normal,
  every box inside its image with positive width and height, ~1% ``iscrowd`` (with an
  uncompressed RLE ``segmentation`` as COCO gives crowds);
- a polygon of about ``--segmentation-points`` points per annotation (COCO files are
  big because of these: with the default 20 points a box costs ~0.5 KB, as in COCO).

Same arguments and seed -> the same bytes. Numbers are formatted by Arrow (shortest
round-trip decimals), whole rows are assembled with Arrow string kernels: ~1M boxes in
a few seconds.

Usage::

    .venv/bin/python bench/make_synthetic_coco.py --images 66667 --boxes-per-image 15 \\
        --out /tmp/coco_1m.json --seed 0
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import ijson
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COCO128_ANNOTATIONS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "datasets"
    / "coco128"
    / "annotations"
    / "instances_train2017.json"
)

# COCO 2017's licenses (as in every instances_*.json).
LICENSES = [
    {
        "url": "http://creativecommons.org/licenses/by-nc-sa/2.0/",
        "id": 1,
        "name": "Attribution-NonCommercial-ShareAlike License",
    },
    {
        "url": "http://creativecommons.org/licenses/by-nc/2.0/",
        "id": 2,
        "name": "Attribution-NonCommercial License",
    },
    {
        "url": "http://creativecommons.org/licenses/by-nc-nd/2.0/",
        "id": 3,
        "name": "Attribution-NonCommercial-NoDerivs License",
    },
    {"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution License"},
    {
        "url": "http://creativecommons.org/licenses/by-sa/2.0/",
        "id": 5,
        "name": "Attribution-ShareAlike License",
    },
    {
        "url": "http://creativecommons.org/licenses/by-nd/2.0/",
        "id": 6,
        "name": "Attribution-NoDerivs License",
    },
    {"url": "http://flickr.com/commons/usage/", "id": 7, "name": "No known copyright restrictions"},
    {"url": "http://www.usa.gov/copyright.shtml", "id": 8, "name": "United States Government Work"},
]
# How often each license occurs on COCO128's images (ids 1..8).
LICENSE_WEIGHTS = [35, 20, 34, 19, 12, 6, 2, 0.5]

# (width, height) of COCO images and roughly how often each occurs (COCO128 / train2017).
IMAGE_SIZES = [
    ((640, 480), 30),
    ((640, 427), 14),
    ((480, 640), 8),
    ((427, 640), 6),
    ((640, 426), 5),
    ((640, 428), 4),
    ((640, 425), 3),
    ((500, 375), 3),
    ((640, 360), 3),
    ((375, 500), 2),
    ((612, 612), 2),
    ((640, 512), 2),
    ((640, 640), 2),
    ((333, 500), 1),
    ((500, 333), 1),
    ((640, 424), 2),
    ((424, 640), 1),
    ((640, 429), 1),
]
FREE_FORM_SHARE = 0.1  # images whose height (or width) is anything in 200..640

# COCO's 80 thing categories, used when COCO128 is not beside the project.
_CATEGORY_FALLBACK = (
    "person:person vehicle:bicycle vehicle:car vehicle:motorcycle vehicle:airplane vehicle:bus "
    "vehicle:train vehicle:truck vehicle:boat outdoor:traffic light outdoor:fire hydrant "
    "outdoor:stop sign outdoor:parking meter outdoor:bench animal:bird animal:cat animal:dog "
    "animal:horse animal:sheep animal:cow animal:elephant animal:bear animal:zebra animal:giraffe "
    "accessory:backpack accessory:umbrella accessory:handbag accessory:tie accessory:suitcase "
    "sports:frisbee sports:skis sports:snowboard sports:sports ball sports:kite sports:baseball bat "
    "sports:baseball glove sports:skateboard sports:surfboard sports:tennis racket kitchen:bottle "
    "kitchen:wine glass kitchen:cup kitchen:fork kitchen:knife kitchen:spoon kitchen:bowl food:banana "
    "food:apple food:sandwich food:orange food:broccoli food:carrot food:hot dog food:pizza food:donut "
    "food:cake furniture:chair furniture:couch furniture:potted plant furniture:bed "
    "furniture:dining table furniture:toilet electronic:tv electronic:laptop electronic:mouse "
    "electronic:remote electronic:keyboard electronic:cell phone appliance:microwave appliance:oven "
    "appliance:toaster appliance:sink appliance:refrigerator indoor:book indoor:clock indoor:vase "
    "indoor:scissors indoor:teddy bear indoor:hair drier indoor:toothbrush"
)
_CATEGORY_FALLBACK_IDS = [
    i for i in range(1, 91) if i not in {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
]

# Box areas (px^2) are log-normal; COCO128's annotation areas: mean log 7.4, sd 2.2.
LOG_AREA_MEAN, LOG_AREA_SD = 7.6, 2.0
LOG_ASPECT_MEAN, LOG_ASPECT_SD = -0.1, 0.75  # log(w / h)
CROWD_SHARE = 0.01
PERSON_SHARE = 0.27  # COCO: about a quarter of all boxes are people
BOX_COUNT_SHAPE = 2.0  # gamma shape of the per-image rate: variance k + k^2 / shape

CHUNK_IMAGES = 50_000
CHUNK_ANNOTATIONS = 50_000
DATE_START = np.datetime64("2013-01-01T00:00:00", "s").astype(np.int64)
DATE_SPAN_S = 2 * 365 * 86400


def coco_categories(path: Path = COCO128_ANNOTATIONS) -> list[dict]:
    """COCO's 80 categories as ``{"supercategory", "id", "name"}``, in id order."""
    if path.is_file():
        with open(path, "rb") as f:
            cats = [dict(c) for c in ijson.items(f, "categories.item")]
        if len(cats) == 80:
            return [
                {"supercategory": c["supercategory"], "id": int(c["id"]), "name": c["name"]}
                for c in cats
            ]
    pairs = [p.split(":", 1) for p in _CATEGORY_FALLBACK.split(" ") if p]
    # names with spaces were split: rejoin "traffic" + "light" etc.
    merged: list[list[str]] = []
    for p in pairs:
        if len(p) == 1:
            merged[-1][1] += " " + p[0]
        else:
            merged.append(p)
    return [
        {"supercategory": s, "id": i, "name": n}
        for (s, n), i in zip(merged, _CATEGORY_FALLBACK_IDS, strict=True)
    ]


def _str(values: np.ndarray | pa.Array) -> pa.Array:
    """Numbers as their shortest round-trip decimal text (Arrow's float/int -> string)."""
    return pc.cast(values if isinstance(values, pa.Array) else pa.array(values), pa.string())


def _hundredths(values: np.ndarray) -> np.ndarray:
    """Integer hundredths -> the double nearest to them (prints with <= 2 decimals)."""
    return values.astype(np.float64) / 100.0


def _join(parts: list) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _join_rows(rows: pa.Array) -> str:
    """One chunk of JSON array elements, comma-separated, as a str."""
    whole = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows)
    return pc.binary_join(whole, ", ")[0].as_py()


class Plan:
    """Everything decided up front (small arrays, one entry per image)."""

    def __init__(self, images: int, boxes_per_image: float, seed: int) -> None:
        root = np.random.SeedSequence(seed)
        self.rng_images, self.rng_counts, self.rng_boxes, self.rng_cats = (
            np.random.default_rng(s) for s in root.spawn(4)
        )
        rng = self.rng_images
        self.n_images = images
        # sparse ids, increasing, as COCO's are
        self.image_ids = np.cumsum(rng.integers(1, 9, size=images, dtype=np.int64))
        sizes = np.array([s for s, _ in IMAGE_SIZES], dtype=np.int64)
        weights = np.array([w for _, w in IMAGE_SIZES], dtype=np.float64)
        pick = rng.choice(len(sizes), size=images, p=weights / weights.sum())
        self.width, self.height = sizes[pick, 0].copy(), sizes[pick, 1].copy()
        free = rng.random(images) < FREE_FORM_SHARE
        portrait = rng.random(images) < 0.3
        other = rng.integers(200, 641, size=images)
        self.width[free] = np.where(portrait[free], other[free], 640)
        self.height[free] = np.where(portrait[free], 640, other[free])

        self.total_boxes = round(images * boxes_per_image)
        if images and self.total_boxes:
            rate = self.rng_counts.gamma(BOX_COUNT_SHAPE, 1.0, size=images)
            counts = self.rng_counts.multinomial(self.total_boxes, rate / rate.sum())
        else:
            counts = np.zeros(images, dtype=np.int64)
        self.counts = counts.astype(np.int64)
        self.cum = np.cumsum(self.counts)

        cats = coco_categories()
        self.categories = cats
        self.cat_ids = np.array([c["id"] for c in cats], dtype=np.int64)
        w = self.rng_cats.dirichlet(np.full(len(cats) - 1, 0.8))
        self.cat_p = np.concatenate([[PERSON_SHARE], (1 - PERSON_SHARE) * w])
        self.cat_p /= self.cat_p.sum()


def image_chunks(plan: Plan, chunk: int = CHUNK_IMAGES) -> Iterator[str]:
    rng = plan.rng_images
    lic_p = np.array(LICENSE_WEIGHTS) / sum(LICENSE_WEIGHTS)
    for start in range(0, plan.n_images, chunk):
        stop = min(start + chunk, plan.n_images)
        n = stop - start
        ids = _str(plan.image_ids[start:stop])
        name = pc.binary_join_element_wise(pc.utf8_lpad(ids, 12, "0"), ".jpg", "")
        lic = _str(rng.choice(np.arange(1, 9), size=n, p=lic_p))
        taken = (DATE_START + rng.integers(0, DATE_SPAN_S, size=n)).astype("datetime64[s]")
        date = pc.strftime(pa.array(taken), format="%Y-%m-%d %H:%M:%S")
        farm = _str(rng.integers(1, 10, size=n))
        server = _str(rng.integers(1000, 9000, size=n))
        photo = _str(rng.integers(10**9, 10**10, size=n))
        secret = pa.array([f"{v:010x}" for v in rng.integers(0, 2**40, size=n).tolist()])
        rows = _join(
            [
                '{"license": ',
                lic,
                ', "file_name": "',
                name,
                '", "coco_url": "http://images.cocodataset.org/train2017/',
                name,
                '", "height": ',
                _str(plan.height[start:stop]),
                ', "width": ',
                _str(plan.width[start:stop]),
                ', "date_captured": "',
                date,
                '", "flickr_url": "http://farm',
                farm,
                ".staticflickr.com/",
                server,
                "/",
                photo,
                "_",
                secret,
                '_z.jpg", "id": ',
                ids,
                "}",
            ]
        )
        yield _join_rows(rows)


def _boxes(rng: np.random.Generator, W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, ...]:
    """Boxes in integer hundredths of a pixel, inside their W x H images, w and h >= 1 px."""
    n = len(W)
    area = np.exp(rng.normal(LOG_AREA_MEAN, LOG_AREA_SD, size=n))
    aspect = np.exp(rng.normal(LOG_ASPECT_MEAN, LOG_ASPECT_SD, size=n))
    w = np.sqrt(area * aspect)
    h = np.sqrt(area / aspect)
    w_h = np.clip(np.floor(w * 100), 100, W * 100).astype(np.int64)
    h_h = np.clip(np.floor(h * 100), 100, H * 100).astype(np.int64)
    x_h = np.floor(rng.random(n) * (W * 100 - w_h + 1)).astype(np.int64)
    y_h = np.floor(rng.random(n) * (H * 100 - h_h + 1)).astype(np.int64)
    return x_h, y_h, w_h, h_h


def _polygons(
    rng: np.random.Generator,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    h: np.ndarray,
    points: int,
) -> tuple[pa.Array, np.ndarray]:
    """One polygon per box (a jittered ellipse inside it, ~``points`` vertices) as the
    text ``[[x1, y1, x2, y2, ...]]``, and each polygon's area (px^2)."""
    n = len(x)
    k = np.maximum(rng.poisson(points, size=n), 3)
    offsets = np.concatenate([[0], np.cumsum(k)])
    row = np.repeat(np.arange(n), k)
    idx = np.arange(offsets[-1]) - offsets[row]
    angle = 2 * np.pi * (idx + rng.random(len(row)) * 0.5) / k[row]
    radius = 0.5 * (0.75 + 0.25 * rng.random(len(row)))
    cx, cy = x + w / 2, y + h / 2
    px = np.clip(
        np.round((cx[row] + radius * np.cos(angle) * w[row]) * 100),
        x[row] * 100,
        (x + w)[row] * 100,
    )
    py = np.clip(
        np.round((cy[row] + radius * np.sin(angle) * h[row]) * 100),
        y[row] * 100,
        (y + h)[row] * 100,
    )
    coords = np.empty(2 * len(row), dtype=np.float64)
    coords[0::2] = _hundredths(px)
    coords[1::2] = _hundredths(py)
    text = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(2 * offsets, pa.int32()), _str(coords)), ", "
    )
    seg = pc.binary_join_element_wise("[[", text, "]]", "")
    # the shoelace area of each polygon
    nxt = np.arange(len(row)) + 1
    nxt[offsets[1:] - 1] = offsets[:-1]
    xs, ys = coords[0::2], coords[1::2]
    cross = xs * ys[nxt] - xs[nxt] * ys
    area = np.abs(np.add.reduceat(cross, offsets[:-1])) / 2 if len(row) else np.zeros(0)
    return seg, area


def _rle(rng: np.random.Generator, w: int, h: int, runs: int) -> str:
    """An uncompressed COCO RLE (``{"counts": [...], "size": [h, w]}``) of ``runs`` runs."""
    cuts = np.sort(rng.integers(0, w * h, size=max(runs - 1, 1)))
    counts = np.diff(np.concatenate([[0], cuts, [w * h]]))
    return json.dumps({"counts": counts.tolist(), "size": [int(h), int(w)]})


def annotation_chunks(plan: Plan, points: int, chunk: int = CHUNK_ANNOTATIONS) -> Iterator[str]:
    rng = plan.rng_boxes
    for start in range(0, plan.total_boxes, chunk):
        stop = min(start + chunk, plan.total_boxes)
        n = stop - start
        image = np.searchsorted(plan.cum, np.arange(start, stop), side="right")
        W, H = plan.width[image], plan.height[image]
        x_h, y_h, w_h, h_h = _boxes(rng, W, H)
        x, y, w, h = (_hundredths(v) for v in (x_h, y_h, w_h, h_h))
        crowd = rng.random(n) < CROWD_SHARE
        cats = rng.choice(plan.cat_ids, size=n, p=plan.cat_p)
        if points > 0:
            seg, area = _polygons(rng, x, y, w, h, points)
            area = np.where(area > 0, area, w * h * 0.5)
        else:
            seg, area = pa.array(["[]"] * n), w * h * rng.uniform(0.4, 0.9, size=n)
        crowd_rows = np.flatnonzero(crowd)
        if len(crowd_rows):
            crowd_text = [_rle(rng, int(W[i]), int(H[i]), 2 * max(points, 2)) for i in crowd_rows]
            seg = pc.replace_with_mask(seg, pa.array(crowd), pa.array(crowd_text, pa.string()))
            area[crowd] = np.round(w[crowd] * h[crowd] * 0.6)
        rows = _join(
            [
                '{"segmentation": ',
                seg,
                ', "area": ',
                _str(area),
                ', "iscrowd": ',
                _str(crowd.astype(np.int64)),
                ', "image_id": ',
                _str(plan.image_ids[image]),
                ', "bbox": [',
                _str(x),
                ", ",
                _str(y),
                ", ",
                _str(w),
                ", ",
                _str(h),
                '], "category_id": ',
                _str(cats),
                ', "id": ',
                _str(np.arange(start + 1, stop + 1, dtype=np.int64)),
                "}",
            ]
        )
        yield _join_rows(rows)


def write_coco(
    out: TextIO,
    images: int,
    boxes_per_image: float,
    seed: int,
    segmentation_points: int = 20,
    key_order: str = "coco128",
) -> dict[str, int]:
    """Write the whole document to ``out``; return the counts written."""
    plan = Plan(images, boxes_per_image, seed)
    info = {
        "description": "Synthetic COCO-format annotations (mmfactory bench/make_synthetic_coco.py)",
        "url": "http://cocodataset.org",
        "version": "1.0",
        "year": 2017,
        "contributor": f"synthetic: images={images} boxes_per_image={boxes_per_image:g} seed={seed} "
        f"segmentation_points={segmentation_points}",
        "date_created": "2017/09/01",
    }

    def array(key: str, chunks: Iterator[str]) -> None:
        out.write(f', "{key}": [')
        first = True
        for text in chunks:
            if not text:
                continue
            out.write(text if first else ", " + text)
            first = False
        out.write("]")

    def small(records: list[dict]) -> Iterator[str]:
        yield ", ".join(json.dumps(r) for r in records)

    out.write('{"info": ' + json.dumps(info))
    array("licenses", small(LICENSES))
    sections = {
        "categories": lambda: small(plan.categories),
        "images": lambda: image_chunks(plan),
        "annotations": lambda: annotation_chunks(plan, segmentation_points),
    }
    order = (
        ["categories", "images", "annotations"]
        if key_order == "coco128"
        else ["images", "annotations", "categories"]
    )
    for key in order:
        array(key, sections[key]())
    out.write("}")
    return {
        "images": images,
        "annotations": plan.total_boxes,
        "categories": len(plan.categories),
        "licenses": len(LICENSES),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, required=True, help="number of images")
    parser.add_argument(
        "--boxes-per-image",
        type=float,
        default=15.0,
        help="mean boxes per image; the file holds exactly images x this (default 15)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--segmentation-points",
        type=int,
        default=20,
        help="mean vertices per polygon; 0 writes empty segmentations (default 20)",
    )
    parser.add_argument(
        "--key-order",
        choices=["coco128", "coco2017"],
        default="coco128",
        help="coco128: info, licenses, categories, images, annotations (default); "
        "coco2017: categories last, as in the official release",
    )
    args = parser.parse_args(argv)
    if args.images < 0 or args.boxes_per_image < 0 or args.segmentation_points < 0:
        parser.error("counts must not be negative")
    start = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        counts = write_coco(
            f,
            args.images,
            args.boxes_per_image,
            args.seed,
            args.segmentation_points,
            args.key_order,
        )
    tmp.replace(args.out)
    size = args.out.stat().st_size
    print(
        f"{args.out}: {counts['images']:,} images, {counts['annotations']:,} annotations, "
        f"{size / 1e6:,.1f} MB in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
