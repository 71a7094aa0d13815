"""Derived documents: six business layouts on real COCO128 parents, exact text, boxes and
totals, deterministic scan noise, identical bytes on re-render."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from lakehouse.landing import LandingError
from render.derive import scan_noise_level
from render.documents import (
    LAYOUTS,
    make_document_spec,
    money,
    render_document,
    tax_cents,
    unit_price_cents,
)
from render.inputs import GeneralImage, ObjectBox

TITLES = {
    "invoice": "INVOICE",
    "delivery_note": "DELIVERY NOTE",
    "inspection_form": "SITE INSPECTION CHECKLIST",
    "stock_sheet": "STOCK COUNT SHEET",
    "request_form": "EQUIPMENT REQUEST FORM",
}


def _png_chunks(data: bytes) -> list[bytes]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


@pytest.fixture(scope="module")
def usable(general_images: list[GeneralImage]) -> list[GeneralImage]:
    return [g for g in general_images if g.is_usable]


@pytest.fixture(scope="module")
def rendered(usable: list[GeneralImage]):
    """Two clean documents of each layout, from different real photos."""
    out = []
    for i in range(2 * len(LAYOUTS)):
        parent = usable[(i * 13) % len(usable)]
        spec = make_document_spec(i, parent, seed=0, scan_noise="off")
        out.append((spec, parent, render_document(spec, [parent])))
    return out


def _fields(doc) -> dict[str, str]:
    return {k: v for k, v, _, _ in doc.fields}


def test_each_layout_renders_with_its_own_look(rendered) -> None:
    assert [spec.layout for spec, _, _ in rendered[: len(LAYOUTS)]] == list(LAYOUTS)
    for spec, _, doc in rendered:
        if spec.layout in TITLES:
            assert TITLES[spec.layout] in doc.full_text.splitlines()[:3], spec.layout
        assert len(doc.fields) >= 7, spec.layout
        # a page is as tall as its content: no large empty area below it
        assert max(line.box[3] for line in doc.lines) > doc.height_px - 2 * spec.params["margin_px"]
    receipt = next(doc for spec, _, doc in rendered if spec.layout == "receipt")
    invoice = next(doc for spec, _, doc in rendered if spec.layout == "invoice")
    assert receipt.width_px < 500 < invoice.width_px  # a narrow slip vs a letter page
    params = [spec.params for spec, _, _ in rendered]
    assert len({p["font_family"] for p in params}) >= 3
    assert len({p["body_size_px"] for p in params}) >= 2
    assert len({p["date_format"] for p in params}) >= 2


def test_items_are_the_parents_categories_and_totals_add_up(rendered) -> None:
    for spec, parent, doc in rendered:
        counts = [(name[:1].upper() + name[1:], k) for name, k in parent.category_counts()]
        assert [(i.description, i.quantity) for i in doc.items] == counts, spec.layout
        objects = len(parent.countable)
        fields = _fields(doc)
        for item in doc.items:
            assert item.description in doc.full_text
        if spec.layout in ("invoice", "receipt"):
            for item in doc.items:
                name = item.description.lower()
                assert item.amount_cents == item.quantity * unit_price_cents(name)
            subtotal = sum(i.amount_cents for i in doc.items)
            tax = tax_cents(subtotal, spec.params["tax_permille"])
            assert doc.totals == {**doc.totals, "subtotal_cents": subtotal, "tax_cents": tax,
                                  "total_cents": subtotal + tax}
        if spec.layout == "invoice":
            assert fields["Subtotal"] == money(subtotal, "$")
            assert fields["Tax"] == money(tax, "$")
            assert fields["Total Due"] == money(subtotal + tax, "$")
        if spec.layout == "receipt":
            assert fields["TOTAL"] == money(subtotal + tax)
            assert doc.totals["cash_cents"] - doc.totals["change_cents"] == subtotal + tax
            assert fields["Items Sold"] == str(objects)
        if spec.layout == "delivery_note":
            assert fields["Total Units"] == str(objects)
        if spec.layout == "stock_sheet":
            t = doc.totals
            assert t["small"] + t["medium"] + t["large"] == t["objects"] == objects
            assert fields["Grand Total"] == str(objects)
            assert fields["Line Count"] == str(len(doc.items))
        if spec.layout == "inspection_form":
            assert fields["Objects Counted"] == str(objects)
            crowd = len(parent.objects) > objects
            assert fields["Result"] == ("Review" if crowd else "Pass")
        if spec.layout == "request_form":
            assert fields["Total Quantity"] == str(objects)
            assert fields["Priority"] == ("Urgent" if objects >= 10 else
                                          "Normal" if objects >= 4 else "Low")


def test_lines_words_and_fields_are_exact(rendered) -> None:
    for spec, _, doc in rendered:
        img = Image.open(io.BytesIO(doc.png))
        assert img.size == (doc.width_px, doc.height_px)
        for line in doc.lines:
            assert line.text == " ".join(w.text for w in line.words)
            x0, y0, x1, y1 = line.box
            assert 0 <= x0 < x1 <= doc.width_px and 0 <= y0 < y1 <= doc.height_px, spec.layout
            for w in line.words:
                crop = img.crop(w.box).convert("L")
                assert crop.getextrema()[0] < 160, (spec.layout, w.text)
        keys = [k.lower() for k, _, _, _ in doc.fields]
        assert len(keys) == len(set(keys)), spec.layout  # no label twice on a page
        for key, value, key_line, value_line in doc.fields:
            assert key in doc.lines[key_line].text and value in doc.lines[value_line].text


def test_scan_noise_is_seeded_and_moves_the_boxes_with_the_page(usable) -> None:
    parent = usable[5]
    clean = render_document(make_document_spec(2, parent, 0, "off"), [parent])
    spec = make_document_spec(2, parent, 0, "strong")
    noisy = render_document(spec, [parent])
    again = render_document(make_document_spec(2, parent, 0, "strong"), [parent])
    assert noisy.png == again.png  # deterministic
    assert noisy.png != clean.png and noisy.full_text == clean.full_text
    noise = spec.params["noise"]
    assert 0 < abs(noise["rotation_deg"]) <= 2 and 35 <= noise["jpeg_quality"] <= 65
    other = make_document_spec(3, usable[6], 0, "strong").params["noise"]
    assert other != noise  # drawn per document
    assert make_document_spec(2, parent, 0, "off").params["noise"] is None
    img = Image.open(io.BytesIO(noisy.png)).convert("L")
    for line in noisy.lines:
        for w in line.words:
            assert img.crop(w.box).getextrema()[0] < 170, w.text  # ink inside the moved box
    # the text moved with the rotation: a word far from the centre is not where it was
    far = max((w for line in clean.lines for w in line.words), key=lambda w: w.box[1])
    moved = next(w for line in noisy.lines for w in line.words if w.text == far.text)
    assert moved.box != far.box


def test_rendering_is_byte_identical_and_carries_no_metadata(usable) -> None:
    for i in range(len(LAYOUTS)):
        parent = usable[i * 11]
        doc = render_document(make_document_spec(i, parent, 0, "light"), [parent])
        again = render_document(make_document_spec(i, parent, 0, "light"), [parent])
        assert again.png == doc.png
        assert set(_png_chunks(doc.png)) <= {b"IHDR", b"IDAT", b"IEND"}
    parent = usable[0]
    assert (render_document(make_document_spec(0, parent, 1), [parent]).png
            != render_document(make_document_spec(0, parent, 0), [parent]).png)


def test_the_scan_noise_setting_is_checked(monkeypatch) -> None:
    monkeypatch.delenv("MMFACTORY_SCAN_NOISE", raising=False)
    assert scan_noise_level() == "light"
    monkeypatch.setenv("MMFACTORY_SCAN_NOISE", "strong")
    assert scan_noise_level() == "strong" and scan_noise_level("off") == "off"
    monkeypatch.setenv("MMFACTORY_SCAN_NOISE", "heavy")
    with pytest.raises(LandingError, match=r"MMFACTORY_SCAN_NOISE.*off, light, strong"):
        scan_noise_level()
    with pytest.raises(LandingError, match="--scan-noise"):
        scan_noise_level("blurry")


def test_an_image_without_countable_objects_is_refused() -> None:
    crowd = GeneralImage(
        "a" * 64,
        "coco",
        1,
        "x.jpg",
        640,
        480,
        None,  # type: ignore[arg-type]
        (ObjectBox(1, 1, "person", "person", 0, 0, 10, 10, True),),
    )
    with pytest.raises(ValueError, match="no countable object"):
        render_document(make_document_spec(0, crowd), [crowd])


def test_render_command_refuses_an_unknown_noise_level_in_one_line(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    mmfactory = Path(sys.executable).parent / "mmfactory"
    env = {**os.environ, "MMFACTORY_WAREHOUSE": str(tmp_path / "warehouse")}
    proc = subprocess.run([str(mmfactory), "render", "--scan-noise", "blurry"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--scan-noise: scan noise must be one of off, light, strong, got 'blurry'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
