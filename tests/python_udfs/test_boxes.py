"""The bbox conversions: unit cases, properties, and UDF == pure-SQL on a million boxes.

Everything runs for real: the numpy functions directly, the UDFs through
``register_udfs`` on a DuckDB connection, the SQL oracle as the text the dbt macro renders.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from python_udfs.boxes import (
    GRID_TYPE,
    QWEN_MAX_PIXELS,
    QWEN_MIN_PIXELS,
    coco_to_grid,
    coco_to_llava,
    coco_to_qwen25vl,
    grid_to_coco,
    smart_resize,
)
from python_udfs.dbt_plugin import register_udfs
from tests.python_udfs.grid_oracle import grid_sql

COLUMNS = ("x", "y", "w", "h", "width_px", "height_px")
UDF_SQL = "bbox_coco_to_grid(x, y, w, h, width_px, height_px)"
REF_SQL = grid_sql(*COLUMNS)

Row = tuple[float | None, float | None, float | None, float | None, int | None, int | None]


@pytest.fixture(scope="module")
def conn() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    register_udfs(connection)
    yield connection
    connection.close()


def columns(rows: list[Row]) -> list[pa.Array]:
    """Rows of (x, y, w, h, width_px, height_px) -> six arrow columns (None = NULL)."""
    types = [pa.float64()] * 4 + [pa.int32()] * 2
    return [pa.array([row[i] for row in rows], type=t) for i, t in enumerate(types)]


def grid(rows: list[Row]) -> list[dict | None]:
    return coco_to_grid(*columns(rows)).to_pylist()


def box(ymin: int, xmin: int, ymax: int, xmax: int) -> dict:
    collapsed = ymin == ymax or xmin == xmax
    return dict(ymin=ymin, xmin=xmin, ymax=ymax, xmax=xmax, is_collapsed=collapsed)


def reference_grid(x, y, w, h, width_px, height_px) -> dict | None:
    """The contract of coco_to_grid, one row, in plain Python floats."""
    values = (x, y, w, h, width_px, height_px)
    if any(v is None for v in values) or not all(math.isfinite(v) for v in values):
        return None
    if width_px <= 0 or height_px <= 0 or w < 0 or h < 0:
        return None

    def edge(coordinate: float, side: int) -> int:
        v = coordinate / side * 1000 + 0.5
        if math.isinf(v):  # x + w may overflow to +inf: clamped like any other value
            return 1000 if v > 0 else 0
        return min(max(math.floor(v), 0), 1000)

    return box(edge(y, height_px), edge(x, width_px), edge(y + h, height_px), edge(x + w, width_px))


def udf_and_sql(conn: duckdb.DuckDBPyConnection, rows: list[Row]) -> tuple[list, list]:
    """Evaluate the UDF and the SQL twin on ``rows`` in DuckDB."""
    cases = pa.table(dict(zip(COLUMNS, columns(rows), strict=True)))
    conn.register("cases", cases)
    try:
        out = conn.execute(f"SELECT {UDF_SQL}, {REF_SQL} FROM cases").fetchall()
    finally:
        conn.unregister("cases")
    return [r[0] for r in out], [r[1] for r in out]


# --------------------------------------------------------------------------------------
# coco_to_grid: unit cases (numpy function, UDF and SQL twin must all agree)
# --------------------------------------------------------------------------------------

UNIT_CASES: list[tuple[str, Row, dict | None]] = [
    ("origin", (0.0, 0.0, 64.0, 48.0, 640, 480), box(0, 0, 100, 100)),
    ("touching right/bottom edge", (600.0, 400.0, 40.0, 80.0, 640, 480), box(833, 938, 1000, 1000)),
    ("whole image", (0.0, 0.0, 640.0, 480.0, 640, 480), box(0, 0, 1000, 1000)),
    # 40 / 640 * 1000 = 62.5 exactly: half UP gives 63 (banker's rounding would give 62)
    ("half cell rounds up", (40.0, 30.0, 40.0, 30.0, 640, 480), box(63, 63, 125, 125)),
    # 2.5 exactly: 3, not 2; 1.5 exactly: 2
    ("half cells 2.5 and 1.5", (1.6, 0.96, 0.0, 0.0, 640, 640), box(2, 3, 2, 3)),
    ("beyond the edges clamped", (-20.0, -10.0, 700.0, 500.0, 640, 480), box(0, 0, 1000, 1000)),
    ("entirely right of the image", (700.0, 0.0, 10.0, 10.0, 640, 480), box(0, 1000, 21, 1000)),
    ("tiny box collapses", (100.0, 100.0, 0.1, 0.1, 640, 480), box(208, 156, 209, 156)),
    ("zero-size box", (10.0, 10.0, 0.0, 0.0, 640, 480), box(21, 16, 21, 16)),
    ("NULL x", (None, 0.0, 1.0, 1.0, 640, 480), None),
    ("NULL height", (0.0, 0.0, 1.0, 1.0, 640, None), None),
    ("zero image width", (0.0, 0.0, 1.0, 1.0, 0, 480), None),
    ("negative image height", (0.0, 0.0, 1.0, 1.0, 640, -480), None),
    ("negative box width", (10.0, 0.0, -1.0, 1.0, 640, 480), None),
    ("NaN coordinate", (math.nan, 0.0, 1.0, 1.0, 640, 480), None),
    ("infinite box height", (0.0, 0.0, 1.0, math.inf, 640, 480), None),
]


@pytest.mark.parametrize(
    ("row", "expected"), [c[1:] for c in UNIT_CASES], ids=[c[0] for c in UNIT_CASES]
)
def test_coco_to_grid_unit_cases(row: Row, expected: dict | None) -> None:
    assert grid([row]) == [expected]
    assert reference_grid(*row) == expected


def test_unit_cases_agree_in_duckdb(conn: duckdb.DuckDBPyConnection) -> None:
    rows = [c[1] for c in UNIT_CASES]
    expected = [c[2] for c in UNIT_CASES]
    udf, ref = udf_and_sql(conn, rows)
    assert udf == expected
    assert ref == expected


def test_sql_round_and_numpy_round_would_both_be_wrong(conn: duckdb.DuckDBPyConnection) -> None:
    """Why the rule is spelled floor(v + 0.5): numpy rounds 62.5 to 62 (half to even)."""
    assert np.round(62.5) == 62
    sql = grid_sql("40.0", "0", "0", "0", "640", "480")
    assert conn.execute(f"SELECT ({sql}).xmin").fetchall() == [(63,)]


def test_nulls_are_row_level_and_other_rows_survive() -> None:
    rows: list[Row] = [
        (0.0, 0.0, 64.0, 48.0, 640, 480),
        (None, 0.0, 64.0, 48.0, 640, 480),
        (0.0, 0.0, 64.0, 48.0, 0, 480),
        (64.0, 48.0, 64.0, 48.0, 640, 480),
    ]
    assert grid(rows) == [box(0, 0, 100, 100), None, None, box(100, 100, 200, 200)]


def test_accepts_chunked_numpy_and_python_inputs() -> None:
    chunked = [pa.chunked_array([c[:1], c[1:]]) for c in columns(
        [(0.0, 0.0, 64.0, 48.0, 640, 480), (64.0, 48.0, 64.0, 48.0, 640, 480)]
    )]
    expected = [box(0, 0, 100, 100), box(100, 100, 200, 200)]
    assert coco_to_grid(*chunked).to_pylist() == expected
    as_numpy = [np.asarray(c) for c in ([0.0, 64.0], [0.0, 48.0], [64.0, 64.0], [48.0, 48.0])]
    sizes = [np.array([640, 640], dtype=np.int32), np.array([480, 480], dtype=np.int64)]
    assert coco_to_grid(*as_numpy, *sizes).to_pylist() == expected
    from_lists = coco_to_grid([0.0, None], [0.0, 0.0], [64, 1], [48, 1], [640, 640], [480, 480])
    assert from_lists.to_pylist() == [box(0, 0, 100, 100), None]
    inputs = [pa.array(v) for v in ([0.0], [0.0], [64.0], [48.0])]
    coco_to_grid(*inputs, pa.array([640], pa.int32()), pa.array([480], pa.int32()))
    assert inputs[0].to_pylist() == [0.0]  # inputs are never written to


def test_empty_input() -> None:
    empty = coco_to_grid([], [], [], [], [], [])
    assert len(empty) == 0 and empty.type == GRID_TYPE
    assert len(coco_to_llava([], [], [], [], [], [])) == 0
    assert len(coco_to_qwen25vl([], [], [], [], [], [])) == 0
    assert len(grid_to_coco([], [], [], [], [], [])) == 0


# --------------------------------------------------------------------------------------
# The SQL oracle (the dbt macro) on column types the UDF sees
# --------------------------------------------------------------------------------------


def test_sql_twin_takes_integer_and_decimal_columns(conn: duckdb.DuckDBPyConnection) -> None:
    """Integer COCO coordinates (JSON ints) go through the same DOUBLE arithmetic.

    The UDF's signature is (DOUBLE x4, INTEGER x2) and DuckDB does not narrow BIGINT to
    INTEGER implicitly, so BIGINT sizes need an explicit cast there; the SQL twin casts.
    """
    udf = "bbox_coco_to_grid(x, y, w, h, width_px::INTEGER, height_px)"
    out = conn.execute(
        f"SELECT {udf} IS NOT DISTINCT FROM {REF_SQL}, {REF_SQL} FROM (VALUES "
        "(40, 30, 40::BIGINT, 30.0::DECIMAL(9,2), 640::BIGINT, 480::SMALLINT)"
        ") t(x, y, w, h, width_px, height_px)"
    ).fetchall()
    assert out == [(True, box(63, 63, 125, 125))]


# --------------------------------------------------------------------------------------
# Properties (hypothesis)
# --------------------------------------------------------------------------------------

sides = st.integers(min_value=1, max_value=10_000)
any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)
wide_float = st.floats(min_value=-1e6, max_value=1e6)


@st.composite
def valid_rows(draw: st.DrawFn) -> Row:
    """Finite boxes with w, h >= 0 anywhere around (and far outside) the image."""
    width, height = draw(sides), draw(sides)
    return (
        draw(wide_float),
        draw(wide_float),
        draw(st.floats(min_value=0, max_value=1e6)),
        draw(st.floats(min_value=0, max_value=1e6)),
        width,
        height,
    )


@st.composite
def inside_rows(draw: st.DrawFn) -> Row:
    """Boxes inside the image: 0 <= x <= x + w <= width_px, same for y."""
    width, height = draw(sides), draw(sides)
    x1, x2 = sorted(draw(st.floats(0, 1)) * width for _ in range(2))
    y1, y2 = sorted(draw(st.floats(0, 1)) * height for _ in range(2))
    return (x1, y1, x2 - x1, y2 - y1, width, height)


@st.composite
def hostile_rows(draw: st.DrawFn) -> Row:
    """Anything: NULL, NaN, inf, huge, negative sizes, zero or negative image sides."""
    coordinate = st.one_of(st.none(), any_float, st.sampled_from([0.0, -0.0, 0.5, 0.32, 1e308]))
    side = st.one_of(st.none(), st.integers(-3, 3), sides, st.just(2**31 - 1))
    x, y, w, h = (draw(coordinate) for _ in range(4))
    return (x, y, w, h, draw(side), draw(side))


batches = settings(max_examples=150)


@batches
@given(st.lists(valid_rows(), min_size=1, max_size=40))
def test_grid_is_ordered_clamped_and_flags_collapse(rows: list[Row]) -> None:
    for row, out in zip(rows, grid(rows)):
        assert out is not None
        assert 0 <= out["ymin"] <= out["ymax"] <= 1000
        assert 0 <= out["xmin"] <= out["xmax"] <= 1000
        assert out["is_collapsed"] == (out["ymin"] == out["ymax"] or out["xmin"] == out["xmax"])
        assert out == reference_grid(*row)


@batches
@given(st.lists(hostile_rows(), min_size=1, max_size=40))
def test_grid_matches_the_python_contract_on_hostile_input(rows: list[Row]) -> None:
    assert grid(rows) == [reference_grid(*row) for row in rows]


@settings(  # this list replaces the suite's profile's (tests/conftest.py): extend it
    max_examples=60,
    suppress_health_check=[*settings().suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.one_of(hostile_rows(), valid_rows()), min_size=1, max_size=60))
def test_udf_and_sql_agree_on_hostile_input(
    conn: duckdb.DuckDBPyConnection, rows: list[Row]
) -> None:
    udf, ref = udf_and_sql(conn, rows)
    assert udf == ref == [reference_grid(*row) for row in rows]


@batches
@given(st.lists(inside_rows(), min_size=1, max_size=40))
def test_round_trip_error_is_at_most_half_a_grid_cell(rows: list[Row]) -> None:
    g = coco_to_grid(*columns(rows))
    back = grid_to_coco(*(g.field(f) for f in ("ymin", "xmin", "ymax", "xmax")), *columns(rows)[4:])
    for (x, y, w, h, width, height), out in zip(rows, back.to_pylist()):
        half_x, half_y = 0.5 * width / 1000, 0.5 * height / 1000
        eps = 1e-9 * max(width, height)  # float64 noise on top of the exact bound
        assert abs(out["x"] - x) <= half_x + eps
        assert abs(out["x"] + out["w"] - (x + w)) <= half_x + eps
        assert abs(out["y"] - y) <= half_y + eps
        assert abs(out["y"] + out["h"] - (y + h)) <= half_y + eps


@batches
@given(st.lists(st.one_of(valid_rows(), inside_rows()), min_size=1, max_size=40))
def test_llava_values_are_two_decimals_in_unit_range(rows: list[Row]) -> None:
    for out in coco_to_llava(*columns(rows)).to_pylist():
        assert out is not None
        x1, y1, x2, y2 = out
        assert 0.0 <= x1 <= x2 <= 1.0 and 0.0 <= y1 <= y2 <= 1.0
        assert all(v == round(v, 2) for v in out)


@batches
@given(st.lists(st.one_of(valid_rows(), inside_rows()), min_size=1, max_size=40))
def test_qwen25vl_boxes_lie_on_the_resized_image(rows: list[Row]) -> None:
    for row, out in zip(rows, coco_to_qwen25vl(*columns(rows)).to_pylist()):
        width, height = row[4], row[5]
        if max(width, height) / min(width, height) > 200:
            assert out is None
            continue
        new_h, new_w = smart_resize(height, width)
        x1, y1, x2, y2 = out
        assert 0 <= x1 <= x2 <= new_w - 1 and 0 <= y1 <= y2 <= new_h - 1


# --------------------------------------------------------------------------------------
# grid_to_coco, coco_to_llava, coco_to_qwen25vl, smart_resize
# --------------------------------------------------------------------------------------


def test_grid_to_coco_units() -> None:
    out = grid_to_coco(
        [0, 100, None, 0, 0, 500],
        [0, 250, 0, 0, 0, 0],
        [1000, 200, 10, 10, 1001, 400],
        [1000, 500, 10, 10, 10, 10],
        [640, 640, 640, 0, 640, 640],
        [480, 480, 480, 480, 480, 480],
    ).to_pylist()
    assert out[0] == dict(x=0.0, y=0.0, w=640.0, h=480.0)
    assert out[1] == pytest.approx(dict(x=160.0, y=48.0, w=160.0, h=48.0))
    assert out[2:] == [None, None, None, None]  # NULL, zero width, outside 0..1000, inverted


def test_llava_units() -> None:
    # the LLaVA-1.5 example [0.61, 0.36, 0.92, 0.83] on a 640 x 428 image
    out = coco_to_llava([390.4], [154.08], [198.4], [201.16], [640], [428]).to_pylist()
    assert out == [[0.61, 0.36, 0.92, 0.83]]
    # 80 / 640 = 0.125 exactly: half UP -> 0.13; clamped to [0, 1]; NULLs
    out = coco_to_llava([80.0, -50.0, None], [0.0, 0.0, 0.0], [10.0, 1000.0, 1.0],
                        [10.0, 10.0, 1.0], [640, 640, 640], [480, 480, 480]).to_pylist()
    assert out == [[0.13, 0.0, 0.14, 0.02], [0.0, 0.0, 1.0, 0.02], None]


def test_smart_resize_known_values() -> None:
    assert smart_resize(428, 640) == (420, 644)  # consumers.md: 640x428 -> 644x420
    assert smart_resize(28, 28) == (56, 56)  # below min_pixels: ceil-scaled
    h, w = smart_resize(3000, 4000)  # above max_pixels: floor-scaled
    assert (h % 28, w % 28) == (0, 0) and h * w <= QWEN_MAX_PIXELS
    with pytest.raises(ValueError):
        smart_resize(10, 2500)  # aspect ratio 250 > 200
    with pytest.raises(ValueError):
        smart_resize(0, 640)


def qwen_vl_utils_smart_resize(height: int, width: int, factor: int = 28,
                               min_pixels: int = QWEN_MIN_PIXELS,
                               max_pixels: int = QWEN_MAX_PIXELS) -> tuple[int, int]:
    """qwen_vl_utils.smart_resize (Qwen2.5-VL), transcribed with Python ints and math."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError("aspect ratio")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


