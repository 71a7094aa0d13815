"""The rejects table: every input that could not land, with a reason code and a message.

Landing never crashes on a bad file or record: it writes a reject row and goes on.
``landing_table`` names the table the input was headed for; ``item`` names the offending
file (relative to its declared root) or record (e.g. ``annotation 1234``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyarrow as pa

REJECTS_TABLE = "rejects"

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("landing_table", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),
        pa.field("reason_code", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)


class Reason(StrEnum):
    """Why an input did not land. The values are what the ``reason_code`` column holds."""

    # files
    ZERO_BYTE = "zero_byte"
    NOT_AN_IMAGE = "not_an_image"
    CORRUPT_IMAGE = "corrupt_image"
    TRUNCATED_IMAGE = "truncated_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    MISSING_FILE = "missing_file"
    PATH_ESCAPES_ROOT = "path_escapes_root"
    DECOMPRESSION_BOMB = "decompression_bomb"
    DUPLICATE_CONTENT = "duplicate_content"
    NOT_A_REGULAR_FILE = "not_a_regular_file"
    SYMLINK_LOOP = "symlink_loop"
    INVALID_FILE_NAME = "invalid_file_name"
    AMBIGUOUS_STEM = "ambiguous_stem"
    # any JSON input, checked before it is parsed (ingest/json_guard.py)
    JSON_TOO_DEEP = "json_too_deep"
    RECORD_TOO_LARGE = "record_too_large"
    INVALID_ENCODING = "invalid_encoding"
    # COCO records
    DUPLICATE_IMAGE_ID = "duplicate_image_id"
    DUPLICATE_ANNOTATION_ID = "duplicate_annotation_id"
    DUPLICATE_CATEGORY_ID = "duplicate_category_id"
    MALFORMED_RECORD = "malformed_record"
    SIZE_MISMATCH = "size_mismatch"
    EXIF_ORIENTATION = "exif_orientation"
    EXIF_FRAME_UNDECIDABLE = "exif_frame_undecidable"
    IMAGE_REJECTED = "image_rejected"
    UNKNOWN_IMAGE = "unknown_image"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_LICENSE = "unknown_license"
    NON_FINITE_BBOX = "non_finite_bbox"
    NEGATIVE_BBOX = "negative_bbox"
    ZERO_SIZE_BBOX = "zero_size_bbox"
    BBOX_OUT_OF_BOUNDS = "bbox_out_of_bounds"
    # document, receipt and chart inputs
    INVALID_JSON = "invalid_json"
    INVALID_CSV = "invalid_csv"
    MISSING_ANNOTATION = "missing_annotation"
    MISSING_TABLE = "missing_table"
    MALFORMED_QUAD = "malformed_quad"
    MISSING_FIELD = "missing_field"
    DUPLICATE_ENTITY_ID = "duplicate_entity_id"
    UNKNOWN_ENTITY = "unknown_entity"
    ENTITY_REJECTED = "entity_rejected"
    UNKNOWN_CHART = "unknown_chart"
    CHART_REJECTED = "chart_rejected"
    # OCR
    CONTENT_CHANGED = "content_changed"
    OCR_FAILED = "ocr_failed"


@dataclass(frozen=True)
class Reject:
    """One input that did not land."""

    landing_table: str
    item: str
    reason: Reason
    message: str


def _utf8(text: str) -> str:
    """``text`` as valid UTF-8: lone surrogates (a file name that was not UTF-8) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def rejects_table(rejects: list[Reject], source: str, run_id: str, at: datetime) -> pa.Table:
    """Turn ``rejects`` into rows of the rejects table for one source and run."""
    return pa.Table.from_pylist(
        [
            {
                "source": source,
                "landing_table": r.landing_table,
                "item": _utf8(r.item),
                "reason_code": str(r.reason),
                "message": _utf8(r.message),
                "rejected_at": at,
                "ingest_run_id": run_id,
            }
            for r in rejects
        ],
        schema=REJECTS_SCHEMA,
    )
