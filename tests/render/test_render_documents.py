"""Derived documents: four layouts, exact text and boxes, identical bytes on re-render."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from render.documents import LAYOUTS, make_document_spec, position_words, render_document
from render.inputs import GeneralImage, ObjectBox


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
    """Two documents of each layout, from different images."""
    out = []
    for i in range(2 * len(LAYOUTS)):
        parent = usable[(i * 13) % len(usable)]
        spec = make_document_spec(i, parent, seed=0)
        out.append((spec, parent, render_document(spec, [parent])))
    return out


def test_each_layout_renders_with_its_own_look(rendered) -> None:
    assert [spec.layout for spec, _, _ in rendered[:4]] == list(LAYOUTS)
    titles = {spec.layout: doc.lines[0].text for spec, _, doc in rendered}
    assert titles == {
        "inspection_report": "VISUAL INSPECTION REPORT",
        "inventory_table": "OBJECT INVENTORY",
        "receipt_slip": "OBJECT COUNT SLIP",
        "memo": "MEMORANDUM",
    }
    receipt = next(doc for spec, _, doc in rendered if spec.layout == "receipt_slip")
    page = next(doc for spec, _, doc in rendered if spec.layout == "memo")
    assert receipt.width_px < 500 < page.width_px  # a narrow slip vs a letter page
    # fonts, sizes and margins vary between documents
    params = [spec.params for spec, _, _ in rendered]
    assert len({p["font_family"] for p in params}) >= 2
    assert (
        len({p["body_size_px"] for p in params}) >= 2 and len({p["margin_px"] for p in params}) >= 2
    )


def test_text_comes_from_the_annotations(rendered) -> None:
    for spec, parent, doc in rendered:
        text = doc.full_text
        top_name, top_count = parent.category_counts()[0]
        assert top_name in text, spec.layout
        assert str(parent.coco_image_id) in text
        if spec.layout == "inspection_report":
            first = parent.countable[0]
            assert f"annotation {first.annotation_id}" in text
            assert position_words(first, parent.width_px, parent.height_px) in text
        if spec.layout in ("inventory_table", "receipt_slip"):
            fields = {k: v for k, v, _, _ in doc.fields}
            assert fields[top_name] == str(top_count)


def test_lines_words_and_fields_are_exact(rendered) -> None:
    for spec, _, doc in rendered:
        img = Image.open(io.BytesIO(doc.png))
        assert img.size == (doc.width_px, doc.height_px)
        for line in doc.lines:
            assert line.text == " ".join(w.text for w in line.words)
            x0, y0, x1, y1 = line.box
            assert 0 <= x0 < x1 <= doc.width_px and 0 <= y0 < y1 <= doc.height_px, spec.layout
            for w in line.words:
                # ink lies inside each word box: the box is not blank paper
                crop = img.crop(w.box).convert("L")
                assert crop.getextrema()[0] < 160, (spec.layout, w.text)
        for key, value, key_line, value_line in doc.fields:
            assert key in doc.lines[key_line].text and value in doc.lines[value_line].text


def test_rendering_is_byte_identical_and_carries_no_metadata(rendered) -> None:
    for spec, parent, doc in rendered:
        again = render_document(
            make_document_spec(rendered.index((spec, parent, doc)), parent, seed=0), [parent]
        )
        assert again.png == doc.png
        assert set(_png_chunks(doc.png)) <= {b"IHDR", b"IDAT", b"IEND"}
    spec, parent, doc = rendered[0]
    assert render_document(make_document_spec(0, parent, seed=1), [parent]).png != doc.png


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
