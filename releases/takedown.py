"""Land a takedown: one append-only row naming a landed asset's content hash.

In: a warehouse, the asset to take down (its sha256, or ``SOURCE/PATH`` as landed), the
reason and who asks. Out: ``landing/takedowns/<run id>.parquet`` (one file per request,
never rewritten) and the ``Takedown`` that was landed; the contracts' caches of exported
records and images (``Warehouse.record_facts_cache``, ``Warehouse.image_digest_cache``)
are removed. The next ``dbt build`` removes the
asset, every asset derived from it and every sample using any of them.

Refused (``TakedownError``) when the hash or path was never landed, the hash is not a
sha256, or the reason is empty; nothing is written then.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime

import duckdb

from lakehouse.catalog import ensure_landing
from lakehouse.landing import land_table, landed_files, new_run_id, table_of, utc_now
from lakehouse.settings import Warehouse
from lakehouse.tables.assets import ASSETS_TABLE
from lakehouse.tables.releases import TAKEDOWNS_SCHEMA, TAKEDOWNS_TABLE

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TakedownError(ValueError):
    """A takedown that cannot be landed (its message says why)."""


@dataclass(frozen=True)
class Takedown:
    """What was landed: the row's id, the hash, the locations it was landed under."""

    takedown_id: str
    asset_id: str
    locations: tuple[str, ...]
    reason: str
    requested_by: str
    requested_at: datetime


def landed_locations(wh: Warehouse) -> list[tuple[str, str]]:
    """(asset_id, 'source/relative_path') of every landed asset row, taken down or not."""
    files = landed_files(wh, ASSETS_TABLE)
    if not files:
        return []
    con = duckdb.connect()
    try:
        paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        return con.execute(
            f"select asset_id, source || '/' || relative_path from read_parquet([{paths}], "
            "union_by_name = true) order by 2"
        ).fetchall()
    finally:
        con.close()


def resolve_asset(wh: Warehouse, asset: str | None, path: str | None) -> tuple[str, tuple[str, ...]]:
    """The content hash named by ``asset`` or ``path`` and every location it was landed
    under; raises ``TakedownError`` if neither or both are given or it was never landed."""
    if (asset is None) == (path is None):
        raise TakedownError("name exactly one of --asset SHA256 or --path SOURCE/PATH")
    rows = landed_locations(wh)
    if asset is not None:
        asset_id = asset.strip().lower()
        if not _SHA256.match(asset_id):
            raise TakedownError(f"--asset {asset!r} is not a sha256 (64 hex digits)")
    else:
        wanted = path.strip().lstrip("/")
        matches = {a for a, location in rows if location == wanted}
        if not matches:
            raise TakedownError(f"--path {path!r}: no asset was ever landed at SOURCE/PATH {wanted!r}")
        asset_id = matches.pop()
    locations = tuple(location for a, location in rows if a == asset_id)
    if not locations:
        raise TakedownError(f"--asset {asset_id}: no asset with this sha256 was ever landed")
    return asset_id, locations


def land_takedown(wh: Warehouse, reason: str, requested_by: str, asset: str | None = None,
                  path: str | None = None) -> Takedown:
    """Land one takedown row for the asset named by ``asset`` (sha256) or ``path``."""
    if not reason or not reason.strip():
        raise TakedownError("--reason is empty: say why the asset is taken down")
    if not requested_by or not requested_by.strip():
        raise TakedownError("--by is empty: say who asks for the takedown")
    asset_id, locations = resolve_asset(wh, asset, path)
    ensure_landing(wh)
    run_id = new_run_id()
    now = utc_now()
    source = f"takedown-{run_id.lower()}"
    row = {
        "takedown_id": f"td_{run_id}",
        "asset_id": asset_id,
        "requested_path": path.strip().lstrip("/") if path else None,
        "reason": reason.strip(),
        "requested_by": requested_by.strip(),
        "requested_at": now,
    }
    stamp = {"source": source, "ingested_at": now, "ingest_run_id": run_id}
    land_table(wh, TAKEDOWNS_TABLE, source, table_of([row], TAKEDOWNS_SCHEMA, stamp), TAKEDOWNS_SCHEMA)
    # what the contracts keep of the exported records (their text and image paths) and
    # images (their sha256) goes now; the next check, on the rebuilt exports, keeps only
    # what is left
    shutil.rmtree(wh.record_facts_cache, ignore_errors=True)
    wh.image_digest_cache.unlink(missing_ok=True)
    return Takedown(row["takedown_id"], asset_id, locations, row["reason"], row["requested_by"], now)