@settings(max_examples=500)
@given(st.integers(1, 20_000), st.integers(1, 20_000))
def test_smart_resize_matches_qwen_vl_utils(height: int, width: int) -> None:
    if max(height, width) / min(height, width) > 200:
        with pytest.raises(ValueError):
            smart_resize(height, width)
    else:
        assert smart_resize(height, width) == qwen_vl_utils_smart_resize(height, width)


def test_smart_resize_rounds_halves_to_even_like_python() -> None:
    # 70 / 28 = 2.5 -> round() gives 2 (even), so 56, not 84; 42 / 28 = 1.5 -> 2 -> 56
    assert smart_resize(70, 2800) == qwen_vl_utils_smart_resize(70, 2800) == (56, 2800)


def test_qwen25vl_units() -> None:
    out = coco_to_qwen25vl(
        [10.0, 600.0, 0.0, None],
        [20.0, 400.0, 0.0, 0.0],
        [100.0, 40.0, 1.0, 1.0],
        [50.0, 28.0, 1.0, 1.0],
        [640, 640, 10_000, 640],
        [428, 428, 10, 428],
    ).to_pylist()
    # 640x428 -> 644x420: 10/640*644 = 10.06 -> 10, 20/428*420 = 19.6 -> 20, ...
    assert out[0] == [10, 20, 111, 69]
    assert out[1] == [604, 393, 643, 419]  # right/bottom edges clamped to w'-1, h'-1
    assert out[2:] == [None, None]  # aspect ratio 1000 > 200; NULL


