"""Fixtures of the consumer tests: the session's real build's exports, and the COCO source
box of every shipped grounding sample (what every exported box must land on)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def exports(built_warehouse) -> Path:
    return built_warehouse.exports


@pytest.fixture(scope="module")
def sources(built_warehouse) -> dict[str, tuple[float, ...]]:
    """grounding sample id -> (x, y, w, h, width, height) of its COCO source box."""
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        rows = con.execute("""
            select s.sample_id, a.bbox_x_px, a.bbox_y_px, a.bbox_w_px, a.bbox_h_px,
                   a.image_width_px, a.image_height_px
            from samples as s
            inner join int_annotations_normalized as a on a.annotation_id = s.annotation_id
            where s.task_type = 'region_grounding'
        """).fetchall()
    return {r[0]: tuple(float(v) for v in r[1:]) for r in rows}
