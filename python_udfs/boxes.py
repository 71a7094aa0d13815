"""Bounding-box conversions between COCO pixels, the 0..1000 grid and trainer conventions.

Pure, vectorized numpy / pyarrow functions (no DuckDB here: ``python_udfs.dbt_plugin``
registers them as arrow UDFs). Every function takes column-like inputs (``pa.Array``,
``pa.ChunkedArray``, ``np.ndarray`` or a plain sequence, ``None`` meaning NULL) of equal
length and returns one ``pa.Array`` of that length.

Conventions shared by all COCO-input functions:

* COCO boxes are ``[x, y, w, h]`` in pixels of the raw image (``width_px`` x ``height_px``).
* A row is NULL in the output when any input is NULL, when the image size is not
  positive, when a coordinate is not finite (NaN, +-inf) or when ``w`` or ``h`` is
  negative. Nothing raises on bad rows: the NULL is the signal.
* Rounding is always half UP (``floor(v + 0.5)``), never truncation and never
  banker's rounding, computed in float64 with the operation order
  ``coordinate / image_side * scale + 0.5``. The pure-SQL reference
  (the dbt macro ``bbox_coco_to_grid_sql``, kept as the tests' oracle) performs the
  same IEEE-754 operations in the same order, so both agree bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pyarrow as pa

ArrayLike: TypeAlias = pa.Array | pa.ChunkedArray | np.ndarray | Sequence[float | None]
"""A column of numbers; ``None`` (or an arrow NULL) is a NULL."""

GRID_SIZE = 1000
"""The grid: coordinates are integers in ``0..GRID_SIZE`` (PaLI / Gemini / Qwen2-VL)."""

GRID_TYPE = pa.struct(
    [
        ("ymin", pa.int32()),
        ("xmin", pa.int32()),
        ("ymax", pa.int32()),
        ("xmax", pa.int32()),
        ("is_collapsed", pa.bool_()),
    ]
)
_GRID_FIELDS = list(GRID_TYPE)
GRID_SQL_TYPE = (
    "STRUCT(ymin INTEGER, xmin INTEGER, ymax INTEGER, xmax INTEGER, is_collapsed BOOLEAN)"
)

COCO_TYPE = pa.struct(
    [("x", pa.float64()), ("y", pa.float64()), ("w", pa.float64()), ("h", pa.float64())]
)
_COCO_FIELDS = list(COCO_TYPE)
COCO_SQL_TYPE = "STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)"

LLAVA_TYPE = pa.list_(pa.float64(), 4)
LLAVA_SQL_TYPE = "DOUBLE[4]"
QWEN25VL_TYPE = pa.list_(pa.int32(), 4)
QWEN25VL_SQL_TYPE = "INTEGER[4]"

# Qwen2.5-VL image pre-processing (qwen-vl-utils `smart_resize`, and the defaults of the
# Qwen2.5-VL grounding cookbook / `process_bbox` notebook).
QWEN_FACTOR = 28
QWEN_MIN_PIXELS = 56 * 56  # 3,136
QWEN_MAX_PIXELS = 14 * 14 * 4 * 1280  # 1,003,520
QWEN_MAX_RATIO = 200


# --------------------------------------------------------------------------------------
# Shared numpy machinery
# --------------------------------------------------------------------------------------


def _column(values: ArrayLike) -> np.ndarray:
    """A numeric numpy view of a column with NULL -> NaN (which every validity check rejects).

    Callers copy the result into their own float64 buffers: this never writes into
    ``values`` and is zero-copy for a NULL-free arrow array.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    elif isinstance(values, np.ndarray):
        return values
    elif not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.float64())
    if values.null_count and not pa.types.is_floating(values.type):
        values = values.cast(pa.float64())  # to_numpy turns float NULLs into NaN
    return values.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class _Boxes:
    """COCO boxes laid out for one vectorized pass.

    ``edges`` is ``(2, 2, n)`` float64: ``edges[0]`` = ``[y, x]`` (the min edges),
    ``edges[1]`` = ``[y + h, x + w]`` (the max edges). ``sides`` is ``(2, n)`` float64
    ``[height_px, width_px]``. Rows that are not ``valid`` hold harmless placeholder
    values (edges 0, sides 1) so later arithmetic raises no warning.
    """

    edges: np.ndarray
    sides: np.ndarray
    null_mask: np.ndarray | None  # True where the output row is NULL; None: no NULL row