# --------------------------------------------------------------------------------------
# One million boxes: the UDF and the SQL twin agree exactly
# --------------------------------------------------------------------------------------


def million_boxes(n: int = 1_000_000, seed: int = 20_240_601) -> pa.Table:
    """Random boxes with many coordinates on (or one ulp from) half grid cells."""
    rng = np.random.default_rng(seed)
    part = n // 5
    width = rng.integers(1, 5000, n).astype(np.int32)
    height = rng.integers(1, 5000, n).astype(np.int32)
    x = (rng.random(n) * 1.2 - 0.1) * width
    y = (rng.random(n) * 1.2 - 0.1) * height
    w = rng.random(n) ** 2 * 0.6 * width
    h = rng.random(n) ** 2 * 0.6 * height
    # part 1: a 640 x 480 image, coordinates multiples of 0.32 / 0.24 px = half cells
    s = slice(part, 2 * part)
    width[s], height[s] = 640, 480
    x[s], w[s] = rng.integers(-50, 2050, part) * 0.32, rng.integers(0, 500, part) * 0.32
    y[s], h[s] = rng.integers(-50, 2050, part) * 0.24, rng.integers(0, 500, part) * 0.24
    # part 2: any image, edges exactly on computed half cells (k + 0.5) * side / 1000
    s = slice(2 * part, 3 * part)
    x[s] = (rng.integers(0, 1000, part) + 0.5) * width[s] / 1000
    y[s] = (rng.integers(0, 1000, part) + 0.5) * height[s] / 1000
    w[s] = rng.integers(0, 300, part) * width[s] / 1000
    h[s] = rng.integers(0, 300, part) * height[s] / 1000
    # part 3: integer COCO coordinates
    s = slice(3 * part, 4 * part)
    x[s], y[s], w[s], h[s] = (np.floor(v[s]) for v in (x, y, w, h))
    # part 4, every 50th row: invalid (NaN, inf, negative size, empty image, ...)
    bad = np.arange(4 * part, n, 50)
    x[bad[0::5]] = np.nan
    h[bad[1::5]] = np.inf
    w[bad[2::5]] = -1.0
    width[bad[3::5]] = 0
    height[bad[4::5]] = -7
    null_x = np.zeros(n, dtype=bool)
    null_x[bad + 1] = True  # and NULLs
    return pa.table({
        "x": pa.array(x, mask=null_x), "y": y, "w": w, "h": h,
        "width_px": width, "height_px": height,
    })


def test_udf_equals_sql_on_a_million_boxes(conn: duckdb.DuckDBPyConnection) -> None:
    started = time.perf_counter()
    table = million_boxes()
    conn.register("million", table)
    try:
        mismatches, nulls, rows, order_sensitive = conn.execute(f"""
            SELECT count_if(udf IS DISTINCT FROM ref), count_if(udf IS NULL), count(*),
                   -- rows where x * 1000 / width would round differently from x / width * 1000:
                   -- proof that the data probes the operation order, not just the formula
                   count_if(floor(x * 1000 / width_px + 0.5) <> floor(x / width_px * 1000 + 0.5))
            FROM (SELECT {UDF_SQL} AS udf, {REF_SQL} AS ref, x, width_px FROM million)
        """).fetchall()[0]
    finally:
        conn.unregister("million")
    assert rows == 1_000_000
    assert mismatches == 0
    assert nulls == 2 * len(range(4 * (1_000_000 // 5), 1_000_000, 50))  # invalid + NULL rows
    assert order_sensitive > 0
    assert time.perf_counter() - started < 10
