"""Business documents rendered from a general image's annotations, with exact ground truth.

In: a ``DocumentSpec`` (layout, seed and every visual and textual parameter) and the parent
``GeneralImage``. Out: a ``RenderedDocument``: PNG bytes, every line and word drawn (with
pixel boxes), the key/value fields, and the line items with their totals.

The parent's annotations drive the content: every line item is one object category of the
photo and its quantity is that category's count of non-crowd objects; money amounts are
whole cents (quantity x a fixed unit price per category, ``unit_price_cents``), so every
subtotal, tax and total adds up exactly. Six layouts (``LAYOUTS``, taken in turn):

- ``invoice``: seller block, Bill To / Invoice No / dates / terms, a ruled table
  (Description, Qty, Unit Price, Amount) and Subtotal / Tax / Total Due.
- ``delivery_note``: ship-to block, order and carrier fields, a table of item codes
  with Ordered / Delivered quantities, Total Units, and a "received in good condition"
  tick box.
- ``inspection_form``: a site checklist: one ticked row per category found with its count
  and where it mostly sits, Objects Counted, and a Result line with Pass / Review boxes
  (Review when the photo has crowd regions, which cannot be counted).
- ``receipt``: a narrow monospace till slip: store, items (qty x price = amount),
  Subtotal / Tax / TOTAL / Cash / Change.
- ``stock_sheet``: a count sheet table per category (group = supercategory, small /
  medium / large by box area) with a totals row whose cells are the column sums.
- ``request_form``: a key-value form with a Priority row of tick boxes (Low / Normal /
  Urgent by the object count), an item list and approval fields.

Names, numbers, dates, fonts (``render.fonts``), sizes, margins, widths and colours are
drawn in ``make_document_spec`` from a ``random.Random`` seeded by the spec's seed and
recorded in its params; ``render_document`` uses only the params, so a landed
``params_json`` re-renders the same bytes. Pages are as tall as their content.

Scan noise (``SCAN_NOISE_LEVELS``): ``off``, ``light`` (the default: rotation up to 0.8
degrees, blur radius up to 0.7 px, JPEG quality 70-92) or ``strong`` (up to 2 degrees,
blur up to 1.3 px, JPEG 35-65); the drawn values are params too, and the word boxes move
with the rotation.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from render.fonts import FAMILIES, load_font
from render.inputs import GeneralImage, ObjectBox
from render.page import Line, Page, ScanNoise, Segment, Word, rotated_box, text_width, wrap

GENERATOR = "mmfactory.render.documents"
GENERATOR_VERSION = "2.0.0"
LAYOUTS = (
    "invoice",
    "delivery_note",
    "inspection_form",
    "receipt",
    "stock_sheet",
    "request_form",
)
SCAN_NOISE_LEVELS = ("off", "light", "strong")
DEFAULT_SCAN_NOISE = "light"

INKS = ((20, 20, 20), (25, 30, 70), (45, 30, 20), (0, 0, 0))
PAPERS = ((255, 255, 255), (252, 250, 243), (245, 248, 252))
SHADES = ((228, 228, 228), (222, 232, 242), (238, 232, 218))

COMPANIES = (
    "Northwind Supply Co.", "Harbor Street Traders", "Bluebell Wholesale Ltd",
    "Granite Peak Outfitters", "Cedar Lane Distributors", "Silverline Logistics",
    "Orchard Hill Goods", "Kestrel Office Supply", "Lakeside Trading Co.",
    "Summit Field Services", "Redwood Parcel Depot", "Copperleaf Retail Group",
)
CUSTOMERS = (
    "Riverside Community Center", "Elm Park Primary School", "Westgate Hotel",
    "Oakridge Veterinary Clinic", "Brightwater Sports Club", "City Museum Store",
    "Hillcrest Family Practice", "Pinewood Camp Office", "Meadow View Library",
    "Sunset Marina", "Fairfax Youth League", "Old Town Cafe",
)
PEOPLE = (
    "Maria Alvarez", "James Okafor", "Mei Chen", "Tom Becker", "Priya Nair",
    "Lucas Moreau", "Hannah Weiss", "Daniel Kim", "Sofia Rossi", "Omar Haddad",
    "Grace Liu", "Peter Novak", "Aisha Bello", "Ken Tanaka",
)
STREETS = (
    "Market Street", "Station Road", "Harbour Way", "Mill Lane", "Kings Avenue",
    "Park Road", "Bridge Street", "Church Lane", "Victoria Road", "High Street",
)
CITIES = (
    "Springfield", "Fairview", "Kingston", "Ashford", "Brookfield", "Greenville",
    "Milton", "Clayton", "Dover", "Salem",
)
CARRIERS = ("FastFreight", "Parcel Direct", "BlueLine Couriers", "Metro Cargo", "Own van")
DEPARTMENTS = ("Facilities", "Events", "Operations", "Front Office", "Grounds", "Logistics")
SITES = ("North Yard", "Main Hall", "Loading Bay 2", "East Wing", "Car Park B", "Plaza Level")
DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%m/%d/%Y", "%B %d, %Y")


def spec_seed(seed: int, kind: str, index: int, parent_ids: Sequence[str]) -> int:
    """A 63-bit seed for one derived asset, from the run seed, its kind, index and parents."""
    digest = hashlib.sha256(f"{seed}:{kind}:{index}:{','.join(parent_ids)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def unit_price_cents(category_name: str) -> int:
    """The fixed unit price of a category (the same on every document): 0.99 to 99.99
    in steps of 0.50, from the sha256 of its name."""
    h = int.from_bytes(hashlib.sha256(category_name.encode()).digest()[:4], "big")
    return 99 + 50 * (h % 199)


def money(cents: int, symbol: str = "") -> str:
    """Whole cents as ``[symbol]1,234.50``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d}"


