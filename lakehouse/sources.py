"""The ``asset_sources`` table: one row per landed source, naming its images root.

Asset rows carry paths relative to their source's images root; this table says where that
root is. The root is stored relative to the project directory when it lies below the
project's parent (``../shared/datasets/coco128/train2017``), so a clone on another machine
with the same layout finds the files; otherwise it is stored as given.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from lakehouse.settings import PROJECT_ROOT

ASSET_SOURCES_TABLE = "asset_sources"

ASSET_SOURCES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_kind", pa.string(), nullable=False),
        pa.field("asset_type", pa.string(), nullable=False),
        pa.field("images_root", pa.string(), nullable=False),
        pa.field("annotations_path", pa.string()),
        pa.field("landed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)


def portable_path(path: Path) -> str:
    """``path`` relative to the project root when it lies under the project's parent
    directory, else the absolute path."""
    absolute = path.resolve()
    if PROJECT_ROOT.parent in absolute.parents:
        return os.path.relpath(absolute, PROJECT_ROOT)
    return str(absolute)


def resolve_root(stored: str) -> Path:
    """The absolute path of a stored ``images_root`` (the inverse of ``portable_path``)."""
    path = Path(stored)
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def source_row(source: str, source_kind: str, asset_type: str, images_root: Path,
               annotations_path: Path | None, run_id: str, at: datetime) -> pa.Table:
    """The one-row ``asset_sources`` table of a landing."""
    return pa.Table.from_pylist(
        [{
            "source": source, "source_kind": source_kind, "asset_type": asset_type,
            "images_root": portable_path(images_root),
            "annotations_path": None if annotations_path is None else portable_path(annotations_path),
            "landed_at": at, "ingest_run_id": run_id,
        }],
        schema=ASSET_SOURCES_SCHEMA,
    )
