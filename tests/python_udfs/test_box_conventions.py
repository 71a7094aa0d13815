"""The conventions added for Qwen3-VL, InternVL, ms-swift and LLaMA-Factory's Qwen2.5-VL
resize, and the way back to pixels: unit cases and properties (hypothesis) on the pure
functions, and the same answers through the registered DuckDB UDFs."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.taxonomy import export_profiles
from python_udfs.boxes import (
    CONVENTIONS,
    coco_to_grid,
    coco_to_pixels_xyxy,
    coco_to_qwen25vl,
    coco_to_qwen25vl_llamafactory,
    coco_to_rel1000_xyxy,
    iou_xyxy,
    llamafactory_qwen25vl_size,
    scaled_to_pixels,
    smart_resize,
)
from python_udfs.dbt_plugin import register_udfs
from tests.python_udfs.test_boxes import columns, hostile_rows, inside_rows, valid_rows

batches = settings(max_examples=150)


def test_every_profile_names_a_known_convention() -> None:
    assert {p.box_kind for p in export_profiles()} <= set(CONVENTIONS)


def test_unit_cases() -> None:
    cols = columns([(10.5, 20.0, 100.0, 50.0, 640, 480), (0.0, 0.0, 700.0, 500.0, 640, 480),
                    (None, 0.0, 1.0, 1.0, 640, 480), (1.0, 1.0, 1.0, 1.0, 0, 480)])
    assert coco_to_rel1000_xyxy(*cols).to_pylist() == [[16, 42, 173, 146], [0, 0, 1000, 1000], None, None]
    assert coco_to_pixels_xyxy(*cols).to_pylist() == [[10.5, 20.0, 110.5, 70.0], [0.0, 0.0, 640.0, 480.0],
                                                     None, None]
    # 640 x 480 is below 768*768: LLaMA-Factory's variant equals smart_resize's
    assert coco_to_qwen25vl_llamafactory(*cols).to_pylist()[:2] == coco_to_qwen25vl(*cols).to_pylist()[:2]
    assert llamafactory_qwen25vl_size(960, 1280) == (672, 896)  # 1280x960 -> 886x664 -> 896x672
    assert smart_resize(960, 1280) == (840, 1148)  # qwen-vl-utils at 1,003,520 px: a different frame
    big = columns([(640.0, 480.0, 320.0, 240.0, 1280, 960)])
    assert coco_to_qwen25vl_llamafactory(*big).to_pylist() == [[448, 336, 672, 504]]
    assert coco_to_qwen25vl(*big).to_pylist() == [[574, 420, 861, 630]]
    assert iou_xyxy([0], [0], [10], [10], [5], [0], [15], [10]).to_pylist() == [1 / 3]
    assert iou_xyxy([0], [0], [10], [10], [None], [0], [15], [10]).to_pylist() == [None]


@batches
@given(st.lists(valid_rows(), min_size=1, max_size=40))
def test_rel1000_is_the_grid_in_x_first_order(rows) -> None:
    grid = coco_to_grid(*columns(rows)).to_pylist()
    rel = coco_to_rel1000_xyxy(*columns(rows)).to_pylist()
    for g, r in zip(grid, rel, strict=True):
        assert (g is None) == (r is None)
        if g is not None:
            assert r == [g["xmin"], g["ymin"], g["xmax"], g["ymax"]]


@batches
@given(st.lists(inside_rows(), min_size=1, max_size=40))
def test_pixels_are_the_source_box_to_two_decimals(rows) -> None:
    for (x, y, w, h, width, height), px in zip(rows, coco_to_pixels_xyxy(*columns(rows)).to_pylist(),
                                                strict=True):
        for got, want in zip(px, (x, y, x + w, y + h), strict=True):
            assert abs(got - want) <= 0.005 + 1e-9
            assert got == round(got, 2)
        assert 0 <= px[0] <= px[2] <= width and 0 <= px[1] <= px[3] <= height


@batches
@given(st.lists(valid_rows(), min_size=1, max_size=40))
def test_llamafactory_boxes_lie_on_llamafactorys_frame(rows) -> None:
    out = coco_to_qwen25vl_llamafactory(*columns(rows)).to_pylist()
    for (_, _, _, _, width, height), box in zip(rows, out, strict=True):
        assert box is not None  # LLaMA-Factory squeezes any aspect ratio to at most 180:1
        rh, rw = llamafactory_qwen25vl_size(height, width)
        assert rh % 28 == 0 and rw % 28 == 0
        assert 0 <= box[0] <= box[2] <= rw - 1 and 0 <= box[1] <= box[3] <= rh - 1


@batches
@given(st.lists(inside_rows(), min_size=1, max_size=30), st.sampled_from(sorted(CONVENTIONS)))
def test_every_convention_maps_back_within_its_precision(rows, kind) -> None:
    convention = CONVENTIONS[kind]
    width = np.array([r[4] for r in rows], float)
    height = np.array([r[5] for r in rows], float)
    values = convention.forward(*columns(rows)).to_pylist()
    if any(v is None for v in values):  # aspect ratio beyond 200: smart_resize refuses it
        assert kind == "qwen25vl_smart_resize"
        return
    pixels = convention.to_pixels(np.array(values, float), width, height)
    scale = convention.scale(height, width)  # [sy, sx]: frame units per image side
    for i, (x, y, w, h, wd, ht) in enumerate(rows):
        unit_x, unit_y = wd / scale[1][i], ht / scale[0][i]
        for got, want, unit in zip(pixels[i], (x, y, x + w, y + h), (unit_x, unit_y) * 2, strict=True):
            assert abs(got - want) <= unit + 1e-6 * max(1.0, want)


@batches
@given(st.lists(hostile_rows(), min_size=1, max_size=40))
def test_hostile_input_gives_null_rows_never_an_error(rows) -> None:
    cols = columns(rows)
    for fn in (coco_to_rel1000_xyxy, coco_to_pixels_xyxy, coco_to_qwen25vl_llamafactory):
        out = fn(*cols)
        assert len(out) == len(rows)
        for value in out.to_pylist():
            assert value is None or all(math.isfinite(v) for v in value)


@batches
@given(st.lists(st.tuples(*(st.floats(-1e4, 1e4) for _ in range(8))), min_size=1, max_size=40))
def test_iou_is_symmetric_and_in_unit_range(pairs) -> None:
    a = [list(col) for col in zip(*pairs, strict=True)]
    forward = iou_xyxy(*a).to_pylist()
    backward = iou_xyxy(*a[4:], *a[:4]).to_pylist()
    for f, b in zip(forward, backward, strict=True):
        assert 0.0 <= f <= 1.0 + 1e-12 and math.isclose(f, b, abs_tol=1e-12)


def test_scaled_to_pixels_nulls_bad_frames() -> None:
    out = scaled_to_pixels([1.0, 1.0], [1.0, 1.0], [2.0, 2.0], [2.0, 2.0], [10.0, 0.0], [10.0, 10.0],
                           [100.0, 100.0], [50.0, 50.0]).to_pylist()
    assert out == [[10.0, 5.0, 20.0, 10.0], None]


def test_udfs_agree_with_the_functions() -> None:
    rows = [(10.5, 20.0, 100.0, 50.0, 640, 480), (640.0, 480.0, 320.0, 240.0, 1280, 960)]
    con = duckdb.connect()
    try:
        register_udfs(con)
        con.register("t", pa.table(dict(zip(("x", "y", "w", "h", "width_px", "height_px"), columns(rows),
                                            strict=True))))
        got = con.execute("select bbox_coco_to_rel1000(x, y, w, h, width_px, height_px), "
                          "bbox_coco_to_pixels(x, y, w, h, width_px, height_px), "
                          "bbox_coco_to_qwen25vl_llamafactory(x, y, w, h, width_px, height_px) from t").fetchall()
    finally:
        con.close()
    cols = columns(rows)
    assert [list(r[0]) for r in got] == coco_to_rel1000_xyxy(*cols).to_pylist()
    assert [list(r[1]) for r in got] == coco_to_pixels_xyxy(*cols).to_pylist()
    assert [list(r[2]) for r in got] == coco_to_qwen25vl_llamafactory(*cols).to_pylist()
