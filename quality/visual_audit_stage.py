"""The visual audit as a per-image stage: the grounding samples dbt chose (``qa_visual_audit``)
drawn back onto their images (``quality.visual_audit.render_box_audit``) through
``lakehouse.stages.run_stage``, in-process, in a process pool or on Ray.

In: the built lakehouse's ``qa_visual_audit`` table (one row per chosen sample: the image
path as stored, both pixel boxes, the label, the caption lines and ``drawing_key``, the hash
of those inputs) and the previous ``<derived>/visual_audit/index.parquet``.
Out: ``<derived>/visual_audit/<sample_id>.png`` per drawable sample and
``<derived>/visual_audit/index.parquet`` (``INDEX_SCHEMA``: one row per chosen sample, the
PNG's path and sha256 or why none was drawn). The folder is assembled in a staging folder
``<derived>/.visual_audit-<tag>`` and swapped in whole, so it holds exactly this run's PNGs
(stale ones are gone) and a killed run leaves the previous folder as it was (the staging
folder is removed by the next writer, ``lakehouse.lock``). A PNG whose ``drawing_key`` and
``DRAWING_VERSION`` are unchanged since the previous index is hard-linked from the previous
folder, not drawn again.

The index lives beside the PNGs, not in the landing: it describes exactly the files of the
folder it is swapped in with, and nothing in dbt reads it (dbt runs before the drawing);
query it with ``read_parquet('<warehouse>/derived/visual_audit/index.parquet')``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.settings import Warehouse
from lakehouse.sources import resolve_root
from lakehouse.stages import run_stage, split_chunk_size

FOLDER = "visual_audit"
INDEX_FILE = "index.parquet"
# bump when render_box_audit draws the same inputs differently: every PNG is drawn again
DRAWING_VERSION = 1
DEFAULT_CHUNK_SIZE = 8

INDEX_SCHEMA = pa.schema([
    pa.field("sample_id", pa.string(), nullable=False),
    pa.field("png_path", pa.string()),  # relative to the warehouse root; NULL: not drawn
    pa.field("drawing_key", pa.string()),
    pa.field("drawing_version", pa.int32(), nullable=False),
    pa.field("png_sha256", pa.string()),
    pa.field("render_error", pa.string()),  # why no PNG was drawn, else NULL
])
DRAWN_SCHEMA = pa.schema([
    pa.field("sample_id", pa.string(), nullable=False),
    pa.field("png_sha256", pa.string()),
    pa.field("render_error", pa.string()),
])
PLAN_COLUMNS = ("sample_id, png_path, image_path, source_box_px, recovered_box_px, label, "
                "caption_lines, drawing_key, render_error")


class VisualAuditError(RuntimeError):
    """No lakehouse, or no ``qa_visual_audit`` table in it: build it first."""


@dataclass(frozen=True)
class VisualAuditReport:
    """What a run did: samples chosen, PNGs drawn, reused and removed, samples not drawn."""

    chosen: int
    drawn: int
    reused: int
    removed: int
    not_drawn: int
    executor: str

    def line(self) -> str:
        return (f"visual audit: {self.chosen} samples, {self.drawn} drawn, {self.reused} reused, "
                f"{self.removed} stale removed, {self.not_drawn} not drawn "
                f"(executor {self.executor})")


def read_plan(wh: Warehouse) -> list[dict[str, Any]]:
    """The rows of ``qa_visual_audit`` (``PLAN_COLUMNS``), by sample id. Raises
    ``VisualAuditError`` when the lakehouse or the table is missing."""
    if not wh.database.is_file():
        raise VisualAuditError(f"no lakehouse at {wh.database}: run `mmfactory build` first")
    with duckdb.connect(str(wh.database), read_only=True) as con:
        try:
            relation = con.sql(f"select {PLAN_COLUMNS} from qa_visual_audit order by sample_id")
        except duckdb.CatalogException:
            raise VisualAuditError(f"{wh.database} has no qa_visual_audit table: run "
                                   "`mmfactory build --no-land` first") from None
        return relation.to_arrow_table().to_pylist()


def draw_item(row: dict[str, Any], staging: Path, wh: Warehouse) -> dict[str, Any]:
    """One work item: a ``qa_visual_audit`` row's drawing inputs, the image path resolved
    in ``wh`` and the PNG's path in ``staging`` (plain values: picklable for any executor)."""
    def corners(box: dict[str, float]) -> tuple[float, float, float, float]:
        return box["x1"], box["y1"], box["x2"], box["y2"]

    return {"sample_id": row["sample_id"], "image_path": str(resolve_root(row["image_path"], wh)),
            "source": corners(row["source_box_px"]), "answer": corners(row["recovered_box_px"]),
            "label": row["label"], "captions": list(row["caption_lines"]),
            "target": str(staging / f"{row['sample_id']}.png")}


