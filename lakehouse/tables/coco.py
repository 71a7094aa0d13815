"""The COCO tables: images, annotations (boxes ``[x, y, w, h]`` as given), categories, licenses."""

from __future__ import annotations

import pyarrow as pa

IMAGES_TABLE = "coco_images"

ANNOTATIONS_TABLE = "coco_annotations"

CATEGORIES_TABLE = "coco_categories"

LICENSES_TABLE = "coco_licenses"

_RUN_FIELDS = [
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("ingest_run_id", pa.string(), nullable=False),
]

COCO_IMAGES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("coco_image_id", pa.int64(), nullable=False),
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("width_px", pa.int32(), nullable=False),
        pa.field("height_px", pa.int32(), nullable=False),
        pa.field("license_id", pa.string()),
        pa.field("coco_url", pa.string()),
        pa.field("flickr_url", pa.string()),
        pa.field("date_captured", pa.string()),
        pa.field("has_exif_orientation", pa.bool_(), nullable=False),
        *_RUN_FIELDS,
    ]
)

COCO_ANNOTATIONS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("annotation_id", pa.int64(), nullable=False),
        pa.field("coco_image_id", pa.int64(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("bbox_x", pa.float64(), nullable=False),
        pa.field("bbox_y", pa.float64(), nullable=False),
        pa.field("bbox_w", pa.float64(), nullable=False),
        pa.field("bbox_h", pa.float64(), nullable=False),
        pa.field("area", pa.float64()),
        pa.field("is_crowd", pa.bool_(), nullable=False),
        pa.field("has_segmentation", pa.bool_(), nullable=False),
        *_RUN_FIELDS,
    ]
)

COCO_CATEGORIES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("category_name", pa.string(), nullable=False),
        pa.field("supercategory", pa.string()),
        *_RUN_FIELDS,
    ]
)

COCO_LICENSES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("license_id", pa.string(), nullable=False),
        pa.field("license_name", pa.string()),
        pa.field("license_url", pa.string()),
        *_RUN_FIELDS,
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    IMAGES_TABLE: COCO_IMAGES_SCHEMA,
    ANNOTATIONS_TABLE: COCO_ANNOTATIONS_SCHEMA,
    CATEGORIES_TABLE: COCO_CATEGORIES_SCHEMA,
    LICENSES_TABLE: COCO_LICENSES_SCHEMA,
}
