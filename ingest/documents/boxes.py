"""Checks of boxes and quadrilaterals against their image: a reject reason, or None.

In: coordinates as they come from an annotation file (anything JSON or a CSV gives) and
the image's displayed size. Out: ``None`` when the shape can land, else ``(reason, why)``.
The order of the checks and the 1 px tolerance follow the COCO landing.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from ingest.documents.reasons import DocumentReason
from lakehouse.rejects import Reason

DEFAULT_TOLERANCE_PX = 1.0

Problem = tuple[StrEnum, str] | None


def as_number(value: Any) -> float | None:
    """A JSON/CSV value as a float (bools and non-numeric strings give None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def check_xyxy(
    box: Any, width: int, height: int, tolerance_px: float = DEFAULT_TOLERANCE_PX
) -> Problem:
    """A ``[x0, y0, x1, y1]`` box (FUNSD) inside a ``width`` x ``height`` image.

    Zero-size boxes land (FUNSD has a few one-character entities drawn as a line); boxes
    with ``x1 < x0`` or ``y1 < y0`` do not.
    """
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        return Reason.MALFORMED_RECORD, f"box {box!r:.80} is not a list of 4 numbers"
    values = [as_number(v) for v in box]
    if any(v is None for v in values):
        return Reason.MALFORMED_RECORD, f"box {box!r:.80} has a value that is not a number"
    x0, y0, x1, y1 = values  # type: ignore[misc]
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return Reason.NON_FINITE_BBOX, f"box {box!r:.80} has a value that is not finite"
    if x1 < x0 or y1 < y0:
        return Reason.NEGATIVE_BBOX, f"box {box!r:.80} ends before it starts (x1 < x0 or y1 < y0)"
    if (
        x0 < -tolerance_px
        or y0 < -tolerance_px
        or x1 > width + tolerance_px
        or y1 > height + tolerance_px
    ):
        return Reason.BBOX_OUT_OF_BOUNDS, (
            f"box {box!r:.80} reaches beyond the {width}x{height} image "
            f"by more than {tolerance_px:g} px"
        )
    return None


def parse_quad(parts: list[str]) -> tuple[list[float] | None, Problem]:
    """The 8 coordinates ``x1,y1,...,x4,y4`` of a quadrilateral from CSV fields."""
    if len(parts) < 8:
        return None, (
            DocumentReason.MALFORMED_QUAD,
            f"has {len(parts)} coordinate field(s) before the text; a quadrilateral needs 8",
        )
    values = [as_number(p) for p in parts[:8]]
    bad = [p for p, v in zip(parts[:8], values) if v is None]
    if bad:
        return None, (DocumentReason.MALFORMED_QUAD, f"coordinate {bad[0]!r:.40} is not a number")
    return values, None  # type: ignore[return-value]


def check_quad(
    quad: list[float], width: int, height: int, tolerance_px: float = DEFAULT_TOLERANCE_PX
) -> Problem:
    """A quadrilateral's 8 coordinates inside a ``width`` x ``height`` image."""
    if not all(math.isfinite(v) for v in quad):
        return Reason.NON_FINITE_BBOX, f"quadrilateral {quad} has a value that is not finite"
    xs, ys = quad[0::2], quad[1::2]
    if (
        min(xs) < -tolerance_px
        or min(ys) < -tolerance_px
        or max(xs) > width + tolerance_px
        or max(ys) > height + tolerance_px
    ):
        return Reason.BBOX_OUT_OF_BOUNDS, (
            f"quadrilateral {[round(v, 1) for v in quad]} reaches beyond the "
            f"{width}x{height} image "
            f"by more than {tolerance_px:g} px"
        )
    return None


def xyxy_to_xywh(x0: float, y0: float, x1: float, y1: float) -> dict[str, float]:
    """The ``x_px, y_px, w_px, h_px`` columns of a corner-to-corner box."""
    return {"x_px": float(x0), "y_px": float(y0), "w_px": float(x1 - x0), "h_px": float(y1 - y0)}


def quad_to_xywh(quad: list[float]) -> dict[str, float]:
    """The axis-aligned box around a quadrilateral, as ``x_px, y_px, w_px, h_px``."""
    xs, ys = quad[0::2], quad[1::2]
    return xyxy_to_xywh(min(xs), min(ys), max(xs), max(ys))
