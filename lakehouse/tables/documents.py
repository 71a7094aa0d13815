"""The ground-truth tables of document and chart images, shared by real and derived sources.

Every table has one file per source under ``landing/<table>/<source>.parquet`` and these
explicit schemas. Boxes are pixels of the image as displayed, ``x_px``/``y_px`` the top
left corner, ``w_px``/``h_px`` the size (float64, like the COCO boxes).

Documents (FUNSD forms, SROIE receipts, derived pages):
- ``document_texts``: one row per document: its full text and counts.
- ``document_lines``: text lines (FUNSD: one per entity; SROIE: one per box line; derived:
  one per drawn line or table cell) with their box.
- ``document_words``: words with boxes, where the source has them (FUNSD, derived).
- ``document_fields``: key/value fields (SROIE key fields, FUNSD question->answer links,
  derived pages' "Key: value" lines).
- ``form_entities`` / ``form_links``: FUNSD's entities with labels and their links.
- ``receipt_lines``: SROIE lines with the 8 coordinates of their quadrilateral.

Charts (ChartQA, derived charts):
- ``charts``: one row per chart: type, title, axes, unit, table plausibility, the text
  drawn on it when known.
- ``chart_tables``: the data table, one row per (series, category) cell.
- ``chart_qa_pairs``: question/answer pairs (ChartQA's, or exact ones made from a derived
  chart's table).
- ``chart_text_elements``: every text element drawn on a derived chart, with its role and box.
"""

from __future__ import annotations

import pyarrow as pa

DOCUMENT_TEXTS_TABLE = "document_texts"
DOCUMENT_LINES_TABLE = "document_lines"
DOCUMENT_WORDS_TABLE = "document_words"
DOCUMENT_FIELDS_TABLE = "document_fields"
FORM_ENTITIES_TABLE = "form_entities"
FORM_LINKS_TABLE = "form_links"
RECEIPT_LINES_TABLE = "receipt_lines"
CHARTS_TABLE = "charts"
CHART_TABLES_TABLE = "chart_tables"
CHART_QA_PAIRS_TABLE = "chart_qa_pairs"
CHART_TEXT_ELEMENTS_TABLE = "chart_text_elements"

RUN_FIELDS = [
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("ingest_run_id", pa.string(), nullable=False),
]

_KEY = [
    pa.field("asset_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
]

BOX_FIELDS = [
    pa.field("x_px", pa.float64(), nullable=False),
    pa.field("y_px", pa.float64(), nullable=False),
    pa.field("w_px", pa.float64(), nullable=False),
    pa.field("h_px", pa.float64(), nullable=False),
]

DOCUMENT_TEXTS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field(
            "document_key", pa.string(), nullable=False
        ),  # the source's own id (file stem, ...)
        pa.field("split", pa.string()),  # the source's split, if it has one
        pa.field(
            "layout", pa.string(), nullable=False
        ),  # funsd_form, sroie_receipt, inspection_report, ...
        pa.field(
            "full_text", pa.string(), nullable=False
        ),  # lines in reading order, joined by "\n"
        pa.field("line_count", pa.int32(), nullable=False),
        pa.field(
            "word_count", pa.int32(), nullable=False
        ),  # whitespace-separated words of full_text
        pa.field(
            "char_count", pa.int32(), nullable=False
        ),  # characters of full_text, whitespace excluded
        pa.field("has_word_boxes", pa.bool_(), nullable=False),
        pa.field(
            "text_origin", pa.string(), nullable=False
        ),  # 'rendered' (exact) or 'annotation' (human)
        *RUN_FIELDS,
    ]
)

DOCUMENT_LINES_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("line_index", pa.int32(), nullable=False),  # reading order within the document
        pa.field("text", pa.string(), nullable=False),
        *BOX_FIELDS,
        pa.field("word_count", pa.int32(), nullable=False),
        *RUN_FIELDS,
    ]
)

DOCUMENT_WORDS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("line_index", pa.int32(), nullable=False),
        pa.field("word_index", pa.int32(), nullable=False),  # within the document
        pa.field("word_in_line_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        *BOX_FIELDS,
        *RUN_FIELDS,
    ]
)

DOCUMENT_FIELDS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("field_index", pa.int32(), nullable=False),
        pa.field("field_key", pa.string(), nullable=False),
        pa.field("field_value", pa.string(), nullable=False),
        pa.field(
            "field_origin", pa.string(), nullable=False
        ),  # key_file, question_answer_link, rendered
        pa.field("key_line_index", pa.int32()),  # the line showing the key, if known
        pa.field("value_line_index", pa.int32()),  # the line showing the value, if known
        *RUN_FIELDS,
    ]
)

