"""render_derived end to end: files, asset rows like photos', ground truth, lineage, balance,
and the round trip (re-render from landed data -> the same hash)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.chartqa import land_chartqa
from ingest.funsd import land_funsd
from ingest.image_files import ASSETS_SCHEMA
from ingest.sroie import land_sroie
from lakehouse.landing import LandingError
from lakehouse.settings import Warehouse
from render import charts as charts_mod
from render import derive
from render import documents as documents_mod
from render.derive import render_derived
from render.replay import verify_round_trip
from tests.conftest import SHARED_DATASETS


def _rows(wh: Warehouse, table: str, source: str) -> list[dict]:
    return pq.read_table(wh.landing / table / f"{source}.parquet").to_pylist()


def test_render_lands_balanced_assets_with_ground_truth_and_lineage(coco_wh: Warehouse) -> None:
    report = render_derived(coco_wh, per_type=8, seed=0)
    assert report.unbalanced_tables() == [] and report.rejects == []
    assert report.images_roots == {
        "derived_documents": coco_wh.derived,
        "derived_charts": coco_wh.derived,
    }

    docs, charts = (
        _rows(coco_wh, "assets", "derived_documents"),
        _rows(coco_wh, "assets", "derived_charts"),
    )
    assert len(docs) == len(charts) == 8
    assert pq.read_schema(coco_wh.landing / "assets" / "derived_documents.parquet").equals(
        ASSETS_SCHEMA
    )
    for row in docs + charts:
        path = coco_wh.derived / row["relative_path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["asset_id"]
        assert path.name == f"{row['asset_id']}.png" and row["format"] == "PNG"
        assert row["license_id"].startswith("derived:cc-by")
    assert {r["asset_type"] for r in docs} == {"document_image"}
    assert {r["asset_type"] for r in charts} == {"chart_image"}

    # the pool is balanced: 8 of each type
    pool = _rows(coco_wh, "asset_pool", "balanced_pool")
    by_type: dict[str, int] = {}
    for r in pool:
        by_type[r["asset_type"]] = by_type.get(r["asset_type"], 0) + 1
    assert by_type == {"general_image": 8, "document_image": 8, "chart_image": 8}
    # every landed photo left out of the pool is listed once, with its reason
    left_out = _rows(coco_wh, "asset_pool_exclusions", "balanced_pool")
    photos = {r["asset_id"] for r in _rows(coco_wh, "assets", "coco128")}
    assert {r["asset_id"] for r in left_out} == photos - {r["asset_id"] for r in pool}
    assert len(left_out) == len(photos) - 8
    assert {r["reason"] for r in left_out} <= {"no_usable_annotation", "beyond_per_type"}
    assert {r["asset_source"] for r in left_out} == {"coco128"}

    # ground truth for every derived asset
    texts = {r["asset_id"]: r for r in _rows(coco_wh, "document_texts", "derived_documents")}
    assert set(texts) == {r["asset_id"] for r in docs}
    assert {r["layout"] for r in texts.values()} == set(derive.doc_gen.LAYOUTS)  # 8 documents
    lines = _rows(coco_wh, "document_lines", "derived_documents")
    words = _rows(coco_wh, "document_words", "derived_documents")
    for aid, t in texts.items():
        mine = sorted((r for r in lines if r["asset_id"] == aid), key=lambda r: r["line_index"])
        assert t["full_text"] == "\n".join(r["text"] for r in mine)
        assert sum(r["word_count"] for r in mine) == sum(1 for w in words if w["asset_id"] == aid)
    assert _rows(coco_wh, "document_fields", "derived_documents")
    chart_rows = {r["asset_id"]: r for r in _rows(coco_wh, "charts", "derived_charts")}
    assert set(chart_rows) == {r["asset_id"] for r in charts}
    assert {r["chart_type"] for r in chart_rows.values()} == {"bar", "barh", "line", "pie"}
    assert all(r["is_table_plausible"] for r in chart_rows.values())
    cells = _rows(coco_wh, "chart_tables", "derived_charts")
    assert {c["asset_id"] for c in cells} == set(chart_rows)
    qa = _rows(coco_wh, "chart_qa_pairs", "derived_charts")
    assert {q["origin"] for q in qa} == {"derived_exact"}

    # lineage: parents, generator, params, seed
    lineage = _rows(coco_wh, "asset_lineage", "derived_documents") + _rows(
        coco_wh, "asset_lineage", "derived_charts"
    )
    assert {r["asset_id"] for r in lineage} == {r["asset_id"] for r in docs + charts}
    general = {r["asset_id"] for r in _rows(coco_wh, "assets", "coco128")}
    versions = dict(
        [(charts_mod.GENERATOR, charts_mod.GENERATOR_VERSION),
         (documents_mod.GENERATOR, documents_mod.GENERATOR_VERSION)]
    )
    for r in lineage:
        assert r["parent_asset_id"] in general and r["parent_source"] == "coco128"
        assert r["generator_version"] == versions[r["generator"]]
        assert json.loads(r["params_json"])["run_seed"] == 0
        assert r["parent_license_id"].startswith("coco128:")
    sources = _rows(coco_wh, "asset_sources", "derived_documents")
    assert Path(sources[0]["images_root"]).name == "derived"


def test_every_derived_asset_round_trips_and_reruns_are_identical(
    coco_wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    render_derived(coco_wh, per_type=6, seed=3)
    first = {
        r["asset_id"]
        for s in ("derived_documents", "derived_charts")
        for r in _rows(coco_wh, "assets", s)
    }
    trips = verify_round_trip(coco_wh)
    assert {t.asset_id for t in trips} == first
    assert all(t.is_identical for t in trips)
    landed = {t: (coco_wh.landing / t / "derived_documents.parquet").read_bytes()
              for t in ("assets", "asset_lineage", "document_texts")}
    pngs = {p: p.stat().st_mtime_ns for p in coco_wh.derived.rglob("*.png")}
    # unchanged inputs: nothing is drawn, nothing derived is re-landed, only the pool
    def never(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("an unchanged render was drawn again")

    with monkeypatch.context() as m:
        m.setattr(derive.doc_gen, "render_document", never)
        m.setattr(derive.chart_gen, "render_chart", never)
        report = render_derived(coco_wh, per_type=6, seed=3)
    assert any("nothing drawn" in n for n in report.notes)
    assert {t: (coco_wh.landing / t / "derived_documents.parquet").read_bytes()
            for t in landed} == landed
    assert {p: p.stat().st_mtime_ns for p in coco_wh.derived.rglob("*.png")} == pngs
    assert len(_rows(coco_wh, "asset_pool", "balanced_pool")) == 18
    render_derived(coco_wh, per_type=6, seed=3)
    again = {
        r["asset_id"]
        for s in ("derived_documents", "derived_charts")
        for r in _rows(coco_wh, "assets", s)
    }
    assert again == first
    # a smaller pool removes the files it no longer needs
    render_derived(coco_wh, per_type=2, seed=3)
    assert len(list((coco_wh.derived / "documents").glob("*.png"))) == 2
    assert len(list((coco_wh.derived / "charts").glob("*.png"))) == 2


def test_real_documents_and_charts_count_toward_the_balance(coco_wh: Warehouse) -> None:
    land_funsd(coco_wh, SHARED_DATASETS / "funsd")
    land_sroie(coco_wh, SHARED_DATASETS / "sroie")
    land_chartqa(coco_wh, SHARED_DATASETS / "chartqa")
    render_derived(coco_wh, per_type=20, seed=0)
    assert len(_rows(coco_wh, "assets", "derived_documents")) == 20 - 18
    assert len(_rows(coco_wh, "assets", "derived_charts")) == 20 - 2
    pool = _rows(coco_wh, "asset_pool", "balanced_pool")
    counts = {(r["asset_type"], r["is_derived"]): 0 for r in pool}
    for r in pool:
        counts[(r["asset_type"], r["is_derived"])] += 1
    assert counts == {
        ("general_image", False): 20,
        ("document_image", False): 18,
        ("document_image", True): 2,
        ("chart_image", False): 2,
        ("chart_image", True): 18,
    }


def test_a_missing_coco_source_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(LandingError, match="has not been landed"):
        render_derived(Warehouse(tmp_path / "empty"), coco_source="coco128")
