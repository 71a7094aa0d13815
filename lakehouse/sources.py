"""The ``asset_sources`` table: one row per landed source, naming its images root.

Asset rows carry paths relative to their source's images root; this table says where that
root is, stored (``portable_path``) as:

- ``@warehouse/<path>`` when it lies inside the warehouse (the renders and upright copies
  under ``derived/``): relative to the warehouse folder, so a copied or moved warehouse
  reads its own renders;
- a path relative to the project directory when it lies below the project's parent
  (``../shared/datasets/coco128/train2017``), so a clone on another machine with the same
  layout finds the files;
- else the absolute path.

``resolve_root`` turns a stored root back into an absolute path for a given warehouse.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from lakehouse.settings import PROJECT_ROOT, Warehouse

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


WAREHOUSE_PREFIX = "@warehouse/"
"""How a stored path inside the warehouse begins; what follows is relative to its folder."""


def portable_path(path: Path, wh: Warehouse) -> str:
    """``path`` as ``asset_sources`` stores it (see the module doc): relative to ``wh``'s
    folder behind ``WAREHOUSE_PREFIX`` when it lies inside it, else relative to the
    project root when it lies under the project's parent directory, else absolute."""
    absolute = path.resolve()
    inside = wh.root.resolve()
    if absolute == inside or inside in absolute.parents:
        return WAREHOUSE_PREFIX + absolute.relative_to(inside).as_posix()
    if PROJECT_ROOT.parent in absolute.parents:
        return os.path.relpath(absolute, PROJECT_ROOT)
    return str(absolute)


def resolve_root(stored: str, wh: Warehouse) -> Path:
    """The absolute path of a stored ``images_root`` (or of a stored root joined with a
    relative path) in warehouse ``wh``: the inverse of ``portable_path``."""
    if stored.startswith(WAREHOUSE_PREFIX):
        return (wh.root / stored[len(WAREHOUSE_PREFIX):]).resolve()
    path = Path(stored)
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def source_row(wh: Warehouse, source: str, source_kind: str, asset_type: str, images_root: Path,
               annotations_path: Path | None, run_id: str, at: datetime) -> pa.Table:
    """The one-row ``asset_sources`` table of a landing into ``wh``."""
    return pa.Table.from_pylist(
        [{
            "source": source, "source_kind": source_kind, "asset_type": asset_type,
            "images_root": portable_path(images_root, wh),
            "annotations_path": (None if annotations_path is None
                                 else portable_path(annotations_path, wh)),
            "landed_at": at, "ingest_run_id": run_id,
        }],
        schema=ASSET_SOURCES_SCHEMA,
    )
