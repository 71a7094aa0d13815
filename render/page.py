"""A small text layout engine for rendered pages that records what it draws.

Layouts place text with ``Page.write`` (one line of one or more segments, each in its own
font and colour) and draw rules and boxes; every line and every word gets its pixel box
from Pillow's own text metrics (``ImageDraw.textbbox``), so the recorded boxes are the
boxes of the glyphs as drawn. ``Page.render`` paints the recorded operations onto a new
canvas (of a height known only at the end, for receipts) and returns PNG bytes.

Determinism: positions are integers, fonts use Pillow's BASIC layout, the PNG is written
by Pillow with no metadata chunk (no time, no software name), so the same page gives the
same bytes.

Scan noise (``ScanNoise``, optional): the painted page is rotated by a small angle about
its centre (bicubic, paper-coloured corners), blurred (Gaussian) and passed through a JPEG
encode/decode at a given quality before it is written as PNG. Every step is a fixed
function of its recorded parameters, so a noisy page is as reproducible as a clean one
(for the same Pillow, libjpeg and zlib). ``rotated_box`` moves a recorded box with the
rotation: the axis-aligned box around the rotated corners, clipped to the page.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter, ImageFont

Color = tuple[int, int, int]

# textbbox needs a drawing context; its size does not matter.
_MEASURE = ImageDraw.Draw(Image.new("L", (1, 1)))


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass
class Line:
    """A line of words in reading order; ``text`` is the words joined by single spaces."""

    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (
            min(w.box[0] for w in self.words),
            min(w.box[1] for w in self.words),
            max(w.box[2] for w in self.words),
            max(w.box[3] for w in self.words),
        )


@dataclass(frozen=True)
class Segment:
    """A run of text in one font and colour."""

    text: str
    font: ImageFont.FreeTypeFont
    fill: Color


@dataclass(frozen=True)
class ScanNoise:
    """How a page is degraded to look scanned: rotation in degrees (counter-clockwise),
    Gaussian blur radius in pixels, JPEG quality (1-95; 0 = no JPEG pass)."""

    rotation_deg: float
    blur_radius_px: float
    jpeg_quality: int


def rotated_box(
    box: tuple[int, int, int, int], width: int, height: int, rotation_deg: float
) -> tuple[int, int, int, int]:
    """Where ``box`` lies after the page (``width`` x ``height``) is rotated by
    ``rotation_deg`` counter-clockwise about its centre, as Pillow's ``Image.rotate`` does:
    the integer box around the four rotated corners grown by one pixel for the resampling
    filter's reach, clipped to the page."""
    if rotation_deg == 0:
        return box
    t = math.radians(rotation_deg)
    cx, cy = width / 2, height / 2
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        xs.append(cx + dx * math.cos(t) + dy * math.sin(t))
        ys.append(cy - dx * math.sin(t) + dy * math.cos(t))
    return (
        max(0, math.floor(min(xs)) - 1),
        max(0, math.floor(min(ys)) - 1),
        min(width, math.ceil(max(xs)) + 1),
        min(height, math.ceil(max(ys)) + 1),
    )


def apply_scan_noise(img: Image.Image, noise: ScanNoise, paper: Color) -> Image.Image:
    """``img`` rotated, blurred and JPEG-compressed as ``noise`` says (same size, RGB)."""
    out = img
    if noise.rotation_deg:
        out = out.rotate(
            noise.rotation_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=paper
        )
    if noise.blur_radius_px > 0:
        out = out.filter(ImageFilter.GaussianBlur(noise.blur_radius_px))
    if noise.jpeg_quality > 0:
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=noise.jpeg_quality, optimize=False)
        buf.seek(0)
        out = Image.open(buf).convert("RGB")
    return out


