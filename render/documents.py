"""Document pages rendered from a general image's annotations, with exact ground truth.

In: a ``DocumentSpec`` (layout, seed and every visual parameter) and the parent
``GeneralImage``. Out: a ``RenderedDocument``: PNG bytes plus every line and word drawn
(with pixel boxes) and the key/value fields.

Four layouts, visibly different (``LAYOUTS``, taken in turn by document index):

- ``inspection_report``: a letter page, title, a block of "Key: value" fields (report
  number, date, image id, asset, size, counts), then numbered findings, one per object
  (category, annotation id, position in words, size in words, box size in pixels).
- ``inventory_table``: a ruled table, one row per category (count, share, mean box size,
  main position) and a total row; the header row shaded.
- ``receipt_slip``: a narrow monospace slip with dashed rules, item lines with
  right-aligned counts, totals; its height follows its content.
- ``memo``: a memorandum header (To / From / Date / Subject with aligned values) and
  wrapped paragraphs about the image's objects.

The spec's parameters vary font family (DejaVu Sans / Serif / Sans Mono), sizes, margins,
page width, ink and paper colours and the date, drawn from a ``random.Random`` seeded by
the spec's seed; ``render_document`` uses only the spec's recorded parameters, so a
landed ``params_json`` re-renders the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from render.fonts import FAMILIES, load_font
from render.inputs import GeneralImage, ObjectBox
from render.page import Line, Page, Segment, text_width, wrap

GENERATOR = "mmfactory.render.documents"
GENERATOR_VERSION = "1.0.0"
LAYOUTS = ("inspection_report", "inventory_table", "receipt_slip", "memo")

INKS = ((20, 20, 20), (25, 30, 70), (45, 30, 20), (0, 0, 0))
PAPERS = ((255, 255, 255), (252, 250, 243), (245, 248, 252))


def spec_seed(seed: int, kind: str, index: int, parent_ids: Sequence[str]) -> int:
    """A 63-bit seed for one derived asset, from the run seed, its kind, index and parents."""
    digest = hashlib.sha256(f"{seed}:{kind}:{index}:{','.join(parent_ids)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class DocumentSpec:
    """Everything needed to render one document besides its parent's annotations."""

    layout: str
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class RenderedDocument:
    png: bytes
    width_px: int
    height_px: int
    lines: list[Line]
    fields: list[tuple[str, str, int, int]]  # key, value, key line index, value line index

    @property
    def full_text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def make_document_spec(index: int, parent: GeneralImage, seed: int = 0) -> DocumentSpec:
    """The spec of the ``index``-th derived document, made from ``parent``."""
    s = spec_seed(seed, "document", index, [parent.asset_id])
    rng = random.Random(s)
    layout = LAYOUTS[index % len(LAYOUTS)]
    family = "mono" if layout == "receipt_slip" else rng.choice(sorted(FAMILIES))
    body = rng.randint(15, 20)
    params: dict[str, Any] = {
        "layout": layout,
        "font_family": family,
        "font_regular": FAMILIES[family][0],
        "font_bold": FAMILIES[family][1],
        "body_size_px": body,
        "title_size_px": body + rng.randint(8, 14),
        "small_size_px": max(13, body - 3),
        "line_spacing": rng.choice([1.35, 1.5, 1.65]),
        "margin_px": rng.randint(24, 36) if layout == "receipt_slip" else rng.randint(40, 90),
        "page_width_px": rng.randint(380, 460)
        if layout == "receipt_slip"
        else rng.choice([760, 800, 850]),
        "ink_rgb": list(rng.choice(INKS)),
        "paper_rgb": list(rng.choice(PAPERS)),
        "date": (date(2024, 1, 1) + timedelta(days=rng.randrange(366))).isoformat(),
    }
    params["page_height_px"] = (
        None if layout == "receipt_slip" else round(params["page_width_px"] * 1.294)
    )
    return DocumentSpec(layout=layout, seed=s, params=params)


# -- what the annotations say, in words -------------------------------------------------


def position_words(o: ObjectBox, width: int, height: int) -> str:
    """Where an object's centre lies, in thirds: 'top left', 'center', 'bottom center', ..."""
    cx, cy = (o.x + o.w / 2) / width, (o.y + o.h / 2) / height
    horizontal = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "center"
    vertical = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    if (horizontal, vertical) == ("center", "middle"):
        return "center"
    return f"{vertical} {horizontal}"


