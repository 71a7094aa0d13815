"""The landed tables of model calls: explicit schemas, atomic batch files, resume look-ups.

Layout: ``<warehouse>/landing/<table>/<run_id>-<batch_no:05d>.parquet``, each written
through ``lakehouse.landing.write_atomic`` (temporary file + rename: a killed run leaves whole
batches only), plus the zero-row ``_schema.parquet`` so dbt can read a table before any
run landed in it. Tables:

- ``generations``: one row per request handled by a run (every call, successful or not,
  and requests that could not even be built, as ``input_error``).
- ``judgements``: parsed judge scores, one row per (judge request, threshold).
- ``consistency_scores``: one row per (self-consistency group, number of samples).
- ``translations``: one row per translated sample, with its preservation checks.

A request is done when some ``generations`` row has its ``request_hash`` and
``status = 'ok'``; ``succeeded_hashes`` gives that set, and the runner calls only the
others. Every string is scrubbed of the API key before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds

from generation.redact import Scrubber
from lakehouse.landing import ensure_tables, landed_files, table_dir, write_atomic
from lakehouse.settings import Warehouse
from lakehouse.tables.generation import (
    GENERATIONS,
    SCHEMAS,
)


def ensure_generation_tables(wh: Warehouse) -> None:
    """Write the zero-row ``_schema.parquet`` of every table above (idempotent)."""
    ensure_tables(wh, SCHEMAS)


class BatchWriter:
    """Lands lists of row dicts as ``<run_id>-<batch_no:05d>.parquet`` files of one table."""

    def __init__(self, wh: Warehouse, table: str, run_id: str, scrubber: Scrubber) -> None:
        self.wh = wh
        self.table = table
        self.schema = SCHEMAS[table]
        self.run_id = run_id
        self.scrubber = scrubber
        self.batch_no = 0
        self.files: list[Path] = []
        self.rows_written = 0

    @property
    def next_batch_no(self) -> int:
        """The number the next batch file will carry (1-based)."""
        return self.batch_no + 1

    def write(self, rows: Sequence[dict[str, Any]]) -> Path | None:
        """Scrub, type and land ``rows`` as the next batch file; None when ``rows`` is empty."""
        if not rows:
            return None
        self.batch_no += 1
        clean = [self.scrubber.value(r) for r in rows]
        table = pa.Table.from_pylist(clean, schema=self.schema)
        path = table_dir(self.wh, self.table) / f"{self.run_id}-{self.batch_no:05d}.parquet"
        write_atomic(table, path)
        self.files.append(path)
        self.rows_written += len(rows)
        return path


def read_landed(
    wh: Warehouse,
    table: str,
    columns: Sequence[str] | None = None,
    filter: pc.Expression | None = None,
) -> pa.Table:
    """Every landed batch of ``table`` (with its declared schema), optionally filtered."""
    schema = SCHEMAS[table]
    files = [str(p) for p in landed_files(wh, table)]
    if not files:
        empty = schema.empty_table()
        return empty.select(list(columns)) if columns else empty
    dataset = pds.dataset(files, schema=schema, format="parquet")
    return dataset.to_table(columns=list(columns) if columns else None, filter=filter)


def succeeded_hashes(wh: Warehouse) -> set[str]:
    """The request hashes that already have a ``status = 'ok'`` row in ``generations``."""
    table = read_landed(wh, GENERATIONS, ["request_hash"], pc.field("status") == "ok")
    return set(table.column("request_hash").to_pylist())


def ok_generations(
    wh: Warehouse, hashes: Iterable[str], columns: Sequence[str] = ("request_hash", "response_text")
) -> dict[str, dict[str, Any]]:
    """For each of ``hashes`` with an ok row: that row's ``columns`` (the latest if several)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    cols = list(dict.fromkeys(["request_hash", "completed_at", *columns]))
    table = read_landed(
        wh, GENERATIONS, cols, (pc.field("status") == "ok") & pc.field("request_hash").isin(wanted)
    )
    out: dict[str, dict[str, Any]] = {}
    for row in sorted(table.to_pylist(), key=lambda r: r["completed_at"]):
        out[row["request_hash"]] = {c: row[c] for c in columns}
    return out


def landed_keys(wh: Warehouse, table: str, key_columns: Sequence[str]) -> set[tuple[Any, ...]]:
    """The distinct tuples of ``key_columns`` already landed in ``table``."""
    data = read_landed(wh, table, list(key_columns))
    cols = [data.column(c).to_pylist() for c in key_columns]
    return set(zip(*cols)) if cols else set()