def _coco_boxes(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> _Boxes:
    """Gather COCO columns into :class:`_Boxes` and decide which rows are NULL."""
    n = len(x)
    buf = np.empty((6, n))  # rows: y, x, h, w, height_px, width_px
    for row, column in enumerate((y, x, h, w, height_px, width_px)):
        buf[row] = _column(column)
    edges, sides = buf[:4].reshape(2, 2, n), buf[4:]
    null_mask = None
    with np.errstate(over="ignore", invalid="ignore"):
        # Fast path: one sum says "no NaN / inf anywhere" (a sum that overflows only
        # sends a valid chunk down the exact path), then two minimums.
        all_valid = n == 0 or (
            math.isfinite(buf.sum()) and buf[2:4].min() >= 0 and sides.min() > 0
        )
        if not all_valid:
            ok = np.isfinite(buf).all(axis=0) & (buf[2:4] >= 0).all(axis=0)
            ok &= (sides > 0).all(axis=0)
            null_mask = ~ok
            buf[:4, null_mask] = 0.0
            sides[:, null_mask] = 1.0
        np.add(edges[1], edges[0], out=edges[1])  # [h, w] -> [y + h, x + w]
    return _Boxes(edges, sides, null_mask)


def _quantise(
    boxes: _Boxes, scale: float | np.ndarray, upper: float | np.ndarray
) -> np.ndarray:
    """``clamp(floor(edge / side * scale + 0.5), 0, upper)`` for every edge, as int32.

    ``scale`` and ``upper`` are scalars or ``(2, n)`` arrays ``[for y, for x]``.
    Returns ``(2, 2, n)`` int32 laid out like ``boxes.edges``: ``[[y1, x1], [y2, x2]]``.
    Consumes ``boxes`` (computes in place).
    """
    v = boxes.edges
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(v, boxes.sides, out=v)
        np.multiply(v, scale, out=v)
        np.add(v, 0.5, out=v)
        # After clamping to [0, upper], truncation (astype) equals floor: saves a pass.
        np.clip(v, 0.0, upper, out=v)
    return v.astype(np.int32)


def _as_xyxy_rows(q: np.ndarray) -> np.ndarray:
    """``(2, 2, n)`` ``[[y1, x1], [y2, x2]]`` -> flat row-major ``[x1, y1, x2, y2]`` * n."""
    return np.ascontiguousarray(q[:, ::-1, :].reshape(4, -1).T).ravel()


def _mask(null_mask: np.ndarray | None) -> pa.Array | None:
    return None if null_mask is None else pa.array(null_mask, type=pa.bool_())


def _list4(values: np.ndarray, null_mask: np.ndarray | None) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(values), 4, mask=_mask(null_mask))


# --------------------------------------------------------------------------------------
# Public conversions
# --------------------------------------------------------------------------------------


def coco_to_grid(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.StructArray:
    """COCO ``[x, y, w, h]`` pixels -> ``[ymin, xmin, ymax, xmax]`` on the 0..1000 grid.

    In: COCO box columns (float pixels) and the raw image size (positive ints).
    Out: ``struct<ymin, xmin, ymax, xmax: int32, is_collapsed: bool>`` (y first, the
    PaLI / Gemini order) with, exactly::

        xmin = clamp(floor(x / width_px * 1000 + 0.5), 0, 1000)
        xmax = clamp(floor((x + w) / width_px * 1000 + 0.5), 0, 1000)

    and the same for y with ``height_px``. ``is_collapsed`` is true when the box has
    zero extent on the grid (``ymin == ymax or xmin == xmax``). NULL rows: see the
    module docstring. Matches the macro ``bbox_coco_to_grid_sql`` bit for bit.
    """
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    q = _quantise(boxes, float(GRID_SIZE), float(GRID_SIZE))
    n = q.shape[2]
    flat = q.reshape(4, n)
    same = q[0] == q[1]  # (2, n): [ymin == ymax, xmin == xmax]
    collapsed = np.logical_or(same[0], same[1], out=same[0])
    children = [pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(row)]) for row in flat]
    children.append(pa.array(collapsed))
    return pa.StructArray.from_arrays(children, fields=_GRID_FIELDS, mask=_mask(boxes.null_mask))


