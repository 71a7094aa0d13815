"""The quality layer's landed tables: CHAIR synonyms, review verdicts, the failure library."""

from __future__ import annotations

import pyarrow as pa

CHAIR_SYNONYMS_TABLE = "chair_synonyms"

CHAIR_SYNONYMS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("category_name", pa.string(), nullable=False),       # the line's first item
        pa.field("synonym", pa.string(), nullable=False),             # stripped, as written
        pa.field("synonym_normalized", pa.string(), nullable=False),  # lower-case, single spaces
        pa.field("line_number", pa.int32(), nullable=False),          # 1-based, in the file
        pa.field("position", pa.int32(), nullable=False),             # 0 = the category name itself
        pa.field("listed_count", pa.int32(), nullable=False),         # times the line lists it
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)


REVIEW_VERDICTS_TABLE = "review_verdicts"

REVIEW_VERDICTS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),        # the file key
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("reviewer", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),          # first_review, second_review, arbitration
        pa.field("verdict", pa.string(), nullable=False),       # approve, reject, needs_fix
        pa.field("error_type", pa.string()),                    # quality.error_types, or NULL
        pa.field("note", pa.string()),
        pa.field("reviewed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("import_file", pa.string(), nullable=False),   # the file's name as imported
        pa.field("line_number", pa.int32(), nullable=False),    # CSV: 2 = first data row; JSONL: the line
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)


FAILURE_LIBRARY_TABLE = "failure_library"

FAILURE_LIBRARY_SCHEMA = pa.schema(
    [
        pa.field("failure_key", pa.string(), nullable=False),
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("error_type", pa.string(), nullable=False),
        pa.field("answer_hash", pa.string(), nullable=False),   # sha256 of the answer text
        pa.field("task_type", pa.string()),
        pa.field("asset_type", pa.string()),
        pa.field("language", pa.string()),
        pa.field("source_asset_ids", pa.list_(pa.string())),
        pa.field("question_text", pa.string()),
        pa.field("answer_text", pa.string()),
        pa.field("evidence", pa.string()),
        pa.field("flag_sources", pa.list_(pa.string())),       # audit, review
        pa.field("first_seen_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("first_seen_run_id", pa.string(), nullable=False),
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    CHAIR_SYNONYMS_TABLE: CHAIR_SYNONYMS_SCHEMA,
    REVIEW_VERDICTS_TABLE: REVIEW_VERDICTS_SCHEMA,
    FAILURE_LIBRARY_TABLE: FAILURE_LIBRARY_SCHEMA,
}