def tax_cents(subtotal_cents: int, rate_permille: int) -> int:
    """Tax on ``subtotal_cents`` at ``rate_permille``/1000, rounded half up to a cent."""
    return (subtotal_cents * rate_permille + 500) // 1000


def item_name(category_name: str) -> str:
    """How a category is printed as an item: first letter in capitals ("Teddy bear")."""
    return category_name[:1].upper() + category_name[1:]


@dataclass(frozen=True)
class DocumentSpec:
    """Everything needed to render one document besides its parent's annotations."""

    layout: str
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class LineItem:
    """One item line of a document: a category, its quantity and amount in cents."""

    description: str
    quantity: int
    unit_cents: int
    amount_cents: int


@dataclass(frozen=True)
class RenderedDocument:
    png: bytes
    width_px: int
    height_px: int
    lines: list[Line]
    fields: list[tuple[str, str, int, int]]  # key, value, key line index, value line index
    items: list[LineItem] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # e.g. subtotal/tax/total cents

    @property
    def full_text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def scan_noise_params(level: str, rng: random.Random) -> dict[str, Any] | None:
    """The scan noise of one page at ``level`` (see the module doc), or None for off."""
    if level not in SCAN_NOISE_LEVELS:
        raise ValueError(f"scan noise must be one of {', '.join(SCAN_NOISE_LEVELS)}, got {level!r}")
    if level == "off":
        return None
    strong = level == "strong"
    max_deg, max_blur = (2.0, 1.3) if strong else (0.8, 0.7)
    quality = (35, 65) if strong else (70, 92)
    return {
        "rotation_deg": round(rng.uniform(-max_deg, max_deg), 2),
        "blur_radius_px": round(rng.uniform(0.2 if strong else 0.0, max_blur), 2),
        "jpeg_quality": rng.randint(*quality),
    }