def grid_to_coco(
    ymin: ArrayLike,
    xmin: ArrayLike,
    ymax: ArrayLike,
    xmax: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.StructArray:
    """Grid ``[ymin, xmin, ymax, xmax]`` (0..1000) -> COCO ``[x, y, w, h]`` float pixels.

    In: grid box columns (integers) and the raw image size. Out:
    ``struct<x, y, w, h: float64>`` with ``x = xmin / 1000 * width_px``,
    ``w = xmax / 1000 * width_px - x`` (y, h likewise), for drawing boxes back onto
    images. For a box inside the image, each edge lands within half a grid cell
    (``0.5 * side / 1000`` px) of the original COCO edge.
    NULL when an input is NULL, the image size is not positive, a grid value is outside
    0..1000 or a box is inverted (``min > max``).
    """
    n = len(ymin)
    grid = np.empty((2, 2, n))
    flat = grid.reshape(4, n)
    flat[0], flat[1], flat[2], flat[3] = _column(ymin), _column(xmin), _column(ymax), _column(xmax)
    sides = np.empty((2, n))
    sides[0], sides[1] = _column(height_px), _column(width_px)
    with np.errstate(invalid="ignore"):
        ok = (
            np.isfinite(sides).all(axis=0)
            & (sides > 0).all(axis=0)
            & ((flat >= 0) & (flat <= GRID_SIZE)).all(axis=0)
            & (grid[0] <= grid[1]).all(axis=0)
        )
    null_mask = None if ok.all() else ~ok
    if null_mask is not None:
        flat[:, null_mask] = 0.0
    pixels = grid / GRID_SIZE * sides  # [[y1, x1], [y2, x2]] in pixels
    extent = pixels[1] - pixels[0]  # [h, w]
    children = [pa.array(c) for c in (pixels[0][1], pixels[0][0], extent[1], extent[0])]
    return pa.StructArray.from_arrays(children, fields=_COCO_FIELDS, mask=_mask(null_mask))


def coco_to_llava(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """COCO ``[x, y, w, h]`` pixels -> LLaVA-1.5 ``[x1, y1, x2, y2]`` on 0..1, 2 decimals.

    In: COCO box columns and the RAW (unpadded) image size. Out:
    ``fixed_size_list<float64>[4]``: each value is ``clamp(floor(v * 100 + 0.5), 0, 100)
    / 100`` with ``v = coordinate / side`` (half-up to 2 decimals, always in [0, 1]),
    e.g. ``[0.61, 0.36, 0.92, 0.83]``. Relative to the raw image, NOT the image padded to
    a square (LLaVA's own data is disputed on that point: record which one an export
    uses). NULL rows: see the module docstring.
    """
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    q = _quantise(boxes, 100.0, 100.0)
    return _list4(_as_xyxy_rows(q) / 100.0, boxes.null_mask)


def coco_to_qwen25vl(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """COCO ``[x, y, w, h]`` pixels -> Qwen2.5-VL ``bbox_2d`` ``[x1, y1, x2, y2]``.

    In: COCO box columns and the raw image size. Out: ``fixed_size_list<int32>[4]`` of
    absolute pixels on the image as Qwen2.5-VL sees it after :func:`smart_resize`
    (default factor / min / max pixels) of ``height_px x width_px`` to ``h' x w'``:
    ``x1 = clamp(floor(x / width_px * w' + 0.5), 0, w' - 1)`` and so on (half-up).
    NULL rows: see the module docstring, plus images whose aspect ratio exceeds 200
    (``smart_resize`` rejects them).
    """
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    resized, fits = _smart_resize_array(boxes.sides[0], boxes.sides[1])
    return _pixels_on_resized(boxes, resized, fits)


def _pixels_on_resized(boxes: _Boxes, resized: np.ndarray, fits: np.ndarray) -> pa.FixedSizeListArray:
    """``[x1, y1, x2, y2]`` in pixels of the resized image (``resized``: rows of h', w'),
    clamped to ``w' - 1`` / ``h' - 1``; NULL where the box is, or where the image does not
    fit the resize (aspect ratio above 200)."""
    null_mask = boxes.null_mask
    if not fits.all():
        null_mask = ~fits if null_mask is None else null_mask | ~fits
    q = _quantise(boxes, resized, resized - 1.0)
    return _list4(_as_xyxy_rows(q), null_mask)


# --------------------------------------------------------------------------------------
# Qwen2.5-VL smart_resize
# --------------------------------------------------------------------------------------


def _smart_resize_array(
    height: np.ndarray,
    width: np.ndarray,
    factor: int = QWEN_FACTOR,
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized :func:`smart_resize` on positive float64 sides.

    Returns ``(resized, fits)``: ``resized`` is ``(2, n)`` float64 ``[h', w']`` and
    ``fits`` is False where the aspect ratio exceeds ``QWEN_MAX_RATIO`` (the reference
    raises there; ``resized`` holds a harmless value).
    """
    sides = np.stack([height, width])
    fits = sides.max(axis=0) / sides.min(axis=0) <= QWEN_MAX_RATIO
    # Python's round() (what qwen-vl-utils uses) rounds halves to even, like np.rint.
    resized = np.maximum(factor, np.rint(sides / factor) * factor)
    pixels = height * width
    area = resized[0] * resized[1]
    too_big = area > max_pixels
    too_small = ~too_big & (area < min_pixels)
    if too_big.any():
        beta = np.sqrt(pixels / max_pixels)
        shrunk = np.maximum(factor, np.floor(sides / beta / factor) * factor)
        resized = np.where(too_big, shrunk, resized)
    if too_small.any():
        beta = np.sqrt(min_pixels / pixels)
        grown = np.ceil(sides * beta / factor) * factor
        resized = np.where(too_small, grown, resized)
    return resized, fits


def smart_resize(
    height: int,
    width: int,
    factor: int = QWEN_FACTOR,
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
) -> tuple[int, int]:
    """The image size ``(h', w')`` Qwen2.5-VL resizes a ``height x width`` image to.

    Same rule as ``qwen_vl_utils.smart_resize`` (Qwen2.5-VL): each side rounded to a
    multiple of ``factor`` (Python ``round``, halves to even, at least ``factor``); if
    the area exceeds ``max_pixels``, both sides are scaled down by
    ``sqrt(height * width / max_pixels)`` and floored to a multiple of ``factor``; if it
    is below ``min_pixels``, scaled up by ``sqrt(min_pixels / (height * width))`` and
    ceiled. Raises ``ValueError`` for non-positive sides or an aspect ratio above 200.
    Example: 640 x 428 (w x h) -> ``smart_resize(428, 640) == (420, 644)``.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image sides must be positive, got {height} x {width}")
    resized, fits = _smart_resize_array(
        np.array([height], dtype=np.float64),
        np.array([width], dtype=np.float64),
        factor,
        min_pixels,
        max_pixels,
    )
    if not fits[0]:
        raise ValueError(
            f"absolute aspect ratio must be at most {QWEN_MAX_RATIO}, got {height} x {width}"
        )
    return int(resized[0, 0]), int(resized[1, 0])


# --------------------------------------------------------------------------------------
# More trainer conventions (Qwen3-VL, InternVL, ms-swift, LLaMA-Factory's Qwen2.5-VL resize)
# --------------------------------------------------------------------------------------

REL1000_TYPE = pa.list_(pa.int32(), 4)
REL1000_SQL_TYPE = "INTEGER[4]"
PIXELS_TYPE = pa.list_(pa.float64(), 4)
PIXELS_SQL_TYPE = "DOUBLE[4]"

# LLaMA-Factory's defaults (``ProcessorArguments``): every image is first shrunk to at most
# ``image_max_pixels`` (sides scaled by sqrt(max / area) and truncated with int()), grown
# to at least ``image_min_pixels``, and for Qwen2-VL-family plugins given sides of at least
# 28; then the model's image processor applies smart_resize (Qwen2.5-VL's processor config:
# factor 28, 3,136 .. 12,845,056 pixels). Sides stretched past 200:1 are squeezed to 180:1
# by its plugin, so every image gets a frame.
LLAMAFACTORY_IMAGE_MAX_PIXELS = 768 * 768  # 589,824
LLAMAFACTORY_IMAGE_MIN_PIXELS = 32 * 32
QWEN25VL_PROCESSOR_MAX_PIXELS = 16384 * 28 * 28  # 12,845,056


def coco_to_rel1000_xyxy(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """COCO ``[x, y, w, h]`` pixels -> ``[x1, y1, x2, y2]`` integers on a relative 0..1000 grid.

    The Qwen2-VL / Qwen3-VL / InternVL 2.5-3 convention: ``round(v / side * 1000)``
    (half up) clamped to 0..1000, x first. Out: ``fixed_size_list<int32>[4]``; the same
    numbers as :func:`coco_to_grid` in x-first order. NULL rows: see the module docstring.
    """
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    q = _quantise(boxes, float(GRID_SIZE), float(GRID_SIZE))
    return _list4(_as_xyxy_rows(q), boxes.null_mask)


def coco_to_pixels_xyxy(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """COCO ``[x, y, w, h]`` pixels -> ``[x1, y1, x2, y2]`` real pixels of the raw image.

    ms-swift's ``bbox_type: real``: swift itself rescales per model. Each edge is
    clamped to ``0..side`` and rounded half up to 2 decimals. Out:
    ``fixed_size_list<float64>[4]``. NULL rows: see the module docstring.
    """
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    v = boxes.edges  # [[y1, x1], [y2, x2]] pixels
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.clip(v, 0.0, boxes.sides)
        v = np.floor(v * 100.0 + 0.5) / 100.0
    flat = np.ascontiguousarray(v[:, ::-1, :].reshape(4, -1).T).ravel()
    return _list4(flat, boxes.null_mask)


def _llamafactory_preresize(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    """LLaMA-Factory's own image pre-processing at its defaults -> ``(2, n)`` ``[h, w]``."""
    h, w = height.astype(np.float64).copy(), width.astype(np.float64).copy()
    area = h * w
    big = area > LLAMAFACTORY_IMAGE_MAX_PIXELS
    if big.any():
        f = np.sqrt(LLAMAFACTORY_IMAGE_MAX_PIXELS / area)
        h = np.where(big, np.floor(h * f), h)
        w = np.where(big, np.floor(w * f), w)
    small = h * w < LLAMAFACTORY_IMAGE_MIN_PIXELS
    if small.any():
        f = np.sqrt(LLAMAFACTORY_IMAGE_MIN_PIXELS / np.maximum(h * w, 1.0))
        h = np.where(small, np.floor(h * f), h)
        w = np.where(small, np.floor(w * f), w)
    h, w = np.maximum(h, QWEN_FACTOR), np.maximum(w, QWEN_FACTOR)
    # its Qwen2-VL plugin squeezes an image longer than 200:1 to 180:1
    w = np.where(w / h > QWEN_MAX_RATIO, h * 180, w)
    h = np.where(h / w > QWEN_MAX_RATIO, w * 180, h)
    return np.stack([h, w])


def llamafactory_qwen25vl_size(height: int, width: int) -> tuple[int, int]:
    """The ``(h', w')`` a Qwen2.5-VL model sees when LLaMA-Factory trains on a
    ``height x width`` image at its defaults: LLaMA-Factory's ``image_max_pixels``
    (768*768) shrink, then smart_resize (factor 28, max 12,845,056 px).
    Example: 1280 x 960 (w x h) -> 886 x 664 -> ``(672, 896)``."""
    pre = _llamafactory_preresize(np.array([height], float), np.array([width], float))
    resized, fits = _smart_resize_array(pre[0], pre[1], max_pixels=QWEN25VL_PROCESSOR_MAX_PIXELS)
    if not fits[0]:
        raise ValueError(f"absolute aspect ratio must be at most {QWEN_MAX_RATIO}, got {height} x {width}")
    return int(resized[0, 0]), int(resized[1, 0])


def coco_to_qwen25vl_llamafactory(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """COCO ``[x, y, w, h]`` -> Qwen2.5-VL ``bbox_2d`` pixels on the image as LLaMA-Factory
    hands it to the model at its defaults (:func:`llamafactory_qwen25vl_size`), half up,
    clamped to ``w' - 1`` / ``h' - 1``. Out: ``fixed_size_list<int32>[4]``."""
    boxes = _coco_boxes(x, y, w, h, width_px, height_px)
    pre = _llamafactory_preresize(boxes.sides[0], boxes.sides[1])
    resized, fits = _smart_resize_array(pre[0], pre[1], max_pixels=QWEN25VL_PROCESSOR_MAX_PIXELS)
    return _pixels_on_resized(boxes, resized, fits)


# --------------------------------------------------------------------------------------
# Back to pixels, and the overlap with the source box
# --------------------------------------------------------------------------------------


def scaled_to_pixels(
    x1: ArrayLike,
    y1: ArrayLike,
    x2: ArrayLike,
    y2: ArrayLike,
    scale_w: ArrayLike,
    scale_h: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
) -> pa.FixedSizeListArray:
    """A box given on a ``scale_w x scale_h`` frame -> ``[x1, y1, x2, y2]`` raw-image pixels.

    ``v / scale * side`` per edge (x with widths, y with heights): the inverse of every
    convention here (scale 1 for LLaVA, 1000 for the grids, the resized image's sides for
    Qwen2.5-VL, the raw sides for real pixels). Out: ``fixed_size_list<float64>[4]``, NULL
    where an input is NULL or not finite or a scale or side is not positive.
    """
    cols = np.empty((8, len(x1)))
    for i, c in enumerate((x1, y1, x2, y2, scale_w, scale_h, width_px, height_px)):
        cols[i] = _column(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(cols).all(axis=0) & (cols[4:] > 0).all(axis=0)
        sx, sy = cols[6] / cols[4], cols[7] / cols[5]
        out = np.stack([cols[0] * sx, cols[1] * sy, cols[2] * sx, cols[3] * sy])
    out[:, ~ok] = 0.0
    return _list4(np.ascontiguousarray(out.T).ravel(), None if ok.all() else ~ok)


def iou_xyxy(
    ax1: ArrayLike, ay1: ArrayLike, ax2: ArrayLike, ay2: ArrayLike,
    bx1: ArrayLike, by1: ArrayLike, bx2: ArrayLike, by2: ArrayLike,
) -> pa.DoubleArray:
    """Intersection over union of two ``[x1, y1, x2, y2]`` boxes per row, in 0..1.

    NULL where an input is NULL or not finite; 0 where the union is empty or a box is
    inverted (it covers nothing).
    """
    c = np.empty((8, len(ax1)))
    for i, col in enumerate((ax1, ay1, ax2, ay2, bx1, by1, bx2, by2)):
        c[i] = _column(col)
    ok = np.isfinite(c).all(axis=0)
    c[:, ~ok] = 0.0
    area_a = np.clip(c[2] - c[0], 0, None) * np.clip(c[3] - c[1], 0, None)
    area_b = np.clip(c[6] - c[4], 0, None) * np.clip(c[7] - c[5], 0, None)
    iw = np.clip(np.minimum(c[2], c[6]) - np.maximum(c[0], c[4]), 0, None)
    ih = np.clip(np.minimum(c[3], c[7]) - np.maximum(c[1], c[5]), 0, None)
    inter = iw * ih
    union = area_a + area_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return pa.array(iou, mask=None if ok.all() else ~ok)


# --------------------------------------------------------------------------------------
# The conventions by name (seeds/export_profiles.csv `box_kind` names one per profile)
# --------------------------------------------------------------------------------------


def _unit_scale(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    return np.ones((2, len(height)))


def _grid_scale(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    return np.full((2, len(height)), float(GRID_SIZE))


def _raw_scale(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    return np.stack([height, width]).astype(np.float64)


def _smart_scale(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    return _smart_resize_array(height.astype(np.float64), width.astype(np.float64))[0]


def _llamafactory_scale(height: np.ndarray, width: np.ndarray) -> np.ndarray:
    pre = _llamafactory_preresize(np.asarray(height, float), np.asarray(width, float))
    return _smart_resize_array(pre[0], pre[1], max_pixels=QWEN25VL_PROCESSOR_MAX_PIXELS)[0]


def _grid_yxyx(*coco: ArrayLike) -> pa.FixedSizeListArray:
    g = coco_to_grid(*coco)
    flat = np.stack([g.field(k).to_numpy(zero_copy_only=False) for k in ("ymin", "xmin", "ymax", "xmax")])
    null = None if g.null_count == 0 else np.asarray(g.is_null())
    flat = np.nan_to_num(flat.astype(np.float64)).astype(np.int32)
    return _list4(np.ascontiguousarray(flat.T).ravel(), null)


@dataclass(frozen=True)
class BoxConvention:
    """How a profile writes a box: ``forward`` (COCO columns -> 4 numbers, in the profile's
    own order), the frame those numbers live on (``scale(height, width) -> (2, n) [sy, sx]``),
    and whether the 4 numbers are y first."""

    forward: object
    scale: object
    is_y_first: bool = False

    def forward_matrix(self, *coco: np.ndarray) -> np.ndarray:
        """``forward`` of the COCO columns as an ``(n, 4)`` float64 matrix, a row of NaN
        where the box cannot be written in this convention (``forward`` gives NULL)."""
        boxes = self.forward(*coco)
        flat = boxes.values.slice(boxes.offset * 4, len(boxes) * 4)
        matrix = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=np.float64).reshape(-1, 4).copy()
        if boxes.null_count:
            matrix[np.asarray(boxes.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = np.nan
        return matrix

    def to_pixels(self, values: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
        """``(n, 4)`` numbers as the profile writes them -> ``(n, 4)`` ``[x1, y1, x2, y2]`` pixels."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, 4)
        if self.is_y_first:
            v = v[:, [1, 0, 3, 2]]
        s = self.scale(np.asarray(height, float), np.asarray(width, float))
        out = scaled_to_pixels(v[:, 0], v[:, 1], v[:, 2], v[:, 3], s[1], s[0], width, height)
        return np.asarray(out.flatten().to_numpy(zero_copy_only=False), dtype=np.float64).reshape(-1, 4)


CONVENTIONS: dict[str, BoxConvention] = {
    "llava_rel1_2dp": BoxConvention(coco_to_llava, _unit_scale),
    "grid_yxyx_1000": BoxConvention(_grid_yxyx, _grid_scale, is_y_first=True),
    "grid_xyxy_1000": BoxConvention(coco_to_rel1000_xyxy, _grid_scale),
    "qwen25vl_smart_resize": BoxConvention(coco_to_qwen25vl, _smart_scale),
    "qwen25vl_llamafactory_resize": BoxConvention(coco_to_qwen25vl_llamafactory, _llamafactory_scale),
    "pixels_xyxy": BoxConvention(coco_to_pixels_xyxy, _raw_scale),
}
"""Box kind (``seeds/export_profiles.csv`` column ``box_kind``) -> its convention."""
