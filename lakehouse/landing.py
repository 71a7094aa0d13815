"""Writing landed tables: one Parquet file per (table, source), replaced atomically.

Layout: ``<warehouse>/landing/<table>/<source>.parquet``. Landing the same source again
replaces its file, so a re-run never duplicates rows; another source lands beside it.
Every table also holds a zero-row ``_schema.parquet`` so that dbt can read a table no
source has landed yet, with the right column types.

A file is written to a temporary name in the same directory and renamed into place, so
a killed run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.atomic import replacing
from lakehouse.settings import Warehouse

SCHEMA_FILE = "_schema.parquet"
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


class LandingError(ValueError):
    """An input that cannot be landed at all (as opposed to a row that is rejected)."""


def check_source_name(source: str) -> str:
    """Return ``source`` if it is a safe file stem (lowercase, digits, ``_``/``-``), else raise."""
    if not _SOURCE_NAME.match(source):
        raise LandingError(
            f"source name {source!r} is not allowed: use 1-64 characters of a-z, 0-9, '_' "
            "or '-', starting with a letter or digit"
        )
    return source


def new_run_id() -> str:
    """A fresh ingest run id: UTC timestamp plus a random suffix, sortable by time."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (what every ``*_at`` column holds)."""
    return datetime.now(UTC)


def table_dir(wh: Warehouse, table: str) -> Path:
    return wh.landing / table


def write_atomic(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as Parquet at ``path`` through a temporary file and a rename."""
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def land_table(wh: Warehouse, table_name: str, source: str, rows: pa.Table, schema: pa.Schema) -> Path:
    """Replace ``source``'s file of landed table ``table_name`` with ``rows`` cast to ``schema``."""
    check_source_name(source)
    rows = rows.select(schema.names).cast(schema)
    return write_atomic(rows, table_dir(wh, table_name) / f"{source}.parquet")


def ensure_tables(wh: Warehouse, schemas: dict[str, pa.Schema]) -> None:
    """Write (or refresh) the zero-row ``_schema.parquet`` of every table in ``schemas``."""
    for name, schema in schemas.items():
        path = table_dir(wh, name) / SCHEMA_FILE
        if path.exists() and pq.read_schema(path).equals(schema, check_metadata=False):
            continue
        write_atomic(schema.empty_table(), path)


def landed_files(wh: Warehouse, table_name: str) -> list[Path]:
    """The sources' files of a landed table (without the schema file), sorted."""
    folder = table_dir(wh, table_name)
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob("*.parquet") if p.name != SCHEMA_FILE)


def table_of(rows: list[dict], schema: pa.Schema, stamp: dict) -> pa.Table:
    """``rows`` (dicts without the run columns) stamped with ``source``, ``ingested_at``
    and ``ingest_run_id`` from ``stamp``, as a table of ``schema``."""
    return pa.Table.from_pylist([{**row, **stamp} for row in rows], schema=schema)
