"""The tables ``render_derived`` lands, with the two it adds: lineage and the pool.

- ``asset_lineage``: one row per (derived asset, parent): which general images a page or
  chart was made from (in order), the parents' licenses, the generator and its version,
  the exact parameters (``params_json``, canonical JSON: sorted keys, no spaces) and the
  per-asset seed, and the library versions the bytes depend on.
- ``asset_pool``: the balanced pool: one row per member asset with its type, source,
  rank within its type, whether it was derived, and the rule's inputs (``per_type``,
  ``requested_per_type``, ``seed``, ``coco_source``).

Derived assets also land in ``assets`` and in the shared ground-truth tables of
``lakehouse.tables.documents`` (documents: texts, lines, words, fields; charts: charts,
chart_tables, chart_qa_pairs, chart_text_elements).
"""

from __future__ import annotations

import pyarrow as pa

from lakehouse.tables.documents import CHART_TABLES, DOCUMENT_TABLES, RUN_FIELDS

ASSET_LINEAGE_TABLE = "asset_lineage"
ASSET_POOL_TABLE = "asset_pool"

ASSET_LINEAGE_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("parent_asset_id", pa.string(), nullable=False),
        pa.field("parent_order", pa.int32(), nullable=False),
        pa.field("parent_source", pa.string(), nullable=False),
        pa.field("parent_license_id", pa.string()),
        pa.field("parent_license_name", pa.string()),
        pa.field("generator", pa.string(), nullable=False),
        pa.field("generator_version", pa.string(), nullable=False),
        pa.field("params_json", pa.string(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("library_versions_json", pa.string(), nullable=False),
        pa.field("license_rule", pa.string(), nullable=False),
        # sha256 of everything the bytes depend on (generator and version, parameters,
        # the parents' annotations and licenses, library versions): an unchanged re-run
        # with the same keys reuses the landed render instead of drawing it again
        pa.field("render_key", pa.string()),
        *RUN_FIELDS,
    ]
)

ASSET_POOL_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),  # the pool's name (its landing file)
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("asset_type", pa.string(), nullable=False),
        pa.field("asset_source", pa.string(), nullable=False),
        pa.field("pool_rank", pa.int32(), nullable=False),  # order within the type
        pa.field("is_derived", pa.bool_(), nullable=False),
        pa.field("per_type", pa.int32(), nullable=False),
        pa.field("requested_per_type", pa.int32()),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("coco_source", pa.string(), nullable=False),
        *RUN_FIELDS,
    ]
)

ASSET_POOL_EXCLUSIONS_TABLE = "asset_pool_exclusions"

# Every landed photo, document and chart the balanced pool leaves out, and why
# (render.balance: no_usable_annotation, beyond_per_type).
ASSET_POOL_EXCLUSIONS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),  # the pool's name (its landing file)
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("asset_type", pa.string(), nullable=False),
        pa.field("asset_source", pa.string(), nullable=False),  # the source that landed it
        pa.field("reason", pa.string(), nullable=False),
        pa.field("per_type", pa.int32(), nullable=False),  # the pool's size per type
        *RUN_FIELDS,
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    ASSET_LINEAGE_TABLE: ASSET_LINEAGE_SCHEMA,
    ASSET_POOL_TABLE: ASSET_POOL_SCHEMA,
    ASSET_POOL_EXCLUSIONS_TABLE: ASSET_POOL_EXCLUSIONS_SCHEMA,
    **DOCUMENT_TABLES,
    **CHART_TABLES,
}