def text_width(text: str, font: ImageFont.FreeTypeFont) -> int:
    """The advance width of ``text`` in whole pixels (rounded up)."""
    return int(-(-font.getlength(text) // 1))


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Greedy word wrap of ``text`` to lines no wider than ``max_width`` (a single word
    wider than that gets a line of its own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and text_width(trial, font) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


class Page:
    """A page being laid out: text lines (recorded with boxes), rules and rectangles."""

    def __init__(self, width: int, height: int | None, background: Color) -> None:
        self.width = width
        self.height = height
        self.background = background
        self.lines: list[Line] = []
        self.fields: list[tuple[str, str, int, int]] = []  # key, value, key line, value line
        self._ops: list[tuple] = []
        self.bottom = 0

    def write(self, x: int, y: int, segments: list[Segment], gap_px: int | None = None) -> Line:
        """Draw ``segments`` left to right from (x, y) (y = top of the ascender); words are
        separated by one space of their font, segments by ``gap_px`` (default: a space).
        Records and returns the line."""
        line = Line()
        cursor = x
        for si, seg in enumerate(segments):
            space = text_width(" ", seg.font)
            if si > 0:
                cursor += space if gap_px is None else gap_px
            for wi, word in enumerate(seg.text.split()):
                if wi > 0:
                    cursor += space
                box = _MEASURE.textbbox((cursor, y), word, font=seg.font)
                self._ops.append(("text", (cursor, y), word, seg.font, seg.fill))
                line.words.append(Word(word, tuple(int(v) for v in box)))
                cursor += text_width(word, seg.font)
        if line.words:
            self.lines.append(line)
            self.bottom = max(self.bottom, line.box[3])
        return line

    def write_right(self, x_right: int, y: int, segment: Segment) -> Line:
        """Draw one segment so that it ends at ``x_right``."""
        return self.write(x_right - text_width(segment.text, segment.font), y, [segment])

    def write_center(self, x_center: int, y: int, segment: Segment) -> Line:
        """Draw one segment centred on ``x_center``."""
        return self.write(x_center - text_width(segment.text, segment.font) // 2, y, [segment])

    def field(
        self,
        x: int,
        y: int,
        key: str,
        value: str,
        key_font: ImageFont.FreeTypeFont,
        value_font: ImageFont.FreeTypeFont,
        fill: Color,
        value_x: int | None = None,
    ) -> None:
        """A ``Key: value`` line recorded as a field; with ``value_x`` the value starts at
        that column (and is its own line, as a form's answer would be)."""
        if value_x is None:
            line = self.write(
                x, y, [Segment(f"{key}:", key_font, fill), Segment(value, value_font, fill)]
            )
            index = len(self.lines) - 1
            self.fields.append((key, value, index, index))
            assert line.words, "a field needs text"
        else:
            self.write(x, y, [Segment(f"{key}:", key_font, fill)])
            key_index = len(self.lines) - 1
            self.write(value_x, y, [Segment(value, value_font, fill)])
            self.fields.append((key, value, key_index, len(self.lines) - 1))

    def pair(self, key_line: int, value_line: int) -> None:
        """Record lines already written as a key/value field (e.g. a table row)."""
        self.fields.append(
            (self.lines[key_line].text, self.lines[value_line].text, key_line, value_line)
        )

    def rule(self, x0: int, y0: int, x1: int, y1: int, fill: Color, width: int = 1) -> None:
        """A straight line (no text)."""
        self._ops.append(("line", (x0, y0, x1, y1), fill, width))
        self.bottom = max(self.bottom, y0, y1)

    def rect(
        self,
        box: tuple[int, int, int, int],
        outline: Color | None,
        fill: Color | None = None,
        width: int = 1,
    ) -> None:
        """A rectangle (no text)."""
        self._ops.append(("rect", box, outline, fill, width))
        self.bottom = max(self.bottom, box[3])

    def checkbox(self, x: int, y: int, size: int, checked: bool, fill: Color) -> None:
        """A square tick box with its top left at (x, y); a checked one is crossed."""
        self.rect((x, y, x + size, y + size), outline=fill, width=max(1, size // 9))
        if checked:
            inset = max(2, size // 5)
            w = max(2, size // 7)
            self.rule(x + inset, y + inset, x + size - inset, y + size - inset, fill, w)
            self.rule(x + inset, y + size - inset, x + size - inset, y + inset, fill, w)

    def render(
        self, height: int | None = None, noise: ScanNoise | None = None
    ) -> tuple[bytes, int, int]:
        """Paint the page (then degrade it as ``noise`` says); returns (PNG bytes, width,
        height). The recorded boxes are those of the clean page: move them with
        ``rotated_box`` when the page was rotated."""
        h = height or self.height
        if h is None:
            raise ValueError("the page height is not known: pass height")
        img = Image.new("RGB", (self.width, h), self.background)
        draw = ImageDraw.Draw(img)
        for op in self._ops:
            if op[0] == "text":
                _, xy, word, font, fill = op
                draw.text(xy, word, font=font, fill=fill)
            elif op[0] == "line":
                _, xy, fill, width = op
                draw.line(xy, fill=fill, width=width)
            else:
                _, box, outline, fill, width = op
                draw.rectangle(box, outline=outline, fill=fill, width=width)
        if noise is not None:
            img = apply_scan_noise(img, noise, self.background)
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=6)
        return buf.getvalue(), self.width, h
