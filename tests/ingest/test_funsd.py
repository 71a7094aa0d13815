"""FUNSD landing on the real forms and on a folder seeded with every kind of bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from ingest.funsd import FUNSD_LICENSE, land_funsd
from lakehouse.landing import LandingError
from lakehouse.settings import Warehouse
from tests.conftest import SHARED_DATASETS
from tests.ingest.landing_cases import assert_digests_kept

FUNSD = SHARED_DATASETS / "funsd"


def _rows(wh: Warehouse, table: str, source: str = "funsd") -> list[dict]:
    return pq.read_table(wh.landing / table / f"{source}.parquet").to_pylist()


def test_the_real_forms_land_whole(shared_datasets, wh) -> None:
    report = land_funsd(wh, FUNSD)
    assert report.rejects == [] and report.unbalanced_tables() == []
    assert report.rows_landed == {
        "assets": 10,
        "document_texts": 10,
        "document_lines": 579,
        "document_words": 1863,
        "document_fields": 357,
        "form_entities": 579,
        "form_links": 426,
    }
    assert report.images_roots == {"funsd": FUNSD.resolve()}
    assets = _rows(wh, "assets")
    assert {a["asset_type"] for a in assets} == {"document_image"}
    assert {a["license_id"] for a in assets} == {FUNSD_LICENSE.license_id}
    assert_digests_kept(wh, FUNSD, "funsd")
    labels = {}
    for e in _rows(wh, "form_entities"):
        labels[e["label"]] = labels.get(e["label"], 0) + 1
    assert labels == {"question": 209, "answer": 269, "other": 67, "header": 34}
    # lines are in reading order and every word sits in its image
    sizes = {a["asset_id"]: (a["width_px"], a["height_px"]) for a in assets}
    by_asset: dict[str, list[dict]] = {}
    for line in _rows(wh, "document_lines"):
        by_asset.setdefault(line["asset_id"], []).append(line)
    for lines in by_asset.values():
        ordered = sorted(lines, key=lambda r: r["line_index"])
        assert [r["y_px"] for r in ordered] == sorted(r["y_px"] for r in ordered)
    for w in _rows(wh, "document_words"):
        width, height = sizes[w["asset_id"]]
        assert 0 <= w["x_px"] and w["x_px"] + w["w_px"] <= width and w["y_px"] + w["h_px"] <= height
    # question -> answer links become fields
    fields = _rows(wh, "document_fields")
    assert {"field_key": "DATE:", "field_value": "12 /10 /98"} in [
        {k: f[k] for k in ("field_key", "field_value")} for f in fields
    ]
    links = _rows(wh, "form_links")
    assert sum(link["is_question_answer"] for link in links) == len(fields)
    # the rejects file and the asset_sources row land too
    assert _rows(wh, "rejects") == []
    assert _rows(wh, "asset_sources")[0]["source_kind"] == "funsd"


@pytest.fixture()
def bad_funsd(tmp_path: Path, shared_datasets) -> Path:
    """A FUNSD root: one good form, then one of each bad input."""
    root = tmp_path / "funsd"
    images, annotations = root / "train" / "images", root / "train" / "annotations"
    images.mkdir(parents=True)
    annotations.mkdir(parents=True)
    src = FUNSD / "training_data"
    good = "0000971160"
    form = json.loads((src / "annotations" / f"{good}.json").read_text())
    shutil.copy(src / "images" / f"{good}.png", images / "good.png")
    (annotations / "good.json").write_text(json.dumps(form))

    # a form whose records are broken in every way (based on the same real form)
    broken = json.loads(json.dumps(form))
    ents = broken["form"]
    ents[0]["box"] = [700, 10, 900, 40]  # beyond the 762 px wide image
    ents[1]["label"] = "signature"  # not a FUNSD label
    del ents[2]["text"]  # missing text
    ents[3]["id"] = ents[4]["id"]  # a repeated id: both rejected
    ents[5]["words"][0]["box"] = [10, 10, 5, 20]  # a word box that ends before it starts
    ents[6]["box"] = [1, 2, 3]  # not 4 numbers
    ents[7]["linking"] = [[ents[7]["id"], 999]]  # a link to an entity that does not exist
    ents[8]["linking"] = [[ents[8]["id"], ents[0]["id"]]]  # a link to a rejected entity
    shutil.copy(src / "images" / f"{good}.png", images / "broken.png")
    # the same pixels with one changed, so that the two files are distinct assets
    img = Image.open(images / "broken.png")
    img.putpixel((0, 0), 0 if img.getpixel((0, 0)) else 255)
    img.save(images / "broken.png")
    (annotations / "broken.json").write_text(json.dumps(broken))

    shutil.copy(src / "images" / "0000989556.png", images / "notjson.png")
    (annotations / "notjson.json").write_text('{"form": [ {"id": 1, ')
    shutil.copy(src / "images" / "0000990274.png", images / "noform.png")
    (annotations / "noform.json").write_text('{"entities": []}')
    shutil.copy(src / "images" / "0000999294.png", images / "lonely.png")  # no annotation
    (annotations / "orphan.json").write_text(json.dumps(form))  # no image
    data = (src / "images" / "0001118259.png").read_bytes()
    (images / "truncated.png").write_bytes(data[: len(data) // 2])
    (annotations / "truncated.json").write_text(json.dumps(form))
    (images / "empty.png").write_bytes(b"")
    shutil.copy(images / "good.png", images / "zcopy.png")  # same bytes as good.png, later by path
    return root


def test_every_bad_input_gets_its_reason(bad_funsd: Path, wh) -> None:
    report = land_funsd(wh, bad_funsd, source="bad_funsd")
    assert report.unbalanced_tables() == []
    got = {r.item: str(r.reason) for r in report.rejects}
    ids = [
        e["id"] for e in json.loads((bad_funsd / "train/annotations/good.json").read_text())["form"]
    ]
    ann = "train/annotations/broken.json"
    expected = {
        "train/images/truncated.png": "truncated_image",
        "train/images/empty.png": "zero_byte",
        "train/images/zcopy.png": "duplicate_content",
        "train/annotations/truncated.json": "image_rejected",
        "train/annotations/notjson.json": "invalid_json",
        "train/annotations/noform.json": "malformed_record",
        "train/images/lonely.png": "missing_annotation",
        "train/annotations/orphan.json": "missing_file",
        f"{ann} entity {ids[0]}": "bbox_out_of_bounds",
        f"{ann} entity {ids[1]}": "malformed_record",
        f"{ann} entity {ids[2]}": "malformed_record",
        f"{ann} entity {ids[4]}": "duplicate_entity_id",
        f"{ann} entity {ids[5]}": "negative_bbox",
        f"{ann} entity {ids[6]}": "malformed_record",
        f"{ann} link {ids[7]}->999": "unknown_entity",
        f"{ann} link {ids[8]}->{ids[0]}": "entity_rejected",
    }
    assert {k: got.get(k) for k in expected} == expected
    # the other rejects are the links of the rejected entities (or of the id that was overwritten)
    extra = {k: v for k, v in got.items() if k not in expected}
    assert extra and all(
        " link " in k and v in ("entity_rejected", "unknown_entity") for k, v in extra.items()
    )
    assert (
        sum(1 for r in report.rejects if r.reason == "duplicate_entity_id") == 2
    )  # both holders of the id
    for r in report.rejects:
        assert r.item.split(" ")[0] in r.message

    # the good records of every readable form landed
    texts = {t["document_key"]: t for t in _rows(wh, "document_texts", "bad_funsd")}
    assert set(texts) == {"good", "broken"}
    good_entities = len(json.loads((bad_funsd / "train/annotations/good.json").read_text())["form"])
    per_doc: dict[str, int] = {}
    for e in _rows(wh, "form_entities", "bad_funsd"):
        per_doc[e["asset_id"]] = per_doc.get(e["asset_id"], 0) + 1
    assert per_doc == {
        texts["good"]["asset_id"]: good_entities,
        texts["broken"]["asset_id"]: good_entities - 7,
    }
    assets = {a["relative_path"] for a in _rows(wh, "assets", "bad_funsd")}
    assert assets == {
        "train/images/good.png",
        "train/images/broken.png",
        "train/images/notjson.png",
        "train/images/noform.png",
        "train/images/lonely.png",
    }
    assert len(_rows(wh, "rejects", "bad_funsd")) == len(report.rejects)


def test_a_root_that_is_not_a_folder_fails_clearly(tmp_path: Path, wh) -> None:
    with pytest.raises(LandingError, match="not a directory"):
        land_funsd(wh, tmp_path / "nope")
