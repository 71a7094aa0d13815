"""The OCR tables: lines read per asset, usability against ground truth, chart value checks."""

from __future__ import annotations

import pyarrow as pa

from lakehouse.tables.documents import RUN_FIELDS

OCR_LINES_TABLE = "ocr_lines"

OCR_USABILITY_TABLE = "ocr_usability"

CHART_OCR_CHECKS_TABLE = "chart_ocr_checks"

_ENGINE_FIELDS = [
    pa.field("engine", pa.string(), nullable=False),
    pa.field("engine_version", pa.string(), nullable=False),
]

OCR_LINES_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        *_ENGINE_FIELDS,
        pa.field("line_index", pa.int32(), nullable=False),  # the engine's reading order
        pa.field("text", pa.string(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),  # 0..1, the engine's score
        *[
            pa.field(f"{axis}{i}_px", pa.float64(), nullable=False)
            for i in range(1, 5)
            for axis in "xy"
        ],
        pa.field("x_px", pa.float64(), nullable=False),
        pa.field("y_px", pa.float64(), nullable=False),
        pa.field("w_px", pa.float64(), nullable=False),
        pa.field("h_px", pa.float64(), nullable=False),
        *RUN_FIELDS,
    ]
)

OCR_USABILITY_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("asset_type", pa.string(), nullable=False),
        *_ENGINE_FIELDS,
        pa.field("has_ground_truth", pa.bool_(), nullable=False),
        pa.field("gt_text_kind", pa.string()),  # document_text, chart_rendered, chart_table_labels
        pa.field("gt_char_count", pa.int32(), nullable=False),
        pa.field("ocr_char_count", pa.int32(), nullable=False),
        pa.field("matched_char_count", pa.int32(), nullable=False),
        pa.field("char_recall", pa.float64()),
        pa.field("char_precision", pa.float64()),
        pa.field("gt_word_count", pa.int32(), nullable=False),
        pa.field("matched_word_count", pa.int32(), nullable=False),
        pa.field("word_recall", pa.float64()),
        pa.field("ocr_line_count", pa.int32(), nullable=False),
        pa.field("mean_confidence", pa.float64()),
        pa.field("usable_recall_threshold", pa.float64(), nullable=False),
        pa.field(
            "is_ocr_usable", pa.bool_()
        ),  # char_recall >= threshold; NULL without ground truth
        pa.field("ocr_seconds", pa.float64(), nullable=False),
        *RUN_FIELDS,
    ]
)

CHART_OCR_CHECKS_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        *_ENGINE_FIELDS,
        pa.field("table_value_count", pa.int32(), nullable=False),
        pa.field("values_found_count", pa.int32(), nullable=False),
        pa.field("value_recall", pa.float64()),
        pa.field(
            "missing_values", pa.string()
        ),  # the table values not read on the chart, "; "-joined
        *RUN_FIELDS,
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    OCR_LINES_TABLE: OCR_LINES_SCHEMA,
    OCR_USABILITY_TABLE: OCR_USABILITY_SCHEMA,
    CHART_OCR_CHECKS_TABLE: CHART_OCR_CHECKS_SCHEMA,
}

# Not a landed table: what one OCR worker returns per asset, and what a checkpoint chunk
# (<warehouse>/checkpoints/ocr/<engine version>/*.parquet) keeps of the reads that worked.
# A read that could not be done carries its reject reason and message instead of lines.
OCR_LINE_STRUCT = pa.struct(
    [
        pa.field("text", pa.string(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("quad", pa.list_(pa.float64()), nullable=False),  # 8 coordinates
    ]
)
OCR_READS_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),  # how rejects name the file
        pa.field("ocr_seconds", pa.float64()),
        pa.field("lines", pa.list_(OCR_LINE_STRUCT)),
        pa.field("reject_reason", pa.string()),
        pa.field("reject_message", pa.string()),
    ]
)