def make_document_spec(
    index: int, parent: GeneralImage, seed: int = 0, scan_noise: str = DEFAULT_SCAN_NOISE
) -> DocumentSpec:
    """The spec of the ``index``-th derived document, made from ``parent``."""
    s = spec_seed(seed, "document", index, [parent.asset_id])
    rng = random.Random(s)
    layout = LAYOUTS[index % len(LAYOUTS)]
    family = "mono" if layout == "receipt" else rng.choice(sorted(FAMILIES))
    body = rng.randint(15, 19) if layout != "receipt" else rng.randint(15, 17)
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(366))
    people = rng.sample(PEOPLE, 3)
    params: dict[str, Any] = {
        "layout": layout,
        "font_family": family,
        "font_regular": FAMILIES[family][0],
        "font_bold": FAMILIES[family][1],
        "body_size_px": body,
        "title_size_px": body + rng.randint(8, 14),
        "small_size_px": max(13, body - 3),
        "line_spacing": rng.choice([1.4, 1.5, 1.65]),
        "margin_px": rng.randint(24, 34) if layout == "receipt" else rng.randint(44, 80),
        "page_width_px": (
            rng.randint(400, 460) if layout == "receipt" else rng.choice([780, 820, 860])
        ),
        "ink_rgb": list(rng.choice(INKS)),
        "paper_rgb": list(rng.choice(PAPERS)),
        "shade_rgb": list(rng.choice(SHADES)),
        "date": issued.isoformat(),
        "date_format": rng.choice(DATE_FORMATS),
        "terms_days": rng.choice([14, 30, 45, 60]),
        "tax_permille": rng.choice([50, 60, 70, 75, 80, 100]),
        "company": rng.choice(COMPANIES),
        "customer": rng.choice(CUSTOMERS),
        "person": people[0],
        "person2": people[1],
        "person3": people[2],
        "street_no": rng.randint(3, 480),
        "street": rng.choice(STREETS),
        "city": rng.choice(CITIES),
        "postcode": f"{rng.randint(10000, 99999)}",
        "phone": f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}",
        "carrier": rng.choice(CARRIERS),
        "department": rng.choice(DEPARTMENTS),
        "site": rng.choice(SITES),
        "doc_number": rng.randint(1000, 99999),
        "order_number": rng.randint(100000, 999999),
        "account_number": f"{rng.choice('ABCDEFGHKMNPRT')}{rng.randint(1000, 9999)}",
        "time": f"{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}",
        "register": rng.randint(1, 9),
        "packages": rng.randint(1, 6),
        "cash_round_to_cents": rng.choice([500, 1000, 2000]),
        "scan_noise": scan_noise,
        "noise": scan_noise_params(scan_noise, rng),
    }
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


def main_position(objects: Sequence[ObjectBox], width: int, height: int) -> str:
    """The most common position of ``objects`` (ties: the first in annotation order)."""
    words = [position_words(o, width, height) for o in objects]
    counts = Counter(words)
    return max(words, key=lambda w: (counts[w], -words.index(w)))


def line_items(img: GeneralImage) -> list[LineItem]:
    """One item per category of the countable objects (most frequent first): quantity =
    its count, amount = quantity x ``unit_price_cents``."""
    return [
        LineItem(item_name(name), count, unit_price_cents(name), count * unit_price_cents(name))
        for name, count in img.category_counts()
    ]


# -- layouts ------------------------------------------------------------------------------


