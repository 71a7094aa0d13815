"""Every landed table and its schema, in one place.

dbt's sources mirror this list; ``ensure_landing`` writes each table's zero-row schema
file so that dbt can read a table that no source has landed yet.
"""

from __future__ import annotations

import pyarrow as pa

from generation import store as generation_store
from ingest import chair_synonyms, coco, ocr, review_verdicts
from ingest.documents import tables as document_tables
from render import tables as render_tables
from ingest.image_files import ASSETS_SCHEMA, ASSETS_TABLE
from ingest.landing import ensure_tables
from ingest.rejects import REJECTS_SCHEMA, REJECTS_TABLE
from ingest.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE
from mmfactory.settings import Warehouse
from quality import failure_library

LANDED_TABLES: dict[str, pa.Schema] = {
    ASSETS_TABLE: ASSETS_SCHEMA,
    ASSET_SOURCES_TABLE: ASSET_SOURCES_SCHEMA,
    REJECTS_TABLE: REJECTS_SCHEMA,
    **coco.LANDED_TABLES,
    **document_tables.LANDED_TABLES,
    **ocr.LANDED_TABLES,
    **render_tables.LANDED_TABLES,
    **generation_store.SCHEMAS,
    **chair_synonyms.LANDED_TABLES,
    **review_verdicts.LANDED_TABLES,
    **failure_library.LANDED_TABLES,
}


def ensure_landing(wh: Warehouse) -> None:
    """Create the landing folders and schema files of every known table."""
    ensure_tables(wh, LANDED_TABLES)
