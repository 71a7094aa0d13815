"""Back-rendering: the red box read back from the PNG is where the box was drawn, so a
correct answer's box lies on the source box and a shifted one visibly does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from quality.visual_audit import ANSWER_COLOR, PixelBox, render_box_audit, save_png

IMAGE = "000000000009.jpg"


def red_box_edges(png: Path, image_height: int) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) of the red outline inside the image area: the centres of the
    columns and rows where red pixels run along most of an edge."""
    pixels = np.asarray(Image.open(png).convert("RGB"))[:image_height]
    red = np.all(pixels == np.array(ANSWER_COLOR, dtype=np.uint8), axis=2)
    cols, rows = red.sum(axis=0), red.sum(axis=1)
    edge_cols = np.flatnonzero(cols >= 0.5 * cols.max())
    edge_rows = np.flatnonzero(rows >= 0.5 * rows.max())
    left, right = edge_cols[edge_cols < edge_cols.mean()], edge_cols[edge_cols > edge_cols.mean()]
    top, bottom = edge_rows[edge_rows < edge_rows.mean()], edge_rows[edge_rows > edge_rows.mean()]
    return left.mean(), top.mean(), right.mean(), bottom.mean()


def _draw(tmp_path: Path, source: PixelBox, answer: PixelBox, name: str) -> tuple[Path, int]:
    from tests.conftest import COCO128_IMAGES

    image_path = COCO128_IMAGES / IMAGE
    height = Image.open(image_path).height
    png = save_png(render_box_audit(image_path, source, answer, "bowl", ["red = answer", "green = COCO", "x"]),
                   tmp_path / name)
    return png, height


def test_a_correct_box_is_drawn_on_the_source_box(tmp_path, shared_datasets):
    source = PixelBox.from_coco(1.08, 187.69, 611.59, 285.84)
    answer = PixelBox(1.28, 187.68, 612.48, 473.76)  # the grid's round trip: within half a cell
    png, height = _draw(tmp_path, source, answer, "ok.png")
    x1, y1, x2, y2 = red_box_edges(png, height)
    for drawn, true in ((x1, source.x1), (y1, source.y1), (x2, source.x2), (y2, source.y2)):
        assert abs(drawn - true) <= 1.0


def test_a_shifted_box_is_drawn_off_the_source_box(tmp_path, shared_datasets):
    source = PixelBox.from_coco(100.0, 100.0, 200.0, 150.0)
    answer = PixelBox(160.0, 100.0, 360.0, 250.0)  # 60 px to the right
    png, height = _draw(tmp_path, source, answer, "shifted.png")
    x1, y1, x2, y2 = red_box_edges(png, height)
    assert abs(x1 - 160) <= 1 and abs(x2 - 360) <= 1
    assert x1 - source.x1 > 50 and x2 - source.x2 > 50
    assert abs(y1 - 100) <= 1 and abs(y2 - 250) <= 1
