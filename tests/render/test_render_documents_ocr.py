"""A real OCR engine reads the field values off rendered pages (two pages, scan noise on)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.documents.char_recall import recall_scores
from ingest.ocr import load_engine, read_file
from render.documents import make_document_spec, render_document
from render.inputs import GeneralImage


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def test_ocr_finds_every_field_value_on_noisy_pages(
    general_images: list[GeneralImage], tmp_path: Path
) -> None:
    usable = [g for g in general_images if g.is_usable]
    engine = load_engine()
    # an invoice (table, money) and an inspection checklist (tick boxes), light scan noise
    for index, parent in ((0, usable[3]), (2, usable[40])):
        spec = make_document_spec(index, parent, seed=0, scan_noise="light")
        assert spec.params["noise"] is not None
        doc = render_document(spec, [parent])
        path = tmp_path / f"{spec.layout}.png"
        path.write_bytes(doc.png)
        lines = [line.text for line in read_file(engine, path)]
        assert recall_scores(doc.full_text, lines).char_recall >= 0.9, spec.layout
        read = _compact(" ".join(lines))
        missing = [(k, v) for k, v, _, _ in doc.fields if _compact(v) not in read]
        assert missing == [], (spec.layout, missing, lines)
