"""Drawing the planned derived renders: the render stage's work on the stage seam.

In: work items (``draw_item``: a render's kind, its position in the plan, its spec, its
parents and the derived folder), drawn by ``draw_chunk`` through
``lakehouse.stages.run_stage`` (in-process, a process pool or Ray: ``draw_chunk`` is a
top-level function and every item is picklable). Out, per chunk: each PNG written to its
final content-addressed place ``<derived>/<documents|charts>/<sha256>.png`` (atomically)
and a ``pyarrow.RecordBatch`` of ``DRAWN_SCHEMA``: the plan position, the asset id, the
relative path and the ground truth (the rendered document or chart without its PNG bytes,
pickled), which is what ``render.derive`` lands. The PNG bytes never travel back to the
parent, so its memory is bounded by the ground truth rows, not the images.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path
from typing import Any

import pyarrow as pa

from lakehouse.atomic import write_content_named
from render import charts as chart_gen
from render import documents as doc_gen

DOCUMENTS_DIR = "documents"
CHARTS_DIR = "charts"

DRAWN_SCHEMA = pa.schema([
    pa.field("position", pa.int64(), nullable=False),
    pa.field("asset_id", pa.string(), nullable=False),
    pa.field("relative_path", pa.string(), nullable=False),
    pa.field("ground_truth", pa.binary(), nullable=False),
])


def write_png(folder: Path, data: bytes) -> str:
    """Write ``data`` as ``<sha256>.png`` in ``folder``, whole or not at all
    (``lakehouse.atomic``); return the hash. A file already there with the same size is
    kept (its name is its content's hash)."""
    digest = hashlib.sha256(data).hexdigest()
    write_content_named(folder / f"{digest}.png", data)
    return digest


def draw_item(position: int, kind: str, spec: Any, parents: tuple[Any, ...],
              root: Path) -> dict[str, Any]:
    """One work item: draw the ``kind`` ("document" or "chart") render of ``spec`` from
    ``parents`` (``GeneralImage`` values) into the derived folder ``root``."""
    return {"position": position, "kind": kind, "spec": spec, "parents": tuple(parents),
            "root": str(root)}


def draw_chunk(items: list[dict[str, Any]]) -> pa.RecordBatch:
    """Stage work: draw every item of ``items`` (see ``draw_item``), write its PNG and
    return one ``DRAWN_SCHEMA`` row per item, in the chunk's order."""
    rows = []
    for it in items:
        if it["kind"] == "document":
            result = doc_gen.render_document(it["spec"], list(it["parents"]))
            folder = DOCUMENTS_DIR
        else:
            result = chart_gen.render_chart(it["spec"], it["parents"])
            folder = CHARTS_DIR
        digest = write_png(Path(it["root"]) / folder, result.png)
        truth = pickle.dumps(dataclasses.replace(result, png=b""),
                             protocol=pickle.HIGHEST_PROTOCOL)
        rows.append({"position": it["position"], "asset_id": digest,
                     "relative_path": f"{folder}/{digest}.png", "ground_truth": truth})
    return pa.RecordBatch.from_pylist(rows, schema=DRAWN_SCHEMA)


def ground_truth(value: bytes) -> Any:
    """The rendered document or chart (PNG bytes left out) a ``draw_chunk`` row carries."""
    return pickle.loads(value)
