"""Back-rendering of grounding boxes: the answer's box and the source COCO box, drawn on
the original image, so that a reviewer sees at once whether the box covers its object.

In: the original image file, the source COCO box and the box recovered from the answer's
0..1000 numbers (both as pixel corners ``x1, y1, x2, y2`` of the raw image, the frame the
COCO boxes are in: EXIF is not applied, and images with an EXIF orientation carry no
boxes), a label and caption lines. Out: a PNG of the image with

- the source COCO box as a GREEN band 7 px wide centred on its edges, drawn first;
- the answer's box as a RED line 3 px wide centred on its edges, drawn on top, with a
  black tag holding the label (white text) just above its top-left corner;
- below the image, a white strip with the caption lines (what each colour is, both boxes
  in numbers, the worst edge error and the IoU).

A correct box shows as a red line inside a green band; a shifted box as two separate
rectangles. The red pixels inside the image area are exactly the red outline (the label
tag is black and white), so a test can read the drawn box back from the PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

from lakehouse.atomic import replacing

SOURCE_COLOR = (0, 200, 0)
ANSWER_COLOR = (255, 0, 0)
SOURCE_WIDTH_PX = 7
ANSWER_WIDTH_PX = 3
FONT_FILE = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@dataclass(frozen=True)
class PixelBox:
    """A box by its corners in pixels of the raw image (``x2``/``y2`` are the far edges)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @classmethod
    def from_coco(cls, x: float, y: float, w: float, h: float) -> PixelBox:
        return cls(x, y, x + w, y + h)


@lru_cache(maxsize=8)
def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_FILE), size_px, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        return ImageFont.load_default()


def _edges(box: PixelBox, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixel rows/columns the box's edges fall on, inside the image."""
    def clamp(v: float, hi: int) -> int:
        return min(max(round(v), 0), hi - 1)
    return clamp(box.x1, width), clamp(box.y1, height), clamp(box.x2, width), clamp(box.y2, height)


def _outline(draw: ImageDraw.ImageDraw, box: PixelBox, size: tuple[int, int], color: tuple[int, int, int],
             line_width: int) -> None:
    """An outline ``line_width`` px wide centred on the box's edges (clipped to the image)."""
    x1, y1, x2, y2 = _edges(box, *size)
    half = line_width // 2
    for offset in range(-half, line_width - half):
        draw.rectangle([x1 + offset, y1 + offset, x2 - offset, y2 - offset], outline=color, width=1)
        draw.rectangle([x1 - offset, y1 - offset, x2 + offset, y2 + offset], outline=color, width=1)


def _wrap(text: str, length, max_width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``max_width`` (a word wider than
    that stays whole on its line)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and length(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current or not lines else lines


def render_box_audit(image_path: Path, source_box: PixelBox, answer_box: PixelBox, label: str,
                     caption_lines: list[str]) -> Image.Image:
    """The review image (see the module docstring). Raises ``OSError`` if the image
    cannot be read."""
    with Image.open(image_path) as original:
        image = original.convert("RGB")
    width, height = image.size
    font_size = max(12, min(20, width // 40))
    font = _font(font_size)
    line_height = font_size + 6
    measure = ImageDraw.Draw(image)
    wrapped = [(i, part) for i, line in enumerate(caption_lines)
               for part in _wrap(line, lambda t: measure.textlength(t, font=font), width - 12)]
    canvas = Image.new("RGB", (width, height + line_height * len(wrapped) + 8), (255, 255, 255))
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    image_area = canvas.crop((0, 0, width, height))
    area_draw = ImageDraw.Draw(image_area)
    _outline(area_draw, source_box, (width, height), SOURCE_COLOR, SOURCE_WIDTH_PX)
    _outline(area_draw, answer_box, (width, height), ANSWER_COLOR, ANSWER_WIDTH_PX)
    x1, y1, _, _ = _edges(answer_box, width, height)
    text_box = area_draw.textbbox((0, 0), label, font=font)
    tag_w, tag_h = text_box[2] - text_box[0] + 6, text_box[3] - text_box[1] + 6
    tag_y = y1 - ANSWER_WIDTH_PX - tag_h if y1 - ANSWER_WIDTH_PX - tag_h >= 0 else y1 + ANSWER_WIDTH_PX + 1
    tag_x = min(max(x1 + ANSWER_WIDTH_PX + 1, 0), max(width - tag_w, 0))
    area_draw.rectangle([tag_x, tag_y, tag_x + tag_w, tag_y + tag_h], fill=(0, 0, 0))
    area_draw.text((tag_x + 3 - text_box[0], tag_y + 3 - text_box[1]), label, fill=(255, 255, 255), font=font)
    canvas.paste(image_area, (0, 0))
    for row, (i, line) in enumerate(wrapped):
        color = ANSWER_COLOR if i == 0 else SOURCE_COLOR if i == 1 else (0, 0, 0)
        draw.text((6, height + 4 + row * line_height), line, fill=color, font=font)
    return canvas


def save_png(image: Image.Image, path: Path) -> Path:
    """Write ``image`` as PNG at ``path``, whole or not at all (``lakehouse.atomic``)."""
    with replacing(path) as tmp:
        image.save(tmp, format="PNG")
    return path
