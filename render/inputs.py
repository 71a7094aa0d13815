"""The general images derived assets are made from: asset, size, license, annotations.

In: either the landed Parquet files of one COCO source (``load_general_images``: its
``assets``, ``coco_images``, ``coco_annotations`` and ``coco_categories`` files, read with
polars) or the same rows as plain Python dicts (``general_images_from_rows``, for tests).
Out: ``GeneralImage`` values sorted by COCO image id, each with its ``ObjectBox`` list
sorted by annotation id and joined to category names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.exif_upright import upright_source
from ingest.image_files import License
from lakehouse.landing import LandingError, table_dir
from lakehouse.settings import Warehouse


@dataclass(frozen=True)
class ObjectBox:
    """One COCO annotation of a general image, with its category's names."""

    annotation_id: int
    category_id: int
    category_name: str
    supercategory: str | None
    x: float
    y: float
    w: float
    h: float
    is_crowd: bool


@dataclass(frozen=True)
class GeneralImage:
    """A landed general image and what its annotations say."""

    asset_id: str
    source: str
    coco_image_id: int
    file_name: str
    width_px: int
    height_px: int
    license: License
    objects: tuple[ObjectBox, ...]

    @property
    def countable(self) -> tuple[ObjectBox, ...]:
        """The objects that count as one instance each (crowd regions excluded)."""
        return tuple(o for o in self.objects if not o.is_crowd)

    @property
    def is_usable(self) -> bool:
        """True when the image has at least one countable object to write about."""
        return bool(self.countable)

    def category_counts(self) -> list[tuple[str, int]]:
        """(category name, count) of the countable objects, most frequent first, then by name."""
        counts = Counter(o.category_name for o in self.countable)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def general_images_from_rows(
    assets: list[dict], coco_images: list[dict], annotations: list[dict], categories: list[dict]
) -> list[GeneralImage]:
    """Join rows shaped like the landed tables into ``GeneralImage`` values.

    ``assets``: asset_id, source, license_id, license_name, license_url (of the COCO
    source); ``coco_images``: coco_image_id, file_name, asset_id, width_px, height_px;
    ``annotations``: annotation_id, coco_image_id, category_id, bbox_x/y/w/h, is_crowd;
    ``categories``: category_id, category_name, supercategory. Images whose asset is not
    in ``assets`` are left out; annotations of unknown categories are left out.
    """
    by_asset = {a["asset_id"]: a for a in assets}
    cats = {c["category_id"]: c for c in categories}
    objects: dict[int, list[ObjectBox]] = {}
    for a in annotations:
        cat = cats.get(a["category_id"])
        if cat is None:
            continue
        objects.setdefault(a["coco_image_id"], []).append(
            ObjectBox(
                annotation_id=int(a["annotation_id"]),
                category_id=int(a["category_id"]),
                category_name=cat["category_name"],
                supercategory=cat.get("supercategory"),
                x=float(a["bbox_x"]),
                y=float(a["bbox_y"]),
                w=float(a["bbox_w"]),
                h=float(a["bbox_h"]),
                is_crowd=bool(a["is_crowd"]),
            )
        )
    images = []
    for im in coco_images:
        asset = by_asset.get(im["asset_id"])
        if asset is None:
            continue
        images.append(
            GeneralImage(
                asset_id=im["asset_id"],
                source=asset["source"],
                coco_image_id=int(im["coco_image_id"]),
                file_name=im["file_name"],
                width_px=int(im["width_px"]),
                height_px=int(im["height_px"]),
                license=License(
                    asset.get("license_id"), asset.get("license_name"), asset.get("license_url")
                ),
                objects=tuple(
                    sorted(objects.get(im["coco_image_id"], []), key=lambda o: o.annotation_id)
                ),
            )
        )
    return sorted(images, key=lambda g: g.coco_image_id)


def _read(wh: Warehouse, table: str, source: str, columns: list[str]) -> list[dict]:
    path: Path = table_dir(wh, table) / f"{source}.parquet"
    if not path.is_file():
        raise LandingError(
            f"{path}: the COCO source {source!r} has not been landed "
            f"(run `mmfactory land coco` first)"
        )
    return pl.read_parquet(path, columns=columns).to_dicts()


def load_general_images(wh: Warehouse, coco_source: str = "coco128") -> list[GeneralImage]:
    """The general images of a landed COCO source (raises ``LandingError`` if not landed);
    an image with an EXIF orientation is its upright copy (``<source>-upright``, landed
    with the source by ``ingest.coco``), which its image record points at."""
    columns = ["asset_id", "source", "asset_type", "license_id", "license_name", "license_url"]
    upright = upright_source(coco_source)
    landed = _read(wh, "assets", coco_source, columns)
    if (table_dir(wh, "assets") / f"{upright}.parquet").is_file():
        landed += _read(wh, "assets", upright, columns)
    assets = [a for a in landed if a["asset_type"] == "general_image"]
    return general_images_from_rows(
        assets,
        _read(
            wh,
            "coco_images",
            coco_source,
            ["coco_image_id", "file_name", "asset_id", "width_px", "height_px"],
        ),
        _read(
            wh,
            "coco_annotations",
            coco_source,
            [
                "annotation_id",
                "coco_image_id",
                "category_id",
                "bbox_x",
                "bbox_y",
                "bbox_w",
                "bbox_h",
                "is_crowd",
            ],
        ),
        _read(
            wh, "coco_categories", coco_source, ["category_id", "category_name", "supercategory"]
        ),
    )
