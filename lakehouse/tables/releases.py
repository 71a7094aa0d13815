"""The tables the release gates land: takedowns and the manifests of written releases.

- ``takedowns``: one row per takedown request, append-only (one file per request, never
  rewritten): the asset's content hash (``asset_id``, the sha256 of its bytes), the path
  the user named if any, who asked, when and why. The next ``dbt build`` removes the asset,
  every asset derived from it and every sample using any of them (``int_assets_taken_down``).
- ``release_manifests``: one row per sample of each written release (profile, version,
  sample, task type, template hash, source assets): what ``release_changelog`` compares the
  next release of the same profile against.
"""

from __future__ import annotations

import pyarrow as pa

TAKEDOWNS_TABLE = "takedowns"
RELEASE_MANIFESTS_TABLE = "release_manifests"

TAKEDOWNS_SCHEMA = pa.schema(
    [
        pa.field("takedown_id", pa.string(), nullable=False),
        pa.field("asset_id", pa.string(), nullable=False),        # sha256 of the bytes
        pa.field("requested_path", pa.string()),                  # SOURCE/PATH as given, or NULL
        pa.field("reason", pa.string(), nullable=False),
        pa.field("requested_by", pa.string(), nullable=False),
        pa.field("requested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source", pa.string(), nullable=False),          # the file's stem
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)

RELEASE_MANIFESTS_SCHEMA = pa.schema(
    [
        pa.field("release_id", pa.string(), nullable=False),      # <profile>-<version>
        pa.field("release_profile", pa.string(), nullable=False),
        pa.field("release_version", pa.string(), nullable=False),
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("task_type", pa.string(), nullable=False),
        pa.field("template_id", pa.string()),
        pa.field("template_hash", pa.string()),
        pa.field("source_asset_ids", pa.list_(pa.string()), nullable=False),
        pa.field("released_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source", pa.string(), nullable=False),          # the file's stem
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ingest_run_id", pa.string(), nullable=False),
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    TAKEDOWNS_TABLE: TAKEDOWNS_SCHEMA,
    RELEASE_MANIFESTS_TABLE: RELEASE_MANIFESTS_SCHEMA,
}
