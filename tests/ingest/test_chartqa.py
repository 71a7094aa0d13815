"""ChartQA landing on the real charts, the table plausibility check, and bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.chartqa import CHARTQA_LICENSE, TableError, land_chartqa, parse_table
from ingest.documents.plausibility import check_table, parse_value
from lakehouse.landing import LandingError
from lakehouse.settings import Warehouse
from tests.conftest import SHARED_DATASETS

CHARTQA = SHARED_DATASETS / "chartqa"


def _rows(wh: Warehouse, table: str, source: str = "chartqa") -> list[dict]:
    return pq.read_table(wh.landing / table / f"{source}.parquet").to_pylist()


def test_the_real_charts_land_and_their_noisy_tables_are_flagged(shared_datasets, wh) -> None:
    report = land_chartqa(wh, CHARTQA)
    assert report.rejects == [] and report.unbalanced_tables() == []
    assert report.rows_landed == {"assets": 2, "charts": 2, "chart_tables": 22, "chart_qa_pairs": 3}
    assets = _rows(wh, "assets")
    assert {a["asset_type"] for a in assets} == {"chart_image"}
    assert {a["license_id"] for a in assets} == {CHARTQA_LICENSE.license_id}
    charts = {c["chart_key"]: c for c in _rows(wh, "charts")}
    assert not charts["10095"]["is_table_plausible"] and not charts["10149"]["is_table_plausible"]
    assert (
        "5250" in charts["10095"]["plausibility_reason"]
        and "zero_artefact" in charts["10149"]["plausibility_reason"]
    )
    assert charts["10095"]["x_label"] == "Year" and charts["10095"]["chart_type"] is None
    cells = _rows(wh, "chart_tables")
    suspects = {
        (c["series"], c["category"], c["value_text"]) for c in cells if c["is_suspect_value"]
    }
    assert ("Favorable", "2007", "5250") in suspects and ("Favorable", "2005", "0") in suspects
    assert ("Favorable", "2009", "50") not in suspects
    qa = _rows(wh, "chart_qa_pairs")
    by_chart = {charts[k]["asset_id"]: k for k in charts}
    assert sorted((by_chart[q["asset_id"]], q["qa_index"], q["answer"]) for q in qa) == [
        ("10095", 0, "Yes"),
        ("10095", 1, "6"),
        ("10149", 0, "2014"),
    ]


def test_plausibility_passes_clean_and_long_tailed_tables() -> None:
    assert check_table(
        ["2011", "2012", "2013"], [("Favorable", [61, 56, 51]), ("Unfavorable", [31, 38, 48])]
    ).is_plausible
    # real long-tailed data with a unit: 18 people among 1-object categories, a 626 px bed
    assert check_table(list("abcdef"), [("objects", [18, 1, 1, 1, 2, 1])], "objects").is_plausible
    assert check_table(list("abcd"), [("width", [626, 20, 31, 18.5])], "px").is_plausible
    # small counts may hold true zeros
    assert check_table(list("abc"), [("n", [0, 2, 3])], "objects").is_plausible
    verdict = check_table(["x", "x"], [("s", [1, None])])
    assert not verdict.is_plausible
    assert [p.split(":")[0] for p in verdict.problems] == [
        "duplicate_category",
        "non_numeric_value",
    ]
    assert not check_table([], []).is_plausible
    # a percent-like table with one cell out of 0..100
    assert "percent_range" in check_table(list("abcd"), [("s", [40, 52, 140, 38])]).reason
    assert parse_value(" 52% ") == (52.0, "%") and parse_value("1,234") == (1234.0, None)
    assert parse_value("n/a") == (None, None) and parse_value("nan") == (None, None)


@pytest.mark.parametrize(
    "data, why",
    [
        (b"", "empty"),
        (b"Year\n2011\n", "category column and a series"),
        (b"Year,A\n", "no data row"),
        (b"Year,A,B\n2011,1,2\n2012,3\n", "row 3 has 2 fields"),
        (b"Year,A\n2011,caf\xe9\n", "not UTF-8"),
    ],
)
def test_tables_that_do_not_parse(data: bytes, why: str) -> None:
    with pytest.raises(TableError, match=why):
        parse_table(data)


@pytest.fixture()
def bad_chartqa(tmp_path: Path, shared_datasets) -> Path:
    root = tmp_path / "chartqa" / "train"
    shutil.copytree(CHARTQA / "png", root / "png")
    shutil.copytree(CHARTQA / "tables", root / "tables")
    (root / "tables" / "10149.csv").write_text("Year,Favorable\n2011,61\n2012\n")  # ragged
    (root / "tables" / "77777.csv").write_text("Year,A\n2011,1\n")  # no such chart
    shutil.copy(CHARTQA / "png" / "10095.png", root / "png" / "20000.png")
    (root / "png" / "20000.png").write_bytes(
        (root / "png" / "20000.png").read_bytes()[:-2000]
    )  # truncated...
    shutil.copy(CHARTQA / "tables" / "10095.csv", root / "tables" / "20000.csv")  # ...with a table
    from PIL import Image

    Image.new("RGB", (300, 200), "white").save(root / "png" / "30000.png")  # no table
    qa = json.loads((CHARTQA / "qa.json").read_text())
    qa += [
        {"imgname": "55555.png", "query": "What?", "label": "1"},
        {"imgname": "10095.png", "query": "No label"},
        "not a record",
        {"imgname": "20000.png", "query": "Rejected chart?", "label": 3},
        {"imgname": "30000.png", "query": "Blank?", "label": 0},
    ]
    (root / "train_human.json").write_text(json.dumps(qa))
    (root / "broken.json").write_text("[{")
    return tmp_path / "chartqa"


def test_every_bad_input_gets_its_reason(bad_chartqa: Path, wh) -> None:
    report = land_chartqa(wh, bad_chartqa, source="bad_chartqa")
    assert report.unbalanced_tables() == []
    got = {(r.landing_table, r.item): str(r.reason) for r in report.rejects}
    assert got == {
        ("assets", "train/png/20000.png"): "truncated_image",
        ("chart_tables", "train/tables/20000.csv"): "chart_rejected",
        ("chart_tables", "train/tables/10149.csv"): "invalid_csv",
        ("chart_tables", "train/tables/77777.csv"): "unknown_chart",
        ("chart_tables", "train/tables/30000.csv"): "missing_table",
        ("chart_qa_pairs", "train/train_human.json[3]"): "unknown_chart",
        ("chart_qa_pairs", "train/train_human.json[4]"): "malformed_record",
        ("chart_qa_pairs", "train/train_human.json[5]"): "malformed_record",
        ("chart_qa_pairs", "train/train_human.json[6]"): "chart_rejected",
        ("chart_qa_pairs", "train/broken.json"): "invalid_json",
    }
    charts = {c["chart_key"]: c for c in _rows(wh, "charts", "bad_chartqa")}
    assert set(charts) == {"10095", "10149", "30000"}
    assert (
        not charts["10149"]["has_table"]
        and "invalid_table" in charts["10149"]["plausibility_reason"]
    )
    assert not charts["30000"]["has_table"] and not charts["30000"]["is_table_plausible"]
    qa = _rows(wh, "chart_qa_pairs", "bad_chartqa")
    assert len(qa) == 4 and {q["qa_file"] for q in qa} == {"train/train_human.json"}
    assert {q["answer"] for q in qa} == {"Yes", "6", "2014", "0"}


def test_a_root_without_charts_fails_clearly(tmp_path: Path, wh) -> None:
    with pytest.raises(LandingError, match="png/"):
        land_chartqa(wh, tmp_path)
