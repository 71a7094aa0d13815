"""Every landed table and its schema, in one place.

The schemas live in ``lakehouse.tables`` (one module per kind of input); dbt's sources
(``models/staging/_sources.yml``) mirror this list. ``ensure_landing`` writes each
table's zero-row schema file so that dbt can read a table no source has landed yet.
"""

from __future__ import annotations

import pyarrow as pa

from lakehouse.landing import ensure_tables
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE
from lakehouse.tables import coco, documents, generation, ocr, quality, releases, renders
from lakehouse.tables import perceptual_hashes
from lakehouse.tables.assets import ASSETS_SCHEMA, ASSETS_TABLE

LANDED_TABLES: dict[str, pa.Schema] = {
    ASSETS_TABLE: ASSETS_SCHEMA,
    ASSET_SOURCES_TABLE: ASSET_SOURCES_SCHEMA,
    REJECTS_TABLE: REJECTS_SCHEMA,
    **coco.LANDED_TABLES,
    **documents.LANDED_TABLES,
    **ocr.LANDED_TABLES,
    **renders.LANDED_TABLES,
    **generation.SCHEMAS,
    **quality.LANDED_TABLES,
    **releases.LANDED_TABLES,
    **perceptual_hashes.LANDED_TABLES,
}


def ensure_landing(wh: Warehouse) -> None:
    """Create the landing folders and schema files of every known table."""
    ensure_tables(wh, LANDED_TABLES)
