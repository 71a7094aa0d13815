"""The ``assets`` table: one row per image file, keyed by the sha256 of its bytes."""

from __future__ import annotations

import pyarrow as pa

ASSETS_TABLE = "assets"

ASSETS_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("relative_path", pa.string(), nullable=False),
        pa.field("asset_type", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("width_px", pa.int32(), nullable=False),
        pa.field("height_px", pa.int32(), nullable=False),
        pa.field("display_width_px", pa.int32(), nullable=False),
        pa.field("display_height_px", pa.int32(), nullable=False),
        pa.field("exif_orientation", pa.int16()),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("license_id", pa.string()),
        pa.field("license_name", pa.string()),
        pa.field("license_url", pa.string()),
        pa.field("attribution_url", pa.string()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)