def draw_chunk(items: list[dict[str, Any]]) -> pa.RecordBatch:
    """Stage work: draw every item of ``items`` (see ``draw_item``) to its target PNG;
    one ``DRAWN_SCHEMA`` row per item (the PNG's sha256, or why it could not be drawn)."""
    from quality.visual_audit import PixelBox, render_box_audit, save_png

    rows = []
    for it in items:
        try:
            image = render_box_audit(Path(it["image_path"]), PixelBox(*it["source"]),
                                     PixelBox(*it["answer"]), it["label"], it["captions"])
            png = save_png(image, Path(it["target"]))
            rows.append({"sample_id": it["sample_id"], "render_error": None,
                         "png_sha256": hashlib.sha256(png.read_bytes()).hexdigest()})
        except OSError as exc:
            rows.append({"sample_id": it["sample_id"], "png_sha256": None,
                         "render_error": f"cannot draw on {it['image_path']}: {exc}"})
    return pa.RecordBatch.from_pylist(rows, schema=DRAWN_SCHEMA)


def read_index(folder: Path) -> dict[str, dict[str, Any]]:
    """The previous run's index rows by sample id (empty when there is none or it is
    unreadable: everything is drawn again)."""
    try:
        rows = pq.read_table(folder / INDEX_FILE).to_pylist()
    except (OSError, pa.ArrowInvalid):
        return {}
    return {r["sample_id"]: r for r in rows}


def _reusable(previous: dict[str, Any] | None, row: dict[str, Any], folder: Path) -> bool:
    return (previous is not None and previous["render_error"] is None
            and previous["drawing_key"] == row["drawing_key"]
            and previous["drawing_version"] == DRAWING_VERSION
            and (folder / f"{row['sample_id']}.png").is_file())


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or no hard links there
        shutil.copy2(source, target)


def run_visual_audit(wh: Warehouse, executor: str | None = None, workers: int | None = None,
                     chunk_size: int | None = None) -> VisualAuditReport:
    """Draw the visual audit of ``wh`` (see the module doc) on ``executor`` (None: the
    session's / environment's, see ``lakehouse.stages``) in chunks of ``chunk_size`` (None:
    ``DEFAULT_CHUNK_SIZE``, or one chunk below ``lakehouse.stages.MIN_ITEMS_TO_SPLIT`` PNGs to draw). Raises
    ``VisualAuditError`` when there is no ``qa_visual_audit`` to draw."""
    from lakehouse.stages import default_executor

    plan = read_plan(wh)
    final_dir = wh.derived / FOLDER
    previous = read_index(final_dir)
    staging = wh.derived / f".{FOLDER}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        outcome: dict[str, dict[str, Any]] = {}
        items, reused = [], 0
        for row in plan:
            if row["render_error"] is not None:
                outcome[row["sample_id"]] = {"png_sha256": None,
                                             "render_error": row["render_error"]}
            elif _reusable(previous.get(row["sample_id"]), row, final_dir):
                name = f"{row['sample_id']}.png"
                _link(final_dir / name, staging / name)
                outcome[row["sample_id"]] = {"png_sha256": previous[row["sample_id"]]["png_sha256"],
                                             "render_error": None}
                reused += 1
            else:
                items.append(draw_item(row, staging, wh))
        if chunk_size is None:
            chunk_size = split_chunk_size(len(items), DEFAULT_CHUNK_SIZE)
        for _, batch in run_stage(draw_chunk, items, chunk_size=chunk_size, workers=workers,
                                  executor=executor):
            for drawn in batch.to_pylist():
                outcome[drawn["sample_id"]] = drawn
        index = [{
            "sample_id": row["sample_id"],
            "png_path": None if outcome[row["sample_id"]]["render_error"] else row["png_path"],
            "drawing_key": row["drawing_key"], "drawing_version": DRAWING_VERSION,
            "png_sha256": outcome[row["sample_id"]]["png_sha256"],
            "render_error": outcome[row["sample_id"]]["render_error"],
        } for row in plan]
        pq.write_table(pa.Table.from_pylist(index, schema=INDEX_SCHEMA), staging / INDEX_FILE)
        kept = {f"{r['sample_id']}.png" for r in index if r["render_error"] is None}
        stale = len({p.name for p in final_dir.glob("*.png")} - kept)
        old = final_dir.with_name(f".{FOLDER}-old-{uuid.uuid4().hex[:8]}")
        if final_dir.exists():
            os.replace(final_dir, old)
        os.replace(staging, final_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    drawn = sum(1 for r in index if r["render_error"] is None) - reused
    return VisualAuditReport(chosen=len(plan), drawn=drawn, reused=reused, removed=stale,
                             not_drawn=sum(1 for r in index if r["render_error"] is not None),
                             executor=executor or default_executor())
