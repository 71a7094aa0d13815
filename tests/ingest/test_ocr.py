"""OCR evidence: the recall measure, the engine wrapper, and OCR usability on real images.

The engine is real (RapidOCR with its bundled models) and slow on 2 cores, so it is loaded
once per session and each test OCRs only the few images it needs.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from ingest.chartqa import land_chartqa
from ingest.documents.char_recall import char_recall, normalise, recall_scores
from ingest.funsd import land_funsd
from ingest.ocr import (
    ENGINE_REQUIREMENT,
    ENGINE_SETTINGS,
    OcrEngineUnavailable,
    RapidOcrEngine,
    load_engine,
    numbers_in,
    run_ocr,
    value_evidence,
)
from lakehouse.settings import Warehouse
from render.fonts import load_font
from render.page import Page, Segment
from tests.conftest import SHARED_DATASETS

TEXT = [
    "Inspection report 2024-03-05",
    "person: 3 objects, lower left",
    "bicycle count 2 at center right",
    "Total items 17, asset 9f3a2c",
]


@pytest.fixture(scope="session")
def engine() -> RapidOcrEngine:
    return load_engine()


class _Remembered:
    """The real engine, each image's read remembered by its pixels. The stage tests below
    land the same form and charts again and again to check what the stage lands, reuses
    and refuses, not what the engine reads (the same pixels give the same lines:
    test_the_memory_arena_changes_no_line_box_or_score), so the engine reads each image
    once (the module took ~31 s of CPU when it read each one in every test)."""

    def __init__(self, real: RapidOcrEngine) -> None:
        self.name, self.version, self.real = real.name, real.version, real
        self.reads: dict[str, list] = {}

    def read(self, image):  # noqa: ANN001
        key = hashlib.sha256(f"{image.mode} {image.size} ".encode() + image.tobytes()).hexdigest()
        if key not in self.reads:
            self.reads[key] = self.real.read(image)
        return list(self.reads[key])


@pytest.fixture(scope="session")
def remembered(engine: RapidOcrEngine) -> _Remembered:
    return _Remembered(engine)


def test_char_recall_on_hand_made_strings() -> None:
    assert char_recall("Hello World", "hello world") == 1.0
    assert char_recall("Hello World", "HelloWorld") == 1.0  # whitespace does not count
    assert char_recall("ab cd", "dcba") == 1.0  # order does not count (multiset)
    assert char_recall("aaab", "ab") == 0.5  # each character counts once: a, b of a,a,a,b
    assert char_recall("abcd", "") == 0.0
    assert char_recall("", "anything") is None and char_recall("  \n", "x") is None
    assert char_recall("Date: 12", "DATE\uff1a12") == 1.0  # full-width colon, NFKC
    assert normalise(" Ｔotal\t9.00 \n") == "total9.00"


def test_precision_and_word_recall() -> None:
    s = recall_scores("abc", ["abcxyz"])
    assert (s.char_recall, s.char_precision) == (1.0, 0.5)
    s = recall_scores("TOTAL 9.00 CASH", ["TOTAL9.00", "CASl"])
    assert (s.gt_word_count, s.matched_word_count, s.word_recall) == (3, 2, 2 / 3)
    assert s.gt_char_count == 13 and s.matched_char_count == 12
    assert recall_scores("abc", []).char_precision is None


def test_numbers_and_value_evidence() -> None:
    assert numbers_in(["52 51", "U.S. views 2015", "1,234 and -3.5"]) == [52, 51, 2015, 1234, -3.5]
    found, missing = value_evidence([52, 51, 51, 0, 5250], ["52", "51", "2015"])
    assert (found, missing) == (2, [51, 0, 5250])


def test_a_missing_engine_gives_a_clear_message(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import now fails
    with pytest.raises(OcrEngineUnavailable) as info:
        load_engine()
    assert ENGINE_REQUIREMENT in str(info.value) and "pip install" in str(info.value)
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(OcrEngineUnavailable):
        run_ocr(wh)
    assert not wh.landing.exists()  # nothing was written


def _page(size_px: int, grey: int = 20) -> Image.Image:
    """The same four lines at ``size_px`` on a page large enough that the engine does not
    upscale it (its detector scales pages under 736 px up)."""
    page = Page(900, 760, (255, 255, 255))
    font = load_font("DejaVuSans.ttf", size_px)
    for i, line in enumerate(TEXT):
        page.write(40, 40 + i * round(size_px * 1.6), [Segment(line, font, (grey, grey, grey))])
    png, _, _ = page.render()
    return Image.open(io.BytesIO(png))


def test_usability_separates_readable_from_too_small_or_too_faint_text(
    engine: RapidOcrEngine,
) -> None:
    truth = "\n".join(TEXT)

    def recall(img: Image.Image) -> float:
        return recall_scores(truth, [line.text for line in engine.read(img)]).char_recall

    readable, tiny, faint = recall(_page(18)), recall(_page(5)), recall(_page(18, grey=246))
    assert readable >= 0.95, readable
    assert tiny <= 0.3, tiny
    assert faint <= 0.3, faint


@pytest.fixture()
def small_lake(tmp_path: Path, shared_datasets) -> tuple[Warehouse, Path]:
    """One real FUNSD form and the two ChartQA charts, landed from a copy we may modify."""
    funsd = tmp_path / "funsd" / "training_data"
    for sub, ext in (("images", "png"), ("annotations", "json")):
        (funsd / sub).mkdir(parents=True)
        shutil.copy(
            SHARED_DATASETS / "funsd" / "training_data" / sub / f"0000971160.{ext}", funsd / sub
        )
    chartqa = tmp_path / "chartqa"
    shutil.copytree(SHARED_DATASETS / "chartqa", chartqa)
    wh = Warehouse(tmp_path / "warehouse")
    land_funsd(wh, tmp_path / "funsd")
    land_chartqa(wh, chartqa)
    return wh, chartqa


def test_run_ocr_lands_lines_usability_and_chart_value_checks(small_lake, remembered) -> None:
    wh, chartqa = small_lake
    report = run_ocr(wh, engine=remembered)
    assert report.rejects == [] and report.unbalanced_tables() == []
    assert report.rows_landed["ocr_usability"] == 3 and report.rows_landed["chart_ocr_checks"] == 2

    usability = {
        r["source"]: r
        for r in pq.read_table(wh.landing / "ocr_usability" / "funsd.parquet").to_pylist()
    }
    form = usability["funsd"]
    assert form["engine"] == "rapidocr-onnxruntime" and form["engine_version"].startswith("1.4")
    assert form["has_ground_truth"] and form["gt_text_kind"] == "document_text"
    assert form["char_recall"] >= 0.85 and form["is_ocr_usable"] == (form["char_recall"] >= 0.9)
    charts = pq.read_table(wh.landing / "ocr_usability" / "chartqa.parquet").to_pylist()
    assert {c["gt_text_kind"] for c in charts} == {"chart_table_labels"}
    assert all(c["char_recall"] >= 0.9 for c in charts)  # the years and series names are printed

    lines = pq.read_table(wh.landing / "ocr_lines" / "funsd.parquet").to_pylist()
    assert len(lines) >= 10 and all(0 < r["confidence"] <= 1 for r in lines)
    assert any("Suggestion" in r["text"] for r in lines)
    assert all(r["w_px"] > 0 and r["h_px"] > 0 for r in lines)

    # the check against the chart: 10095's artefacts 0 and 5250 are not printed on it
    checks = {
        r["table_value_count"]: r
        for r in pq.read_table(wh.landing / "chart_ocr_checks" / "chartqa.parquet").to_pylist()
    }
    assert "5250" in checks[12]["missing_values"].split("; ")
    assert checks[12]["values_found_count"] >= 8


def test_a_changed_or_missing_file_is_rejected(small_lake, remembered) -> None:
    wh, chartqa = small_lake
    png = chartqa / "png" / "10095.png"
    png.write_bytes(png.read_bytes() + b"\0")
    (chartqa / "png" / "10149.png").unlink()
    report = run_ocr(wh, sources=["chartqa"], engine=remembered)
    reasons = sorted(str(r.reason) for r in report.rejects)
    assert reasons == ["content_changed", "missing_file"]
    assert report.rows_landed["ocr_usability"] == 0 and report.unbalanced_tables() == []
    assert pq.read_table(wh.landing / "rejects" / "ocr-chartqa.parquet").num_rows == 2
    assert not (
        wh.landing / "ocr_usability" / "funsd.parquet"
    ).exists()  # only the named source ran


class _NeverCalled:
    """An engine of the same name and version that fails the test if asked to read."""

    def __init__(self, real: RapidOcrEngine) -> None:
        self.name, self.version = real.name, real.version

    def read(self, image):  # noqa: ANN001
        raise AssertionError("an image already read was OCR'd again")


def test_a_rerun_reads_no_image_twice_and_lands_the_same_rows(small_lake, remembered) -> None:
    wh, _ = small_lake
    run_ocr(wh, engine=remembered)
    before = {t: pq.read_table(wh.landing / t / "funsd.parquet").drop(["ingested_at", "ingest_run_id"])
              for t in ("ocr_lines", "ocr_usability")}
    report = run_ocr(wh, engine=_NeverCalled(remembered))
    assert report.rejects == []
    for table, rows in before.items():
        after = pq.read_table(wh.landing / table / "funsd.parquet").drop(["ingested_at", "ingest_run_id"])
        assert after.equals(rows), table


class _Upgraded:
    """The real engine under a new version: nothing landed by the old one is reused."""

    def __init__(self, real: RapidOcrEngine) -> None:
        self.name, self.version, self.real = real.name, f"{real.version}+next", real

    def read(self, image):  # noqa: ANN001
        return self.real.read(image)


def test_an_ocr_run_that_would_drop_most_rows_is_refused_unless_replace(small_lake, remembered) -> None:
    from lakehouse.commit import WouldShrink
    from tests.ingest.landing_cases import snapshot

    wh, chartqa = small_lake
    run_ocr(wh, sources=["chartqa"], engine=remembered)
    before = snapshot(wh)
    # the engine is upgraded while the chart files are away: every read fails
    shutil.move(chartqa / "png", chartqa.parent / "png-away")
    with pytest.raises(WouldShrink, match=r"ocr_usability/chartqa: 2 -> 0 rows"):
        run_ocr(wh, sources=["chartqa"], engine=_Upgraded(remembered))
    assert snapshot(wh) == before
    report = run_ocr(wh, sources=["chartqa"], engine=_Upgraded(remembered), replace=True)
    assert report.rows_landed["ocr_usability"] == 0
    assert sorted(str(r.reason) for r in report.rejects) == ["missing_file", "missing_file"]


def test_the_memory_arena_changes_no_line_box_or_score(engine) -> None:
    """The engine opens its ONNX sessions with the CPU memory arena on; RapidOCR's own
    sessions (arena off) read a real ChartQA chart to exactly the same lines, boxes and
    scores (BENCHMARKS.md compares 30 pages and charts)."""
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession

    sessions = (engine._ocr.text_det.infer.session, engine._ocr.text_rec.session.session)
    assert all(s.get_session_options().enable_cpu_mem_arena for s in sessions)
    assert OrtInferSession._init_sess_opts({}).enable_cpu_mem_arena is False  # restored
    plain = RapidOCR(**ENGINE_SETTINGS)  # the same threads as load_engine()'s
    image = Image.open(SHARED_DATASETS / "chartqa" / "png" / "10095.png").convert("RGB")
    ours = engine._ocr(image)[0]
    assert ours and ours == plain(image)[0]


def _mark_as_drawn(wh: Warehouse, asset_ids: list[str], source: str = "chartqa") -> None:
    """Land lineage rows for ``asset_ids`` (as ``source``'s lineage file), as render.derive
    does for the charts and documents it draws (the OCR stage tells a drawn image from a
    real one by its lineage)."""
    from lakehouse.landing import land_table, new_run_id, table_of, utc_now
    from lakehouse.tables.renders import ASSET_LINEAGE_SCHEMA, ASSET_LINEAGE_TABLE

    rows = [{"asset_id": aid, "parent_asset_id": "0" * 64, "parent_order": 0,
             "parent_source": "coco128", "generator": "test", "generator_version": "1",
             "params_json": "{}", "seed": 0, "library_versions_json": "{}",
             "license_rule": "test"} for aid in asset_ids]
    stamp = {"source": source, "ingested_at": utc_now(), "ingest_run_id": new_run_id()}
    land_table(wh, ASSET_LINEAGE_TABLE, source,
               table_of(rows, ASSET_LINEAGE_SCHEMA, stamp), ASSET_LINEAGE_SCHEMA)


def test_drawn_charts_are_read_as_a_sample_and_unread_ones_keep_no_rows(small_lake, remembered) -> None:
    wh, _ = small_lake
    charts = sorted(r["asset_id"] for r in pq.read_table(wh.landing / "charts" / "chartqa.parquet").to_pylist())
    _mark_as_drawn(wh, charts)  # the two ChartQA charts, both of unknown kind (no chart_type)

    def read_ids() -> set[str]:
        return set(pq.read_table(wh.landing / "ocr_usability" / "chartqa.parquet").column("asset_id").to_pylist())

    run_ocr(wh, engine=remembered, drawn_charts_per_kind=None)
    assert read_ids() == set(charts)
    report = run_ocr(wh, engine=remembered, drawn_charts_per_kind=1)
    first = min(charts, key=lambda a: hashlib.sha256(a.encode()).hexdigest())
    assert read_ids() == {first}
    assert "1 unread (drawn_chart_beyond_kind_sample)" in " ".join(report.notes)
    # none: the source's earlier reads do not stay landed; the form is still read
    run_ocr(wh, engine=remembered, drawn_charts_per_kind=0)
    assert read_ids() == set()
    assert pq.read_table(wh.landing / "ocr_lines" / "chartqa.parquet").num_rows == 0
    assert pq.read_table(wh.landing / "ocr_usability" / "funsd.parquet").num_rows == 1


def test_drawn_documents_are_read_as_a_sample_per_layout(small_lake, remembered) -> None:
    wh, _ = small_lake
    (form,) = pq.read_table(wh.landing / "document_texts" / "funsd.parquet").column("asset_id").to_pylist()
    _mark_as_drawn(wh, [form], source="funsd")  # the FUNSD form as if mmfactory had drawn it

    def read_ids() -> set[str]:
        return set(pq.read_table(wh.landing / "ocr_usability" / "funsd.parquet").column("asset_id").to_pylist())

    run_ocr(wh, engine=remembered)  # the first of its layout: read
    assert read_ids() == {form}
    report = run_ocr(wh, engine=remembered, drawn_documents_per_layout=0)
    assert read_ids() == set()
    assert "1 unread (drawn_document_beyond_layout_sample)" in " ".join(report.notes)
    assert pq.read_table(wh.landing / "ocr_usability" / "chartqa.parquet").num_rows == 2  # charts: real