def size_words(o: ObjectBox, width: int, height: int) -> str:
    """'small' (< 1 % of the image), 'medium' (< 10 %) or 'large'."""
    share = o.w * o.h / (width * height)
    return "small" if share < 0.01 else "medium" if share < 0.10 else "large"


def article(noun: str) -> str:
    """'a' or 'an' before ``noun`` (by its first letter)."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def share_pct(o: ObjectBox, width: int, height: int) -> str:
    return f"{100 * o.w * o.h / (width * height):.1f}%"


def main_position(objects: Sequence[ObjectBox], width: int, height: int) -> str:
    """The most common position of ``objects`` (ties: the first in annotation order)."""
    words = [position_words(o, width, height) for o in objects]
    counts = Counter(words)
    return max(words, key=lambda w: (counts[w], -words.index(w)))


# -- layouts ------------------------------------------------------------------------------


class _Ctx:
    """Fonts and colours of one spec."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.p = params
        self.regular = load_font(params["font_regular"], params["body_size_px"])
        self.bold = load_font(params["font_bold"], params["body_size_px"])
        self.title = load_font(params["font_bold"], params["title_size_px"])
        self.small = load_font(params["font_regular"], params["small_size_px"])
        self.ink = tuple(params["ink_rgb"])
        self.paper = tuple(params["paper_rgb"])
        self.margin = params["margin_px"]
        self.width = params["page_width_px"]
        self.height = params["page_height_px"]
        self.line_h = round(params["body_size_px"] * params["line_spacing"])

    def seg(self, text: str, font=None) -> Segment:
        return Segment(text, font or self.regular, self.ink)


def _inspection_report(c: _Ctx, img: GeneralImage) -> Page:
    page = Page(c.width, c.height, c.paper)
    x, y = c.margin, c.margin
    page.write(x, y, [c.seg("VISUAL INSPECTION REPORT", c.title)])
    y += round(c.p["title_size_px"] * 1.8)
    objects = img.countable
    fields = [
        ("Report No", f"IR-{img.coco_image_id:06d}"),
        ("Date", c.p["date"]),
        ("Image ID", str(img.coco_image_id)),
        ("Asset", img.asset_id[:16]),
        ("Image size", f"{img.width_px} x {img.height_px} px"),
        ("Objects found", str(len(objects))),
        ("Categories", str(len(img.category_counts()))),
    ]
    for key, value in fields:
        page.field(x, y, key, value, c.bold, c.regular, c.ink)
        y += c.line_h
    y += c.line_h // 2
    page.rule(x, y, c.width - c.margin, y, c.ink, 2)
    y += c.line_h // 2
    page.write(x, y, [c.seg("Findings", c.bold)])
    y += round(c.line_h * 1.3)
    footer_y = c.height - c.margin - c.p["small_size_px"]
    limit = footer_y - c.line_h * 2
    indent = text_width("00. ", c.regular)
    content_w = c.width - 2 * c.margin - indent
    for i, o in enumerate(objects, start=1):
        where = position_words(o, img.width_px, img.height_px)
        size = size_words(o, img.width_px, img.height_px)
        text = (
            f"{o.category_name} (annotation {o.annotation_id}) at the {where}, {size}, "
            f"box {round(o.w)} x {round(o.h)} px"
        )
        wrapped = wrap(text, c.regular, content_w)
        if y + c.line_h * len(wrapped) > limit:
            page.write(x, y, [c.seg(f"... and {len(objects) - i + 1} more objects not listed")])
            break
        page.write(x, y, [c.seg(f"{i}.", c.bold)])
        for part in wrapped:
            page.write(x + indent, y, [c.seg(part)])
            y += c.line_h
    page.write(x, footer_y, [c.seg("Prepared from COCO annotations - page 1 of 1", c.small)])
    return page


