"""Re-render landed derived assets from their lineage and check the bytes hash the same.

In: a warehouse where ``render_derived`` landed ``asset_lineage`` and the COCO source the
parents came from. Out: for each derived asset, the sha256 of a fresh render made only
from landed data (the parents' annotations from the COCO tables, ``params_json`` and
``seed`` from the lineage); equal to the asset id when the derivation round-trips.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow.parquet as pq

from lakehouse.landing import landed_files
from lakehouse.settings import Warehouse
from lakehouse.tables.renders import ASSET_LINEAGE_TABLE
from render import charts as chart_gen
from render import documents as doc_gen
from render.inputs import GeneralImage, load_general_images


@dataclass(frozen=True)
class RoundTrip:
    asset_id: str
    rerendered_id: str

    @property
    def is_identical(self) -> bool:
        return self.asset_id == self.rerendered_id


def _lineage(wh: Warehouse) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for path in landed_files(wh, ASSET_LINEAGE_TABLE):
        for r in pq.read_table(path).to_pylist():
            rows.setdefault(r["asset_id"], []).append(r)
    return {k: sorted(v, key=lambda r: r["parent_order"]) for k, v in rows.items()}


def rerender_bytes(lineage: list[dict], parents: list[GeneralImage]) -> bytes:
    """The PNG bytes of one derived asset, from its lineage rows and parent images."""
    first = lineage[0]
    params = json.loads(first["params_json"])
    if first["generator"] == doc_gen.GENERATOR:
        spec = doc_gen.DocumentSpec(layout=params["layout"], seed=first["seed"], params=params)
        return doc_gen.render_document(spec, parents).png
    if first["generator"] == chart_gen.GENERATOR:
        spec = chart_gen.ChartSpec(
            chart_type=params["chart_type"], seed=first["seed"], params=params
        )
        return chart_gen.render_chart(spec, parents).png
    raise ValueError(f"unknown generator {first['generator']!r}")


def verify_round_trip(wh: Warehouse, asset_ids: Iterable[str] | None = None) -> list[RoundTrip]:
    """Re-render ``asset_ids`` (default: every derived asset with lineage) and report the
    hash of each fresh render next to the landed asset id."""
    lineage = _lineage(wh)
    wanted = sorted(lineage) if asset_ids is None else list(asset_ids)
    images: dict[str, dict[str, GeneralImage]] = {}
    results = []
    for asset_id in wanted:
        rows = lineage[asset_id]
        parents = []
        for r in rows:
            if r["parent_source"] not in images:
                images[r["parent_source"]] = {
                    g.asset_id: g for g in load_general_images(wh, r["parent_source"])
                }
            parents.append(images[r["parent_source"]][r["parent_asset_id"]])
        png = rerender_bytes(rows, parents)
        results.append(RoundTrip(asset_id, hashlib.sha256(png).hexdigest()))
    return results