FORM_ENTITIES_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("entity_id", pa.int64(), nullable=False),
        pa.field("label", pa.string(), nullable=False),  # question, answer, header, other
        pa.field("text", pa.string(), nullable=False),
        *BOX_FIELDS,
        pa.field("line_index", pa.int32(), nullable=False),  # its row in document_lines
        pa.field("word_count", pa.int32(), nullable=False),
        *RUN_FIELDS,
    ]
)

FORM_LINKS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("from_entity_id", pa.int64(), nullable=False),
        pa.field("to_entity_id", pa.int64(), nullable=False),
        pa.field("from_label", pa.string(), nullable=False),
        pa.field("to_label", pa.string(), nullable=False),
        pa.field("is_question_answer", pa.bool_(), nullable=False),
        *RUN_FIELDS,
    ]
)

RECEIPT_LINES_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field(
            "line_index", pa.int32(), nullable=False
        ),  # order in the box file (blank lines skipped)
        pa.field("text", pa.string(), nullable=False),
        *[
            pa.field(f"{axis}{i}_px", pa.float64(), nullable=False)
            for i in range(1, 5)
            for axis in "xy"
        ],
        *RUN_FIELDS,
    ]
)

CHARTS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("chart_key", pa.string(), nullable=False),  # the source's own id (file stem, ...)
        pa.field("chart_type", pa.string()),  # bar, barh, line, pie; NULL when unknown
        pa.field("title", pa.string()),
        pa.field("x_label", pa.string()),
        pa.field("y_label", pa.string()),
        pa.field("unit", pa.string()),
        pa.field("series_count", pa.int32(), nullable=False),
        pa.field("category_count", pa.int32(), nullable=False),
        pa.field("has_table", pa.bool_(), nullable=False),
        pa.field(
            "is_table_plausible", pa.bool_(), nullable=False
        ),  # False: never use the table as supervision
        pa.field("plausibility_reason", pa.string()),  # why not, cell by cell; NULL when plausible
        pa.field("chart_text", pa.string()),  # the text known to be on the chart, "\n"-joined
        pa.field(
            "chart_text_kind", pa.string()
        ),  # 'rendered' (every drawn string) or 'table_labels'
        *RUN_FIELDS,
    ]
)

CHART_TABLES_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("series_index", pa.int32(), nullable=False),
        pa.field("series", pa.string(), nullable=False),
        pa.field("category_index", pa.int32(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("value", pa.float64()),  # NULL when the cell is not a number
        pa.field("value_text", pa.string(), nullable=False),  # the cell as written / as drawn
        pa.field("unit", pa.string()),
        pa.field(
            "is_suspect_value", pa.bool_(), nullable=False
        ),  # a cell the plausibility check blames
        *RUN_FIELDS,
    ]
)

CHART_QA_PAIRS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("qa_index", pa.int32(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("answer", pa.string(), nullable=False),
        pa.field(
            "origin", pa.string(), nullable=False
        ),  # 'dataset' (ChartQA file) or 'derived_exact'
        pa.field("qa_file", pa.string()),  # the QA file it came from, relative to the root
        *RUN_FIELDS,
    ]
)

CHART_TEXT_ELEMENTS_SCHEMA = pa.schema(
    [
        *_KEY,
        pa.field("element_index", pa.int32(), nullable=False),
        pa.field(
            "role", pa.string(), nullable=False
        ),  # title, x_label, y_label, x_tick, y_tick, legend, value_label, wedge_label
        pa.field("text", pa.string(), nullable=False),
        *BOX_FIELDS,
        *RUN_FIELDS,
    ]
)

DOCUMENT_TABLES: dict[str, pa.Schema] = {
    DOCUMENT_TEXTS_TABLE: DOCUMENT_TEXTS_SCHEMA,
    DOCUMENT_LINES_TABLE: DOCUMENT_LINES_SCHEMA,
    DOCUMENT_WORDS_TABLE: DOCUMENT_WORDS_SCHEMA,
    DOCUMENT_FIELDS_TABLE: DOCUMENT_FIELDS_SCHEMA,
}

CHART_TABLES: dict[str, pa.Schema] = {
    CHARTS_TABLE: CHARTS_SCHEMA,
    CHART_TABLES_TABLE: CHART_TABLES_SCHEMA,
    CHART_QA_PAIRS_TABLE: CHART_QA_PAIRS_SCHEMA,
    CHART_TEXT_ELEMENTS_TABLE: CHART_TEXT_ELEMENTS_SCHEMA,
}

LANDED_TABLES: dict[str, pa.Schema] = {
    **DOCUMENT_TABLES,
    FORM_ENTITIES_TABLE: FORM_ENTITIES_SCHEMA,
    FORM_LINKS_TABLE: FORM_LINKS_SCHEMA,
    RECEIPT_LINES_TABLE: RECEIPT_LINES_SCHEMA,
    **CHART_TABLES,
}

