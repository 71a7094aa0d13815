"""The landed tables of model calls: explicit schemas, atomic batch files, resume look-ups.

Layout: ``<warehouse>/landing/<table>/<run_id>-<batch_no:05d>.parquet``, each written
through ``ingest.landing.write_atomic`` (temporary file + rename: a killed run leaves whole
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
from ingest.landing import ensure_tables, landed_files, table_dir, write_atomic
from mmfactory.settings import Warehouse

GENERATIONS = "generations"
JUDGEMENTS = "judgements"
CONSISTENCY_SCORES = "consistency_scores"
TRANSLATIONS = "translations"

_TS = pa.timestamp("us", tz="UTC")

IMAGE_RECORD_TYPE = pa.struct(
    [
        pa.field("asset_id", pa.string()),
        pa.field("original_width_px", pa.int32()),
        pa.field("original_height_px", pa.int32()),
        pa.field("original_bytes", pa.int64()),
        pa.field("sent_width_px", pa.int32()),
        pa.field("sent_height_px", pa.int32()),
        pa.field("sent_bytes", pa.int64()),
        pa.field("sent_mime_type", pa.string()),
        pa.field("is_downscaled", pa.bool_()),
        pa.field("is_reencoded", pa.bool_()),
    ]
)

GENERATIONS_SCHEMA = pa.schema(
    [
        pa.field("request_hash", pa.string(), nullable=False),
        pa.field("group_hash", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("batch_no", pa.int32(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("sample_id", pa.string()),
        pa.field("sample_index", pa.int32(), nullable=False),
        pa.field("asset_ids", pa.list_(pa.string()), nullable=False),
        pa.field("images", pa.list_(IMAGE_RECORD_TYPE)),
        pa.field("base_url", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("temperature", pa.float64(), nullable=False),
        pa.field("top_p", pa.float64(), nullable=False),
        pa.field("max_tokens", pa.int32(), nullable=False),
        pa.field("seed", pa.int64()),
        pa.field("template_id", pa.string(), nullable=False),
        pa.field("template_hash", pa.string(), nullable=False),
        pa.field("inputs_hash", pa.string(), nullable=False),
        pa.field("system_prompt", pa.string()),
        pa.field("prompt", pa.string()),
        pa.field("response_text", pa.string()),
        pa.field("finish_reason", pa.string()),
        pa.field("response_id", pa.string()),
        pa.field("response_model", pa.string()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("cost_usd", pa.float64()),
        pa.field("latency_ms", pa.float64()),
        pa.field("total_ms", pa.float64()),
        pa.field("attempts", pa.int32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("http_status", pa.int32()),
        pa.field("error", pa.string()),
        pa.field("requested_at", _TS, nullable=False),
        pa.field("completed_at", _TS, nullable=False),
    ]
)

JUDGEMENTS_SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("request_hash", pa.string(), nullable=False),
        pa.field("judge_model", pa.string(), nullable=False),
        pa.field("judge_prompt_id", pa.string(), nullable=False),
        pa.field("judge_prompt_hash", pa.string(), nullable=False),
        pa.field("is_text_only", pa.bool_(), nullable=False),
        pa.field("image_text_consistency", pa.int8(), nullable=False),
        pa.field("task_following", pa.int8(), nullable=False),
        pa.field("detail_completeness", pa.int8(), nullable=False),
        pa.field("reasoning_reliability", pa.int8(), nullable=False),
        pa.field("safety_compliance", pa.int8(), nullable=False),
        pa.field("language_quality", pa.int8(), nullable=False),
        pa.field("mean_score", pa.float64(), nullable=False),
        pa.field("min_score", pa.int8(), nullable=False),
        pa.field("threshold", pa.float64(), nullable=False),
        pa.field("is_passed", pa.bool_(), nullable=False),
        pa.field("rationale", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("judged_at", _TS, nullable=False),
    ]
)

CONSISTENCY_SCORES_SCHEMA = pa.schema(
    [
        pa.field("group_hash", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("asset_ids", pa.list_(pa.string()), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("template_hash", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("answer_kind", pa.string(), nullable=False),
        pa.field("n_samples", pa.int32(), nullable=False),
        pa.field("n_parsed", pa.int32(), nullable=False),
        pa.field("agreement_score", pa.float64(), nullable=False),
        pa.field("majority_answer", pa.string()),
        pa.field("answers", pa.list_(pa.string()), nullable=False),
        pa.field("sample_request_hashes", pa.list_(pa.string()), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("scored_at", _TS, nullable=False),
    ]
)

TURN_TYPE = pa.struct([pa.field("from", pa.string()), pa.field("value", pa.string())])

TRANSLATIONS_SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("translation_hash", pa.string(), nullable=False),
        pa.field("source_language", pa.string(), nullable=False),
        pa.field("target_language", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("translate_prompt_hash", pa.string(), nullable=False),
        pa.field("conversations", pa.list_(TURN_TYPE), nullable=False),
        pa.field("turn_request_hashes", pa.list_(pa.string()), nullable=False),
        pa.field("has_numbers_preserved", pa.bool_(), nullable=False),
        pa.field("has_boxes_preserved", pa.bool_(), nullable=False),
        pa.field("has_placeholders_preserved", pa.bool_(), nullable=False),
        pa.field("has_names_preserved", pa.bool_(), nullable=False),
        pa.field("is_passed", pa.bool_(), nullable=False),
        pa.field("missing_numbers", pa.list_(pa.string()), nullable=False),
        pa.field("missing_boxes", pa.list_(pa.string()), nullable=False),
        pa.field("missing_names", pa.list_(pa.string()), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("translated_at", _TS, nullable=False),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    GENERATIONS: GENERATIONS_SCHEMA,
    JUDGEMENTS: JUDGEMENTS_SCHEMA,
    CONSISTENCY_SCORES: CONSISTENCY_SCORES_SCHEMA,
    TRANSLATIONS: TRANSLATIONS_SCHEMA,
}


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