class _Ctx:
    """Fonts, colours and the cursor of one page."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.p = params
        self.regular = load_font(params["font_regular"], params["body_size_px"])
        self.bold = load_font(params["font_bold"], params["body_size_px"])
        self.title = load_font(params["font_bold"], params["title_size_px"])
        self.heading = load_font(params["font_bold"], params["body_size_px"] + 4)
        self.small = load_font(params["font_regular"], params["small_size_px"])
        self.ink = tuple(params["ink_rgb"])
        self.paper = tuple(params["paper_rgb"])
        self.shade = tuple(params["shade_rgb"])
        self.margin = params["margin_px"]
        self.width = params["page_width_px"]
        self.line_h = round(params["body_size_px"] * params["line_spacing"])
        self.page = Page(self.width, None, self.paper)
        self.items: list[LineItem] = []
        self.totals: dict[str, int] = {}

    def seg(self, text: str, font=None) -> Segment:
        return Segment(text, font or self.regular, self.ink)

    def day(self, offset_days: int = 0) -> str:
        d = date.fromisoformat(self.p["date"]) + timedelta(days=offset_days)
        return d.strftime(self.p["date_format"])

    def fields(self, x: int, y: int, pairs: Sequence[tuple[str, str]], aligned: bool = True) -> int:
        """``Key: value`` lines from (x, y), values in one column when ``aligned``;
        returns the y below them."""
        value_x = None
        if aligned:
            value_x = x + max(text_width(f"{k}:", self.bold) for k, _ in pairs) + 16
        for key, value in pairs:
            self.page.field(x, y, key, value, self.bold, self.regular, self.ink, value_x=value_x)
            y += self.line_h
        return y

    def options(self, x: int, y: int, key: str, choices: Sequence[str], chosen: str) -> int:
        """``Key:`` then a tick box before each choice, the chosen one crossed; recorded as
        the field key -> chosen. Returns the y below."""
        page = self.page
        page.write(x, y, [self.seg(f"{key}:", self.bold)])
        key_line = len(page.lines) - 1
        box = round(self.p["body_size_px"] * 0.85)
        cx = x + text_width(f"{key}:", self.bold) + 18
        chosen_line = -1
        for choice in choices:
            page.checkbox(cx, y + (self.p["body_size_px"] - box) // 2 + 2, box, choice == chosen,
                          self.ink)
            page.write(cx + box + 8, y, [self.seg(choice)])
            if choice == chosen:
                chosen_line = len(page.lines) - 1
            cx += box + 8 + text_width(choice, self.regular) + 26
        page.fields.append((key, chosen, key_line, chosen_line))
        return y + self.line_h

    def table(
        self,
        x: int,
        y: int,
        header: list[str],
        rows: list[list[str]],
        footer: list[list[str]],
        left_columns: set[int],
    ) -> int:
        """A ruled table (header shaded, footer rows bold) at the largest body size at
        most the spec's that fits the page width; returns the y below it."""
        page = self.page
        size = self.p["body_size_px"]
        pad = 9
        while True:
            regular = load_font(self.p["font_regular"], size)
            bold = load_font(self.p["font_bold"], size)
            widths = [
                max(text_width(r[i], bold if r is header or r in footer else regular)
                    for r in [header, *rows, *footer]) + 2 * pad
                for i in range(len(header))
            ]
            if sum(widths) <= self.width - 2 * self.margin or size <= 11:
                break
            size -= 1
        spare = self.width - 2 * self.margin - sum(widths)
        widths[0] += max(0, spare)  # the first column takes the rest of the width
        row_h = round(size * 1.85)
        all_rows = [header, *rows, *footer]
        table_w = sum(widths)
        page.rect((x, y, x + table_w, y + row_h), outline=None, fill=self.shade)
        for ri, row in enumerate(all_rows):
            top = y + ri * row_h
            font = bold if ri == 0 or ri > len(rows) else regular
            cx = x
            for ci, text in enumerate(row):
                if text:
                    ty = top + (row_h - size) // 2 - 1
                    if ci in left_columns:
                        page.write(cx + pad, ty, [Segment(text, font, self.ink)])
                    else:
                        page.write_right(cx + widths[ci] - pad, ty, Segment(text, font, self.ink))
                cx += widths[ci]
        bottom = y + len(all_rows) * row_h
        for ri in range(len(all_rows) + 1):
            thick = ri in (0, 1, len(rows) + 1, len(all_rows))
            page.rule(x, y + ri * row_h, x + table_w, y + ri * row_h, self.ink, 2 if thick else 1)
        cx = x
        for w in [0, *widths]:
            cx += w
            page.rule(cx, y, cx, bottom, self.ink, 1)
        return bottom

    def right_fields(self, y: int, pairs: Sequence[tuple[str, str]], bold_last: bool) -> int:
        """Right-aligned ``Key:  value`` pairs (a totals block) recorded as fields."""
        page = self.page
        right = self.width - self.margin
        value_w = max(text_width(v, self.bold) for _, v in pairs)
        for i, (key, value) in enumerate(pairs):
            font = self.bold if bold_last and i == len(pairs) - 1 else self.regular
            page.write_right(right - value_w - 24, y, self.seg(f"{key}:", font))
            page.write_right(right, y, self.seg(value, font))
            page.fields.append((key, value, len(page.lines) - 2, len(page.lines) - 1))
            y += self.line_h
        return y

    def address(self) -> str:
        return f"{self.p['street_no']} {self.p['street']}, {self.p['city']} {self.p['postcode']}"


def _money_block(c: _Ctx, items: list[LineItem]) -> tuple[int, int, int]:
    subtotal = sum(i.amount_cents for i in items)
    tax = tax_cents(subtotal, c.p["tax_permille"])
    c.items = items
    c.totals = {"subtotal_cents": subtotal, "tax_cents": tax, "total_cents": subtotal + tax}
    return subtotal, tax, subtotal + tax


def _rate(permille: int) -> str:
    return f"{permille / 10:g}%"


