"""The drawing of derived renders on the stage seam: in-process and in a 2-worker process
pool, the same small pool of COCO128 renders lands the same derived tables (rows sorted,
run ids and landing times left out) and writes the same PNG bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.settings import Warehouse
from lakehouse.sources import resolve_root
from render.derive import render_derived

# differ between any two runs of the same input, whatever the executor
RUN_COLUMNS = frozenset({"ingest_run_id", "ingested_at", "landed_at", "rejected_at"})
# the images root is the warehouse's own derived folder: compared relative to it (stored
# as `@warehouse/...`, so resolved first)
ROOT_COLUMNS = frozenset({"images_root"})


def landed_derived(wh: Warehouse) -> dict[str, list[str]]:
    """Every landed table's rows of the derived and pool sources, sorted, run columns left
    out and images roots made relative to the warehouse."""
    tables = {}
    for folder in sorted(p for p in wh.landing.iterdir() if p.is_dir()):
        files = [folder / f"{s}.parquet" for s in ("derived_documents", "derived_charts",
                                                   "balanced_pool")]
        files = [f for f in files if f.is_file()]
        if not files:
            continue
        table = pa.concat_tables(pq.read_table(f) for f in files)
        keep = [c for c in table.column_names if c not in RUN_COLUMNS]
        rows = []
        for r in table.select(keep).to_pylist():
            for c in ROOT_COLUMNS & r.keys():
                r[c] = str(resolve_root(r[c], wh).relative_to(wh.root.resolve()))
            rows.append(repr(sorted(r.items())))
        tables[folder.name] = sorted(rows)
    return tables


def derived_pngs(wh: Warehouse) -> dict[str, bytes]:
    """The derived folder's PNGs: relative path -> bytes."""
    return {str(p.relative_to(wh.derived)): p.read_bytes()
            for p in sorted(wh.derived.rglob("*.png"))}


def render_on(wh: Warehouse, executor: str) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    report = render_derived(wh, per_type=4, seed=1, executor=executor, workers=2,
                            chunk_size=2)
    assert report.rejects == []
    assert any(f"executor {executor}" in n for n in report.notes), report.notes
    return landed_derived(wh), derived_pngs(wh)


def test_inprocess_and_a_two_worker_pool_land_the_same_renders(coco_wh: Warehouse,
                                                               tmp_path: Path) -> None:
    pool_wh = Warehouse(tmp_path / "pool" / "warehouse")
    shutil.copytree(coco_wh.landing, pool_wh.landing)
    tables, pngs = render_on(coco_wh, "inprocess")
    pool_tables, pool_pngs = render_on(pool_wh, "pool")
    assert len(pngs) == 8 and {p.split("/")[0] for p in pngs} == {"documents", "charts"}
    assert len(tables["assets"]) == 8 and len(tables["asset_pool"]) == 12
    assert tables["document_words"] and tables["chart_tables"]
    assert pool_pngs == pngs
    assert pool_tables == tables
    # no temporary file of the atomic writes is left behind
    assert not [p for p in pool_wh.derived.rglob("*") if p.name.endswith(".tmp")]
