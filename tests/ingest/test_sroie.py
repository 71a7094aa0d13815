"""SROIE landing on the real receipts and on a folder seeded with every kind of bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.sroie import SROIE_LICENSE, land_sroie
from lakehouse.landing import LandingError
from lakehouse.settings import Warehouse
from tests.conftest import SHARED_DATASETS

SROIE = SHARED_DATASETS / "sroie"


def _rows(wh: Warehouse, table: str, source: str = "sroie") -> list[dict]:
    return pq.read_table(wh.landing / table / f"{source}.parquet").to_pylist()


def test_the_real_receipts_land_whole(shared_datasets, wh) -> None:
    report = land_sroie(wh, SROIE)
    assert report.rejects == [] and report.unbalanced_tables() == []
    assert report.rows_landed == {
        "assets": 8,
        "document_texts": 8,
        "document_lines": 348,
        "receipt_lines": 348,
        "document_fields": 32,
    }
    assets = {a["asset_id"]: a for a in _rows(wh, "assets")}
    assert {a["license_id"] for a in assets.values()} == {SROIE_LICENSE.license_id}
    texts = {t["document_key"]: t for t in _rows(wh, "document_texts")}
    assert set(texts) == {"000", "001", "003", "004", "019", "047", "217", "317"}
    assert all(not t["has_word_boxes"] for t in texts.values())
    # commas inside a transcript survive (split on the first 8 commas only); CRLF files leave no \r
    lines = _rows(wh, "receipt_lines")
    assert "NO.53 55,57 & 59, JALAN SAGU 18," in [r["text"] for r in lines]
    assert not any("\r" in r["text"] for r in lines)
    first = next(r for r in lines if r["text"] == "TAN WOON YANN")
    assert [first[f"{a}{i}_px"] for i in range(1, 5) for a in "xy"] == [
        72,
        25,
        326,
        25,
        326,
        64,
        72,
        64,
    ]
    # document_lines hold the axis-aligned box of each quadrilateral
    doc_line = next(r for r in _rows(wh, "document_lines") if r["text"] == "TAN WOON YANN")
    assert (doc_line["x_px"], doc_line["y_px"], doc_line["w_px"], doc_line["h_px"]) == (
        72,
        25,
        254,
        39,
    )
    # the four key fields, and each total occurs in its receipt's text
    fields = _rows(wh, "document_fields")
    assert {f["field_key"] for f in fields} == {"company", "date", "address", "total"}
    by_asset = {t["asset_id"]: t["full_text"] for t in texts.values()}
    for f in fields:
        if f["field_key"] == "total":
            assert f["field_value"] in by_asset[f["asset_id"]]


@pytest.fixture()
def bad_sroie(tmp_path: Path, shared_datasets) -> Path:
    root = tmp_path / "sroie"
    for sub in ("img", "box", "key"):
        (root / sub).mkdir(parents=True)
    for stem in ("000", "001", "003", "004", "019"):
        shutil.copy(SROIE / "img" / f"{stem}.jpg", root / "img" / f"{stem}.jpg")
        shutil.copy(SROIE / "box" / f"{stem}.csv", root / "box" / f"{stem}.csv")
        shutil.copy(SROIE / "key" / f"{stem}.json", root / "key" / f"{stem}.json")
    # 001: broken lines among good ones
    rows = (root / "box" / "001.csv").read_text().splitlines()
    rows[1] = "50,82,440,82,440,121,50"  # 7 coordinates
    rows[2] = "205,121,2x5,121,285,139,205,139,789417-W"  # a coordinate that is not a number
    rows[3] = "110,144,383,144,383,163,110,163"  # no transcript
    rows[4] = "192,169,5000,169,5000,187,192,187,far right"  # beyond the image
    (root / "box" / "001.csv").write_text("\n".join(rows) + "\n\n")
    # 003: a box file that is not UTF-8; its key misses 'total'
    (root / "box" / "003.csv").write_bytes(b"1,2,3,4,5,6,7,8,caf\xe9\n")
    key = json.loads((root / "key" / "003.json").read_text())
    del key["total"]
    (root / "key" / "003.json").write_text(json.dumps(key))
    # 004: its key file is not JSON
    (root / "key" / "004.json").write_text('{"company": "X",')
    # 019: no box file, no key file
    (root / "box" / "019.csv").unlink()
    (root / "key" / "019.json").unlink()
    # an image that is not an image, with its box file; a box file without an image
    (root / "img" / "900.jpg").write_text("not a jpeg")
    shutil.copy(SROIE / "box" / "047.csv", root / "box" / "900.csv")
    shutil.copy(SROIE / "box" / "047.csv", root / "box" / "901.csv")
    return root


def test_every_bad_input_gets_its_reason(bad_sroie: Path, wh) -> None:
    report = land_sroie(wh, bad_sroie, source="bad_sroie")
    assert report.unbalanced_tables() == []
    got = {(r.landing_table, r.item): str(r.reason) for r in report.rejects}
    assert got == {
        ("receipt_lines", "box/001.csv line 2"): "malformed_quad",
        ("receipt_lines", "box/001.csv line 3"): "malformed_quad",
        ("receipt_lines", "box/001.csv line 4"): "malformed_quad",
        ("receipt_lines", "box/001.csv line 5"): "bbox_out_of_bounds",
        ("document_texts", "box/003.csv"): "invalid_csv",
        ("document_fields", "key/003.json field total"): "missing_field",
        ("document_fields", "key/004.json"): "invalid_json",
        ("document_texts", "box/019.csv"): "missing_annotation",
        ("document_fields", "key/019.json"): "missing_annotation",
        ("assets", "img/900.jpg"): "not_an_image",
        ("document_texts", "box/900.csv"): "image_rejected",
        ("document_texts", "box/901.csv"): "missing_file",
    }
    messages = {r.item: r.message for r in report.rejects}
    assert (
        "7 coordinate" in messages["box/001.csv line 2"]
        and "'2x5'" in messages["box/001.csv line 3"]
    )
    assert "no transcript" in messages["box/001.csv line 4"]
    # good rows still land: 001 keeps its other lines, 003 keeps three key fields
    texts = {t["document_key"]: t for t in _rows(wh, "document_texts", "bad_sroie")}
    assert set(texts) == {"000", "001", "004"}
    original = (SROIE / "box" / "001.csv").read_text().splitlines()
    assert texts["001"]["line_count"] == len([r for r in original if r.strip()]) - 4
    fields = _rows(wh, "document_fields", "bad_sroie")
    assert sorted(f["field_key"] for f in fields if f["asset_id"] == texts["000"]["asset_id"]) == [
        "address",
        "company",
        "date",
        "total",
    ]
    assert len(fields) == 4 + 4 + 3  # 000, 001, and 003 without total
    assert len(_rows(wh, "assets", "bad_sroie")) == 5


def test_a_root_without_img_fails_clearly(tmp_path: Path, wh) -> None:
    with pytest.raises(LandingError, match="img/"):
        land_sroie(wh, tmp_path)