def _invoice(c: _Ctx, img: GeneralImage) -> None:
    page, p, x = c.page, c.p, c.margin
    y = c.margin
    page.write_right(c.width - c.margin, y, c.seg("INVOICE", c.title))
    y += round(p["title_size_px"] * 0.4)
    page.write(x, y, [c.seg(p["company"], c.heading)])
    y += round(c.line_h * 1.3)
    page.write(x, y, [c.seg(c.address(), c.small)])
    y += c.line_h
    page.write(x, y, [c.seg(f"Tel {p['phone']}", c.small)])
    y += round(c.line_h * 1.6)
    number = f"INV-{p['doc_number']:05d}"
    y = c.fields(x, y, [
        ("Invoice No", number),
        ("Invoice Date", c.day()),
        ("Due Date", c.day(p["terms_days"])),
        ("Payment Terms", f"Net {p['terms_days']}"),
        ("Bill To", p["customer"]),
        ("Account No", p["account_number"]),
        ("PO Number", f"PO-{p['order_number']}"),
    ])
    y += c.line_h // 2
    items = line_items(img)
    subtotal, tax, total = _money_block(c, items)
    rows = [[i.description, str(i.quantity), money(i.unit_cents), money(i.amount_cents)]
            for i in items]
    y = c.table(x, y, ["Description", "Qty", "Unit Price", "Amount"], rows, [], {0})
    y += c.line_h // 2
    y = c.right_fields(y, [
        ("Subtotal", money(subtotal, "$")),
        ("Tax Rate", _rate(p["tax_permille"])),
        ("Tax", money(tax, "$")),
        ("Total Due", money(total, "$")),
    ], bold_last=True)
    y += c.line_h // 2
    note = f"Please pay within {p['terms_days']} days. Thank you for your business."
    page.write(x, y, [c.seg(note, c.small)])


