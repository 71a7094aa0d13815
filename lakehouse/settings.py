"""Where things live: the project root, the warehouse, the landing zone, the DuckDB file.

Every path the product writes derives from one warehouse directory, ``warehouse/`` beside
the project by default, or ``$MMFACTORY_WAREHOUSE`` when set (tests point it at a
temporary directory so they never touch a user's lakehouse).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
WAREHOUSE_ENV = "MMFACTORY_WAREHOUSE"


@dataclass(frozen=True)
class Warehouse:
    """The directory tree that holds everything mmfactory produces."""

    root: Path

    @property
    def landing(self) -> Path:
        """Landed Parquet tables: ``landing/<table>/<source>.parquet``."""
        return self.root / "landing"

    @property
    def database(self) -> Path:
        """The DuckDB file dbt builds."""
        return self.root / "lakehouse.duckdb"

    @property
    def derived(self) -> Path:
        """Files mmfactory renders itself (documents, charts, review PNGs)."""
        return self.root / "derived"

    @property
    def exports(self) -> Path:
        """Trainer-ready files."""
        return self.root / "exports"

    @property
    def releases(self) -> Path:
        """Versioned, license-gated releases: ``releases/<profile>-<version>/``."""
        return self.root / "releases"

    @property
    def record_facts_cache(self) -> Path:
        """What the data contracts read of each exported record, kept by the record's bytes
        (expectations/facts_cache.py): derived from the exports, so a takedown drops it."""
        return self.root / "checkpoints" / "record_facts"

    @property
    def image_digest_cache(self) -> Path:
        """The sha256 of the exported images as the data contracts last read them, by
        device, inode, size and modification time (lakehouse/file_digests.py)."""
        return self.root / "checkpoints" / "image_sha256.parquet"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for this warehouse's builds (manifest, run results, partial
        parse): one per warehouse, so that two warehouses built at the same time from one
        checkout never read or overwrite each other's."""
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        """dbt's log folder for this warehouse's builds."""
        return self.root / "dbt" / "logs"


def warehouse() -> Warehouse:
    """The active warehouse: ``$MMFACTORY_WAREHOUSE`` if set, else ``<project>/warehouse``."""
    configured = os.environ.get(WAREHOUSE_ENV)
    root = Path(configured) if configured else PROJECT_ROOT / "warehouse"
    return Warehouse(root.resolve())