def _inventory_table(c: _Ctx, img: GeneralImage) -> Page:
    page = Page(c.width, c.height, c.paper)
    x, y = c.margin, c.margin
    page.write(x, y, [c.seg("OBJECT INVENTORY", c.title)])
    y += round(c.p["title_size_px"] * 1.8)
    for key, value in (
        ("Image ID", str(img.coco_image_id)),
        ("Date", c.p["date"]),
        ("Asset", img.asset_id[:16]),
    ):
        page.field(x, y, key, value, c.bold, c.regular, c.ink)
        y += c.line_h
    y += c.line_h
    objects = img.countable
    total = len(objects)
    header = ["Category", "Count", "Share", "Mean box (px)", "Main position"]
    rows = []
    for name, count in img.category_counts():
        members = [o for o in objects if o.category_name == name]
        mean_w = sum(o.w for o in members) / count
        mean_h = sum(o.h for o in members) / count
        rows.append(
            [
                name,
                str(count),
                f"{round(100 * count / total)}%",
                f"{round(mean_w)} x {round(mean_h)}",
                main_position(members, img.width_px, img.height_px),
            ]
        )
    footer = ["Total", str(total), "100%", "", ""]
    # the largest body size (at most the spec's) at which the table fits the page width
    size = c.p["body_size_px"]
    pad = 10
    while True:
        regular = load_font(c.p["font_regular"], size)
        bold = load_font(c.p["font_bold"], size)
        widths = [
            max(
                text_width(r[i], regular if r is not header else bold)
                for r in [header, *rows, footer]
            )
            + 2 * pad
            for i in range(len(header))
        ]
        if sum(widths) <= c.width - 2 * c.margin or size <= 11:
            break
        size -= 1
    row_h = round(size * 1.9)
    max_rows = max(1, (c.height - c.margin - y) // row_h - 3)
    hidden = rows[max_rows:]
    rows = rows[:max_rows]
    if hidden:
        rows.append([f"{len(hidden)} more", str(sum(int(r[1]) for r in hidden)), "", "", ""])
    all_rows = [header, *rows, footer]
    table_w = sum(widths)
    page.rect((x, y, x + table_w, y + row_h), outline=None, fill=(228, 228, 228))
    for ri, row in enumerate(all_rows):
        top = y + ri * row_h
        font = bold if ri == 0 or row is footer else regular
        cells: list[int] = []
        cx = x
        for ci, text in enumerate(row):
            if text:
                ty = top + (row_h - size) // 2 - 1
                if ci == 0 or ci == 4:
                    page.write(cx + pad, ty, [Segment(text, font, c.ink)])
                else:
                    page.write_right(cx + widths[ci] - pad, ty, Segment(text, font, c.ink))
                cells.append(len(page.lines) - 1)
            else:
                cells.append(-1)
            cx += widths[ci]
        if 0 < ri and cells[0] >= 0 and cells[1] >= 0:
            page.pair(cells[0], cells[1])  # category (or Total) -> count
    bottom = y + len(all_rows) * row_h
    for ri in range(len(all_rows) + 1):
        page.rule(
            x,
            y + ri * row_h,
            x + table_w,
            y + ri * row_h,
            c.ink,
            2 if ri in (0, 1, len(all_rows)) else 1,
        )
    cx = x
    for w in [0, *widths]:
        cx += w
        page.rule(cx, y, cx, bottom, c.ink, 1)
    page.write(x, bottom + c.line_h, [c.seg("Counts exclude crowd regions.", c.small)])
    return page


def _dashes(page: Page, c: _Ctx, y: int) -> None:
    x = c.margin
    while x < c.width - c.margin:
        page.rule(x, y, min(x + 8, c.width - c.margin), y, c.ink, 1)
        x += 14


def _receipt_slip(c: _Ctx, img: GeneralImage) -> Page:
    page = Page(c.width, None, c.paper)
    mid, left, right = c.width // 2, c.margin, c.width - c.margin
    y = c.margin
    page.write_center(mid, y, c.seg("OBJECT COUNT SLIP", c.bold))
    y += c.line_h
    page.write_center(mid, y, c.seg("visual audit desk", c.small))
    y += round(c.line_h * 1.4)
    for key, value in (
        ("Slip No", f"{img.coco_image_id:06d}"),
        ("Date", c.p["date"]),
        ("Image", str(img.coco_image_id)),
    ):
        page.field(left, y, key, value, c.regular, c.regular, c.ink)
        y += c.line_h
    y += c.line_h // 3
    _dashes(page, c, y)
    y += c.line_h // 2
    counts = img.category_counts()
    for name, count in counts:
        page.write(left, y, [c.seg(name)])
        page.write_right(right, y, c.seg(str(count)))
        page.pair(len(page.lines) - 2, len(page.lines) - 1)
        y += c.line_h
    y += c.line_h // 3
    _dashes(page, c, y)
    y += c.line_h // 2
    for key, value in (
        ("TOTAL OBJECTS", str(len(img.countable))),
        ("CATEGORIES", str(len(counts))),
    ):
        page.write(left, y, [c.seg(key, c.bold)])
        page.write_right(right, y, c.seg(value, c.bold))
        page.pair(len(page.lines) - 2, len(page.lines) - 1)
        y += c.line_h
    y += c.line_h // 3
    _dashes(page, c, y)
    y += c.line_h // 2
    page.write_center(mid, y, c.seg("THANK YOU"))
    y += c.line_h
    page.write_center(mid, y, c.seg(f"ref {img.asset_id[:12]}", c.small))
    page.height = page.bottom + c.margin
    return page


def _memo(c: _Ctx, img: GeneralImage) -> Page:
    page = Page(c.width, c.height, c.paper)
    x, y = c.margin, c.margin
    page.write(x, y, [c.seg("MEMORANDUM", c.title)])
    y += round(c.p["title_size_px"] * 1.8)
    value_x = x + max(text_width(f"{k}:", c.bold) for k in ("To", "From", "Date", "Subject")) + 24
    for key, value in (
        ("To", "Annotation review team"),
        ("From", "Visual QA desk"),
        ("Date", c.p["date"]),
        ("Subject", f"Objects in image {img.coco_image_id}"),
    ):
        page.field(x, y, key, value, c.bold, c.regular, c.ink, value_x=value_x)
        y += c.line_h
    y += c.line_h // 2
    page.rule(x, y, c.width - c.margin, y, c.ink, 2)
    y += c.line_h
    objects = img.countable
    counts = img.category_counts()
    W, H = img.width_px, img.height_px
    objects_word = "object" if len(objects) == 1 else "objects"
    categories_word = "category" if len(counts) == 1 else "categories"
    paragraphs = [
        f"Image {img.coco_image_id} ({W} x {H} px, asset {img.asset_id[:12]}) has {len(objects)} "
        f"annotated {objects_word} in {len(counts)} {categories_word}.",
    ]
    name, count = counts[0]
    text = f"The most frequent category is {name} with {count} instance{'s' if count != 1 else ''}."
    if len(counts) > 1:
        text += " Other categories: " + ", ".join(f"{n} ({k})" for n, k in counts[1:]) + "."
    paragraphs.append(text)
    largest = max(objects, key=lambda o: (o.w * o.h, -o.annotation_id))
    smallest = min(objects, key=lambda o: (o.w * o.h, o.annotation_id))
    big, tiny = largest.category_name, smallest.category_name
    text = (
        f"The largest object is {article(big)} {big} at the {position_words(largest, W, H)}, "
        f"covering {share_pct(largest, W, H)} of the image."
    )
    if smallest is not largest:
        text += (
            f" The smallest is {article(tiny)} {tiny} at the {position_words(smallest, W, H)}, "
            f"covering {share_pct(smallest, W, H)}."
        )
    paragraphs.append(text)
    paragraphs.append("Please confirm these counts before the next review.")
    content_w = c.width - 2 * c.margin
    limit = c.height - c.margin - 2 * c.line_h
    for paragraph in paragraphs:
        for part in wrap(paragraph, c.regular, content_w):
            if y + c.line_h > limit:
                break
            page.write(x, y, [c.seg(part)])
            y += c.line_h
        y += c.line_h // 2
    page.write(x, min(y + c.line_h, limit + c.line_h), [c.seg("Visual QA desk", c.bold)])
    return page


_LAYOUT_FUNCS = {
    "inspection_report": _inspection_report,
    "inventory_table": _inventory_table,
    "receipt_slip": _receipt_slip,
    "memo": _memo,
}


def render_document(spec: DocumentSpec, parents: Sequence[GeneralImage]) -> RenderedDocument:
    """Render ``spec`` about ``parents[0]`` (documents have one parent)."""
    if len(parents) != 1:
        raise ValueError(f"a document is made from one image, got {len(parents)}")
    img = parents[0]
    if not img.is_usable:
        raise ValueError(f"image {img.coco_image_id} has no countable object to write about")
    page = _LAYOUT_FUNCS[spec.layout](_Ctx(spec.params), img)
    png, width, height = page.render()
    return RenderedDocument(
        png=png, width_px=width, height_px=height, lines=page.lines, fields=page.fields
    )