def _delivery_note(c: _Ctx, img: GeneralImage) -> None:
    page, p, x = c.page, c.p, c.margin
    y = c.margin
    page.write(x, y, [c.seg("DELIVERY NOTE", c.title)])
    y += round(p["title_size_px"] * 1.5)
    page.write(x, y, [c.seg(f"{p['company']} - Dispatch", c.bold)])
    y += round(c.line_h * 1.5)
    items = line_items(img)
    units = sum(i.quantity for i in items)
    c.items = items
    c.totals = {"units": units}
    y = c.fields(x, y, [
        ("Delivery No", f"DN-{p['doc_number']:05d}"),
        ("Ship Date", c.day()),
        ("Order Ref", f"SO-{p['order_number']}"),
        ("Carrier", p["carrier"]),
        ("Ship To", p["customer"]),
        ("Delivery Address", c.address()),
        ("Packages", str(p["packages"])),
    ])
    y += c.line_h // 2
    rows = [[f"SKU-{unit_price_cents(i.description.lower()) % 9000 + 1000}", i.description,
             str(i.quantity), str(i.quantity)] for i in items]
    y = c.table(x, y, ["Item Code", "Description", "Ordered", "Delivered"], rows,
                [["Total", "", str(units), str(units)]], {0, 1})
    y += c.line_h // 2
    y = c.fields(x, y, [("Total Units", str(units))], aligned=False)
    y += c.line_h // 3
    box = round(p["body_size_px"] * 0.85)
    page.checkbox(x, y + (p["body_size_px"] - box) // 2 + 2, box, True, c.ink)
    page.write(x + box + 10, y, [c.seg("Goods received in good condition")])
    y += round(c.line_h * 1.4)
    y = c.fields(x, y, [("Received By", p["person"])], aligned=False)


def _inspection_form(c: _Ctx, img: GeneralImage) -> None:
    page, p, x = c.page, c.p, c.margin
    y = c.margin
    page.write(x, y, [c.seg("SITE INSPECTION CHECKLIST", c.title)])
    y += round(p["title_size_px"] * 1.6)
    counts = img.category_counts()
    objects = img.countable
    c.items = [LineItem(item_name(n), k, 0, 0) for n, k in counts]
    c.totals = {"objects": len(objects)}
    y = c.fields(x, y, [
        ("Form No", f"SIC-{p['doc_number']:05d}"),
        ("Inspection Date", c.day()),
        ("Inspector", p["person"]),
        ("Site", p["site"]),
        ("Department", p["department"]),
    ])
    y += c.line_h // 2
    page.rule(x, y, c.width - c.margin, y, c.ink, 2)
    y += c.line_h // 2
    page.write(x, y, [c.seg("Items observed", c.bold)])
    y += round(c.line_h * 1.3)
    box = round(p["body_size_px"] * 0.85)
    content_w = c.width - 2 * c.margin - box - 12
    for name, count in counts:
        members = [o for o in objects if o.category_name == name]
        where = main_position(members, img.width_px, img.height_px)
        text = f"{item_name(name)}: {count} seen, mostly at the {where}"
        page.checkbox(x, y + (p["body_size_px"] - box) // 2 + 2, box, True, c.ink)
        for part in wrap(text, c.regular, content_w):
            page.write(x + box + 12, y, [c.seg(part)])
            y += c.line_h
    y += c.line_h // 2
    y = c.fields(x, y, [
        ("Objects Counted", str(len(objects))),
        ("Item Types", str(len(counts))),
    ])
    crowd = len(img.objects) - len(objects)
    y = c.options(x, y, "Result", ["Pass", "Review"], "Review" if crowd else "Pass")
    y += c.line_h // 2
    page.write(x, y, [c.seg(f"Signed: {p['person']}", c.small)])


def _receipt(c: _Ctx, img: GeneralImage) -> None:
    page, p = c.page, c.p
    mid, left, right = c.width // 2, c.margin, c.width - c.margin
    y = c.margin
    page.write_center(mid, y, c.seg(p["company"].upper(), c.bold))
    y += c.line_h
    page.write_center(mid, y, c.seg(f"{p['street_no']} {p['street']}", c.small))
    y += c.line_h
    page.write_center(mid, y, c.seg(f"{p['city']} {p['postcode']}", c.small))
    y += round(c.line_h * 1.4)
    for key, value in (
        ("Receipt No", f"{p['register']:02d}-{p['doc_number']:05d}"),
        ("Date", c.day()),
        ("Time", p["time"]),
        ("Cashier", p["person"].split()[0]),
    ):
        page.field(left, y, key, value, c.regular, c.regular, c.ink)
        y += c.line_h
    y += c.line_h // 4
    _dashes(c, y)
    y += c.line_h // 2
    items = line_items(img)
    subtotal, tax, total = _money_block(c, items)
    for item in items:
        page.write(left, y, [c.seg(item.description)])
        y += c.line_h
        page.write(left + 24, y, [c.seg(f"{item.quantity} x {money(item.unit_cents)}", c.small)])
        page.write_right(right, y, c.seg(money(item.amount_cents)))
        y += c.line_h
    _dashes(c, y)
    y += c.line_h // 2
    paid = -(-total // p["cash_round_to_cents"]) * p["cash_round_to_cents"]
    c.totals.update({"cash_cents": paid, "change_cents": paid - total})
    for key, value, font in (
        ("Items Sold", str(sum(i.quantity for i in items)), c.regular),
        ("Subtotal", money(subtotal), c.regular),
        ("Sales Tax", money(tax), c.regular),
        ("TOTAL", money(total), c.bold),
        ("Cash", money(paid), c.regular),
        ("Change", money(paid - total), c.regular),
    ):
        page.write(left, y, [c.seg(key, font)])
        page.write_right(right, y, c.seg(value, font))
        page.pair(len(page.lines) - 2, len(page.lines) - 1)
        y += c.line_h
    y += c.line_h // 4
    _dashes(c, y)
    y += c.line_h // 2
    page.write_center(mid, y, c.seg("THANK YOU - PLEASE COME AGAIN", c.small))


def _dashes(c: _Ctx, y: int) -> None:
    x = c.margin
    while x < c.width - c.margin:
        c.page.rule(x, y, min(x + 8, c.width - c.margin), y, c.ink, 1)
        x += 14


def _stock_sheet(c: _Ctx, img: GeneralImage) -> None:
    page, p, x = c.page, c.p, c.margin
    y = c.margin
    page.write(x, y, [c.seg("STOCK COUNT SHEET", c.title)])
    y += round(p["title_size_px"] * 1.6)
    y = c.fields(x, y, [
        ("Sheet No", f"SC-{p['doc_number']:05d}"),
        ("Count Date", c.day()),
        ("Warehouse", f"{p['city']} {p['site']}"),
        ("Counted By", p["person"]),
        ("Checked By", p["person2"]),
    ])
    y += c.line_h // 2
    objects = img.countable
    rows, sums = [], [0, 0, 0, 0]
    for name, count in img.category_counts():
        members = [o for o in objects if o.category_name == name]
        sizes = Counter(size_words(o, img.width_px, img.height_px) for o in members)
        values = [sizes["small"], sizes["medium"], sizes["large"], count]
        sums = [a + b for a, b in zip(sums, values)]
        rows.append([item_name(name), members[0].supercategory or "other",
                     *[str(v) for v in values]])
    c.items = [LineItem(r[0], int(r[5]), 0, 0) for r in rows]
    c.totals = {"small": sums[0], "medium": sums[1], "large": sums[2], "objects": sums[3]}
    y = c.table(x, y, ["Item", "Group", "Small", "Medium", "Large", "Count"], rows,
                [["Total", "", *[str(v) for v in sums]]], {0, 1})
    y += c.line_h // 2
    y = c.fields(x, y, [
        ("Grand Total", str(sums[3])),
        ("Line Count", str(len(rows))),
        ("Large Items", str(sums[2])),
    ])
    page.write(x, y + c.line_h // 2, [c.seg("Sizes by area: small under 1%, large 10% or more.",
                                             c.small)])


def _request_form(c: _Ctx, img: GeneralImage) -> None:
    page, p, x = c.page, c.p, c.margin
    y = c.margin
    page.write(x, y, [c.seg("EQUIPMENT REQUEST FORM", c.title)])
    y += round(p["title_size_px"] * 1.6)
    objects = img.countable
    counts = img.category_counts()
    c.items = [LineItem(item_name(n), k, 0, 0) for n, k in counts]
    c.totals = {"objects": len(objects)}
    y = c.fields(x, y, [
        ("Request No", f"RQ-{p['doc_number']:05d}"),
        ("Requested On", c.day()),
        ("Applicant", p["person"]),
        ("Department", p["department"]),
        ("Phone", p["phone"]),
        ("Needed By", c.day(p["terms_days"] // 2)),
    ])
    n = len(objects)
    priority = "Urgent" if n >= 10 else "Normal" if n >= 4 else "Low"
    y = c.options(x, y, "Priority", ["Low", "Normal", "Urgent"], priority)
    y += c.line_h // 2
    page.write(x, y, [c.seg("Items requested", c.bold)])
    y += round(c.line_h * 1.2)
    for name, count in counts:
        page.write(x + 20, y, [c.seg(f"- {item_name(name)} x {count}")])
        y += c.line_h
    y += c.line_h // 2
    y = c.fields(x, y, [
        ("Total Quantity", str(n)),
        ("Approved By", p["person2"]),
    ])


_LAYOUT_FUNCS = {
    "invoice": _invoice,
    "delivery_note": _delivery_note,
    "inspection_form": _inspection_form,
    "receipt": _receipt,
    "stock_sheet": _stock_sheet,
    "request_form": _request_form,
}


def _moved(lines: list[Line], width: int, height: int, rotation_deg: float) -> list[Line]:
    return [
        Line([Word(w.text, rotated_box(w.box, width, height, rotation_deg)) for w in line.words])
        for line in lines
    ]


def render_document(spec: DocumentSpec, parents: Sequence[GeneralImage]) -> RenderedDocument:
    """Render ``spec`` about ``parents[0]`` (documents have one parent)."""
    if len(parents) != 1:
        raise ValueError(f"a document is made from one image, got {len(parents)}")
    img = parents[0]
    if not img.is_usable:
        raise ValueError(f"image {img.coco_image_id} has no countable object to write about")
    if spec.layout not in _LAYOUT_FUNCS:
        raise ValueError(f"unknown document layout {spec.layout!r}")
    c = _Ctx(spec.params)
    _LAYOUT_FUNCS[spec.layout](c, img)
    page = c.page
    height = page.bottom + c.margin
    noise_params = spec.params.get("noise")
    noise = ScanNoise(**noise_params) if noise_params else None
    png, width, height = page.render(height, noise)
    lines = page.lines
    if noise is not None:
        lines = _moved(lines, width, height, noise.rotation_deg)
    return RenderedDocument(
        png=png, width_px=width, height_px=height, lines=lines, fields=page.fields,
        items=c.items, totals=c.totals,
    )
