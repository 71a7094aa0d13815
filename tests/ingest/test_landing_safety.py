"""Landing never loses what already landed: one test per case of issue 11.

Each test lands a real input first, then the bad one, and checks the reason or the
refusal, the exit code of the real CLI (``typer``'s runner on ``mmfactory.cli.app``) and,
for refusals, that every landed file is byte-identical to before (sha256).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ingest.coco import CocoFileError, land_coco
from ingest.funsd import land_funsd
from ingest.sroie import land_sroie
from lakehouse.commit import SourceCommit, WouldShrink
from lakehouse.landing import LandingError
from lakehouse.settings import PROJECT_ROOT, Warehouse
from mmfactory.cli import app
from quality.review_verdicts import import_verdicts
from tests.conftest import SHARED_DATASETS
from tests.ingest.landing_cases import GOOD, leftovers, small_coco, snapshot

FUNSD = SHARED_DATASETS / "funsd"
SROIE = SHARED_DATASETS / "sroie"
runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"traceback instead of a clear error: {result.exception!r}\n{result.output}")
    return result.exit_code, " ".join(result.output.split())


def _land_coco_cli(images: Path, ann: Path, *extra: str) -> tuple[int, str]:
    return _invoke("land", "coco", "--images", str(images), "--annotations", str(ann), *extra)


@pytest.fixture()
def coco_landed(shared_datasets, wh, tmp_path) -> tuple[Warehouse, Path, Path]:
    images, ann = small_coco(tmp_path / "coco")
    code, out = _land_coco_cli(images, ann, "--source", "c")
    assert code == 0, out
    return wh, images, ann


def _rows(wh: Warehouse, table: str, source: str) -> list[dict]:
    return pq.read_table(wh.landing / table / f"{source}.parquet").to_pylist()


def _rejects(wh: Warehouse, source: str) -> dict[str, str]:
    return {r["item"]: r["reason_code"] for r in _rows(wh, "rejects", source)}


# ---- data loss ---------------------------------------------------------------------------

@pytest.mark.parametrize("section", ["images", "annotations", "categories"])
@pytest.mark.parametrize("value", [{}, "x", None, 5])
def test_a_section_that_is_not_a_list_is_refused(coco_landed, tmp_path, section, value) -> None:
    wh, images, ann = coco_landed
    before = snapshot(wh)
    doc = json.loads(ann.read_text())
    doc[section] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, out = _land_coco_cli(images, bad, "--source", "c")
    assert code == 2 and f"'{section}' is" in out and "arrays" in out
    assert snapshot(wh) == before and leftovers(wh) == []


def test_a_coco_file_without_images_is_refused(coco_landed, tmp_path) -> None:
    wh, images, _ = coco_landed
    before = snapshot(wh)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"annotations": [], "categories": []}))
    code, out = _land_coco_cli(images, bad, "--source", "c")
    assert code == 2 and "'images' array" in out
    assert snapshot(wh) == before


def test_a_source_name_belongs_to_one_kind_of_input(coco_landed) -> None:
    wh, _, _ = coco_landed
    before = snapshot(wh)
    code, out = _invoke("land", "funsd", str(FUNSD), "--source", "c")
    assert code == 2 and "already holds a coco landing" in out
    assert snapshot(wh) == before
    # and the other way round
    assert _invoke("land", "funsd", str(FUNSD), "--source", "forms")[0] == 0
    before = snapshot(wh)
    code, out = _invoke("land", "sroie", str(SROIE), "--source", "forms")
    assert code == 2 and "already holds a funsd landing" in out
    assert snapshot(wh) == before


def _samples_db(wh: Warehouse, samples: list[str]) -> None:
    wh.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create or replace table int_samples_templated as "
                    "select unnest(?::varchar[]) as sample_id", [samples])


def _verdicts(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("sample_id,reviewer,role,verdict,error_type,note,time\n" + "\n".join(rows) + "\n")
    return path


def test_review_names_and_other_sources_do_not_collide(coco_landed, tmp_path) -> None:
    wh, images, ann = coco_landed
    _samples_db(wh, ["s_a"])
    ok = _verdicts(tmp_path / "r" / "day1.csv", ["s_a,ann,first_review,approve,,,2025-03-01T10:00:00Z"])
    assert _invoke("review", "import", str(ok))[0] == 0
    before = snapshot(wh)
    # a COCO source named like the review import's rejects file
    code, out = _land_coco_cli(images, ann, "--source", "review-day1")
    assert code == 2 and "already holds a review landing" in out
    assert snapshot(wh) == before
    # a review file whose name is a COCO source's
    code, out = _invoke("review", "import", str(_verdicts(tmp_path / "r" / "c.csv", [
        "s_a,bob,first_review,approve,,,2025-03-01T10:00:00Z"])))
    assert code == 2 and "already holds a coco landing" in out
    assert snapshot(wh) == before


def test_two_review_files_with_the_same_name(coco_landed, tmp_path) -> None:
    wh, _, _ = coco_landed
    _samples_db(wh, ["s_a", "s_b"])
    first = _verdicts(tmp_path / "monday" / "verdicts.csv", ["s_a,ann,first_review,approve,,,2025-03-01T10:00:00Z"])
    second = _verdicts(tmp_path / "tuesday" / "verdicts.csv", ["s_b,bob,first_review,reject,,,2025-03-02T10:00:00Z"])
    assert _invoke("review", "import", str(first))[0] == 0
    before = snapshot(wh)
    code, out = _invoke("review", "import", str(second))
    assert code == 2 and "already used by the import of" in out and "monday" in out
    assert snapshot(wh) == before
    # the same file again is a re-import (replaces its own rows); --replace takes over the name
    assert _invoke("review", "import", str(first))[0] == 0
    assert _invoke("review", "import", str(second), "--replace")[0] == 0
    assert [r["sample_id"] for r in _rows(wh, "review_verdicts", "verdicts")] == ["s_b"]


def test_an_empty_funsd_folder_is_refused(shared_datasets, wh, tmp_path) -> None:
    land_funsd(wh, FUNSD)
    before = snapshot(wh)
    (tmp_path / "empty").mkdir()
    code, out = _invoke("land", "funsd", str(tmp_path / "empty"))
    assert code == 2 and "nothing to land" in out
    assert snapshot(wh) == before


def test_a_landing_that_drops_most_of_a_source_refuses_unless_replace(shared_datasets, wh, tmp_path) -> None:
    land_funsd(wh, FUNSD)
    before = snapshot(wh)
    few = tmp_path / "few"
    shutil.copytree(FUNSD / "testing_data", few / "testing_data")  # 5 of the 10 forms, the shorter ones
    code, out = _invoke("land", "funsd", str(few))
    assert code == 2 and "document_lines: 579 -> 212 rows (drops 367)" in out and "--replace" in out
    assert snapshot(wh) == before
    code, _ = _invoke("land", "funsd", str(few), "--replace")
    assert code == 0 and len(_rows(wh, "assets", "funsd")) < 10


def test_coco_images_that_would_shrink_by_half(coco_landed, tmp_path) -> None:
    wh, images, ann = coco_landed
    before = snapshot(wh)
    doc = json.loads(ann.read_text())
    doc["images"] = doc["images"][:1]
    fewer = tmp_path / "fewer.json"
    fewer.write_text(json.dumps(doc))
    code, out = _land_coco_cli(images, fewer, "--source", "c")
    assert code == 2 and "coco_images: 4 -> 1" in out
    assert snapshot(wh) == before


# ---- all or nothing ------------------------------------------------------------------------

def test_a_failure_half_way_replaces_nothing(shared_datasets, wh, tmp_path, monkeypatch) -> None:
    land_funsd(wh, FUNSD)
    before = snapshot(wh)
    import ingest.funsd

    def crash(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ingest.funsd, "form_rows", crash)  # fails after assets were staged
    with pytest.raises(RecursionError):
        land_funsd(wh, FUNSD)
    assert snapshot(wh) == before


def test_commit_stages_every_table_then_renames(wh) -> None:
    import pyarrow as pa

    schema = pa.schema([pa.field("x", pa.int64())])
    with SourceCommit(wh, "s", "test") as commit:
        commit.stage("t1", pa.table({"x": [1, 2]}), schema)
        commit.stage("t2", pa.table({"x": [3]}), schema)
        assert not (wh.landing / "t1" / "s.parquet").exists()  # nothing in place yet
        commit.commit()
    before = snapshot(wh)
    with pytest.raises(ValueError), SourceCommit(wh, "s", "test") as commit:
        commit.stage("t1", pa.table({"x": [5, 6]}), schema)
        raise ValueError("the second table could not be built")
    assert snapshot(wh) == before and leftovers(wh) == []
    with pytest.raises(WouldShrink, match="t2: 1 -> 0"), SourceCommit(wh, "s", "test") as commit:
        commit.stage("t1", pa.table({"x": [5, 6]}), schema)
        commit.stage("t2", pa.table({"x": []}, schema=schema), schema)
        commit.commit()
    assert snapshot(wh) == before and leftovers(wh) == []


# ---- one bad file is a reject row ----------------------------------------------------------

def test_a_symlink_loop_is_a_reject(coco_landed) -> None:
    wh, images, ann = coco_landed
    os.symlink("loop_b.jpg", images / "loop_a.jpg")
    os.symlink("loop_a.jpg", images / "loop_b.jpg")
    code, out = _land_coco_cli(images, ann, "--source", "c")
    assert code == 0, out
    assert _rejects(wh, "c") == {"loop_a.jpg": "symlink_loop", "loop_b.jpg": "symlink_loop"}
    assert len(_rows(wh, "assets", "c")) == len(GOOD)


def test_a_file_name_that_is_not_utf8_is_a_reject(coco_landed) -> None:
    wh, images, ann = coco_landed
    name = os.fsencode(images) + b"/caf\xe9.jpg"
    shutil.copy(images / GOOD[0], name)  # same bytes: named, then judged by content
    code, out = _land_coco_cli(images, ann, "--source", "c")
    assert code == 0, out
    assert _rejects(wh, "c") == {"caf\\udce9.jpg": "invalid_file_name"}
    assert len(_rows(wh, "assets", "c")) == len(GOOD)


def test_not_a_regular_file(coco_landed, tmp_path) -> None:
    wh, images, ann = coco_landed
    os.mkfifo(images / "fifo.jpg")
    (images / "folder.jpg").mkdir()
    doc = json.loads(ann.read_text())
    doc["images"] += [{"id": 901, "file_name": "fifo.jpg", "width": 5, "height": 5},
                      {"id": 902, "file_name": "folder.jpg", "width": 5, "height": 5}]
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps(doc))
    code, out = _land_coco_cli(images, listed, "--source", "c")
    assert code == 0, out
    rejects = _rejects(wh, "c")
    assert rejects["fifo.jpg"] == rejects["folder.jpg"] == "not_a_regular_file"
    assert rejects["image 901"] == rejects["image 902"] == "not_a_regular_file"


@pytest.mark.parametrize(("prefix", "encoding", "named"), [
    (b"\xef\xbb\xbf", "utf-8", "UTF-8 with a byte-order mark"),
    (b"", "utf-16-le", "UTF-16 (little-endian"),
    (b"\xff\xfe", "utf-16-le", "UTF-16 (little-endian, with a byte-order mark)"),
])
def test_a_bom_or_utf16_file_is_refused_naming_the_encoding(coco_landed, tmp_path, prefix, encoding,
                                                            named) -> None:
    wh, images, ann = coco_landed
    before = snapshot(wh)
    bad = tmp_path / "encoded.json"
    bad.write_bytes(prefix + ann.read_text().encode(encoding))
    code, out = _land_coco_cli(images, bad, "--source", "c")
    assert code == 2 and named in out and "invalid_encoding" in out
    assert snapshot(wh) == before


def test_deep_nesting_is_refused_before_parsing(coco_landed, tmp_path) -> None:
    wh, images, _ = coco_landed
    before = snapshot(wh)
    deep = tmp_path / "deep.json"
    deep.write_text('{"images": [' + "[" * 5000 + "]" * 5000 + "]}")
    code, out = _land_coco_cli(images, deep, "--source", "c")
    assert code == 2 and "json_too_deep" in out
    assert snapshot(wh) == before


_UNDER_A_MEMORY_LIMIT = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    limit = 1000 << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ingest.coco import CocoFileError, land_coco
    from lakehouse.settings import Warehouse
    try:
        land_coco(Warehouse(Path(sys.argv[1])), Path(sys.argv[2]), Path(sys.argv[3]), "c")
    except CocoFileError as exc:
        print("refused:", exc)
    print("peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


def test_a_nesting_bomb_is_refused_under_a_memory_limit(coco_landed, tmp_path) -> None:
    """200 KB of nested arrays takes the whole machine when parsed; under a 1 GB address
    space limit the landing refuses it, having parsed nothing."""
    wh, images, _ = coco_landed
    before = snapshot(wh)
    bomb = tmp_path / "bomb.json"
    bomb.write_text('{"images": [{"id": 1, "file_name": "a.jpg", "width": 1, "height": 1, "x": '
                    + "[" * 100_000 + "]" * 100_000 + "}]}")
    proc = subprocess.run([sys.executable, "-c", _UNDER_A_MEMORY_LIMIT, str(wh.root), str(images), str(bomb)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused:" in proc.stdout and "json_too_deep" in proc.stdout
    assert snapshot(wh) == before


def test_a_huge_record_is_refused(coco_landed, tmp_path, monkeypatch) -> None:
    import ingest.json_guard

    wh, images, ann = coco_landed
    monkeypatch.setattr(ingest.json_guard, "MAX_RECORD_BYTES", 4096)
    doc = json.loads(ann.read_text())
    doc["annotations"][0]["segmentation"] = [[float(i) for i in range(2000)]]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(doc))
    before = snapshot(wh)
    with pytest.raises(CocoFileError, match="record_too_large"):
        land_coco(wh, images, big, "c", replace=True)
    assert snapshot(wh) == before


def _funsd_copy(tmp_path: Path) -> Path:
    root = tmp_path / "funsd"
    shutil.copytree(FUNSD, root)
    return root


def test_a_deeply_nested_funsd_file_is_a_reject(shared_datasets, wh, tmp_path) -> None:
    root = _funsd_copy(tmp_path)
    ann = sorted((root / "training_data" / "annotations").glob("*.json"))[0]
    ann.write_text('{"form": ' + "[" * 3000 + "]" * 3000 + "}")
    report = land_funsd(wh, root)
    item = ann.relative_to(root).as_posix()
    assert {r.item: str(r.reason) for r in report.rejects} == {item: "json_too_deep"}
    assert report.rows_landed["document_texts"] == 9 and report.rows_landed["assets"] == 10


def test_funsd_annotation_symlinked_outside_the_root(shared_datasets, wh, tmp_path) -> None:
    root = _funsd_copy(tmp_path)
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"form": [{"id": 0, "text": "SECRET", "box": [1, 1, 5, 5],
                                            "label": "other", "words": [], "linking": []}]}))
    ann = sorted((root / "training_data" / "annotations").glob("*.json"))[0]
    ann.unlink()
    ann.symlink_to(secret)
    code, out = _invoke("land", "funsd", str(root))
    assert code == 0, out
    item = ann.relative_to(root).as_posix()
    assert _rejects(wh, "funsd") == {item: "path_escapes_root"}
    assert "SECRET" not in {r["text"] for r in _rows(wh, "document_lines", "funsd")}


def _sroie_copy(tmp_path: Path) -> Path:
    root = tmp_path / "sroie"
    shutil.copytree(SROIE, root)
    return root


def test_sroie_files_symlinked_outside_the_root(shared_datasets, wh, tmp_path) -> None:
    root = _sroie_copy(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("1,1,5,1,5,5,1,5,SECRET\n")
    stem = sorted(p.stem for p in (root / "box").glob("*.csv"))[0]
    (root / "box" / f"{stem}.csv").unlink()
    (root / "box" / f"{stem}.csv").symlink_to(secret)
    (root / "key" / f"{stem}.json").unlink()
    (root / "key" / f"{stem}.json").symlink_to(tmp_path / "anywhere.json")
    report = land_sroie(wh, root)
    got = {r.item: str(r.reason) for r in report.rejects}
    assert got == {f"box/{stem}.csv": "path_escapes_root", f"key/{stem}.json": "path_escapes_root"}
    assert "SECRET" not in {r["text"] for r in _rows(wh, "document_lines", "sroie")}


def test_sroie_ambiguous_stem_rejects_both(shared_datasets, wh, tmp_path) -> None:
    from PIL import Image

    root = _sroie_copy(tmp_path)
    jpg = root / "img" / "047.jpg"
    Image.open(jpg).save(root / "img" / "047.png")
    report = land_sroie(wh, root)
    got = {r.item: str(r.reason) for r in report.rejects}
    assert got["img/047.jpg"] == got["img/047.png"] == "ambiguous_stem"
    assert got["box/047.csv"] == got["key/047.json"] == "ambiguous_stem"
    keys = {r["document_key"] for r in _rows(wh, "document_texts", "sroie")}
    assert "047" not in keys and len(keys) == len(list((SROIE / "img").iterdir())) - 1


# ---- keep good data ------------------------------------------------------------------------

def test_identical_duplicate_image_records_collapse(coco_landed, tmp_path) -> None:
    wh, images, ann = coco_landed
    doc = json.loads(ann.read_text())
    doc["images"].append(dict(doc["images"][0]))  # the same record twice
    conflicting = dict(doc["images"][1], width=1)
    doc["images"].append(conflicting)  # the same id with other fields
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps(doc))
    code, out = _land_coco_cli(images, dup, "--source", "c")
    assert code == 0 and "collapsed to one: coco_images: 1" in out
    landed = {r["coco_image_id"] for r in _rows(wh, "coco_images", "c")}
    assert doc["images"][0]["id"] in landed and conflicting["id"] not in landed
    boxes = {r["coco_image_id"] for r in _rows(wh, "coco_annotations", "c")}
    assert doc["images"][0]["id"] in boxes
    assert _rejects(wh, "c")[f"image {conflicting['id']}"] == "duplicate_image_id"


# ---- crash leftovers -----------------------------------------------------------------------

def test_a_writer_cleans_crash_leftovers(coco_landed) -> None:
    wh, images, ann = coco_landed
    junk = [wh.landing / "assets" / ".c.parquet.123.abcdef.tmp", wh.root / ".exports-1234abcd" / "x.jsonl",
            wh.derived / ".visual_audit-1234abcd" / "y.png"]
    for path in junk:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half-written")
    assert _land_coco_cli(images, ann, "--source", "c")[0] == 0
    assert not any(p.exists() for p in junk)
    assert not (wh.root / ".exports-1234abcd").exists()


def test_land_refusals_are_landing_errors(shared_datasets, wh, tmp_path) -> None:
    (tmp_path / "empty_img" / "img").mkdir(parents=True)
    with pytest.raises(LandingError, match="nothing to land"):
        land_sroie(wh, tmp_path / "empty_img")


def test_the_same_bytes_under_two_sources_are_one_asset_with_one_account(
        shared_datasets, wh, tmp_path) -> None:
    """The same files landed under two sources: COCO photos with their boxes (as COCO128 and
    the train2017 it was cut from, or RefCOCO sharing COCO's photos), FUNSD pages and
    ChartQA charts (landed again under another name). One asset per content hash, both
    locations kept; each photo's boxes once (its first source's,
    int_annotations_normalized) and each page's and chart's rows once (its first source's
    by name, macros/shared_assets.sql); the unique tests on every key pass. One dbt build
    for all of it."""
    from ingest.chartqa import land_chartqa
    from lakehouse.dbt import run_dbt

    images, ann = small_coco(tmp_path / "coco")
    land_coco(wh, images, ann, "a")
    second = tmp_path / "refcoco"
    shutil.copytree(images, second)
    land_coco(wh, second, ann, "b")
    for source in ("funsd_b", "funsd_a"):
        land_funsd(wh, FUNSD, source=source)
    for source in ("chartqa_b", "chartqa_a"):
        land_chartqa(wh, SHARED_DATASETS / "chartqa", source=source)
    pages = ["stg_documents__texts", "stg_documents__fields", "stg_documents__lines",
             "stg_documents__words", "stg_forms__entities", "stg_forms__links"]
    charts = ["stg_charts__charts", "stg_charts__tables", "stg_charts__qa_pairs"]
    selected = ["stg_landing__assets", "stg_landing__asset_locations", "int_annotations_normalized",
                *pages, *charts]
    code = run_dbt(wh, ["build", "--select", *(f"+{m}" for m in selected),
                        "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"])
    assert code == 0
    with duckdb.connect(str(wh.database), read_only=True) as con:
        photos = con.execute("select source, count(*) from stg_landing__assets "
                             "where asset_type = 'general_image' group by all").fetchall()
        locations = con.execute("select source, count(*), count(*) filter (where is_primary_location) "
                                "from stg_landing__asset_locations where source in ('a', 'b') "
                                "group by all order by source").fetchall()
        boxes = con.execute("select source, count(*), count(distinct asset_id) "
                            "from int_annotations_normalized group by all").fetchall()
        said = {m: con.execute(f"select source, count(distinct asset_id) from {m} group by all").fetchall()
                for m in pages + charts}
        rows = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in pages + charts}
    assert photos == [("a", len(GOOD))]
    assert locations == [("a", len(GOOD), len(GOOD)), ("b", len(GOOD), 0)]
    assert boxes == [("a", len(json.loads(ann.read_text())["annotations"]), len(GOOD))]
    assert said == {**{m: [("funsd_a", 10)] for m in pages}, **{m: [("chartqa_a", 2)] for m in charts}}
    assert rows["stg_documents__texts"] == 10 and rows["stg_charts__charts"] == 2


def test_a_deeply_nested_chartqa_file_is_a_reject(shared_datasets, wh, tmp_path) -> None:
    from ingest.chartqa import land_chartqa

    root = tmp_path / "chartqa"
    shutil.copytree(SHARED_DATASETS / "chartqa", root)
    deep = root / "deep.json"
    deep.write_text("[" * 3000 + "]" * 3000)
    report = land_chartqa(wh, root)
    assert {r.item: str(r.reason) for r in report.rejects}["deep.json"] == "json_too_deep"
    assert report.rows_landed["charts"] == 2


def test_a_deeply_nested_review_line_is_a_reject(shared_datasets, wh, tmp_path) -> None:
    _samples_db(wh, ["s_a"])
    path = tmp_path / "v.jsonl"
    good = {"sample_id": "s_a", "reviewer": "ann", "role": "first_review", "verdict": "approve",
            "time": "2025-03-01T10:00:00Z"}
    path.write_text(json.dumps(good) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    report = import_verdicts(wh, path)
    assert [str(r.reason) for r in report.rejects] == ["malformed_record"]
    assert report.rows_landed["review_verdicts"] == 1


_KILLED_MID_RENAME = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import pyarrow as pa
    import lakehouse.commit as commit
    from lakehouse.settings import Warehouse

    schema = pa.schema([pa.field("x", pa.int64())])
    real_replace, renamed = os.replace, []

    def replace_then_die(src, dst):
        real_replace(src, dst)
        if str(dst).endswith("s.parquet"):
            renamed.append(dst)
            if len(renamed) == 1:
                os._exit(9)  # killed after the first of the two tables was renamed

    commit.os.replace = replace_then_die
    c = commit.SourceCommit(Warehouse(Path(sys.argv[1])), "s", "test")
    c.stage("t1", pa.table({"x": [7, 8, 9]}), schema)
    c.stage("t2", pa.table({"x": [7, 8, 9]}), schema)
    c.commit()
""")


def test_a_commit_killed_during_its_renames_is_finished_by_the_next_writer(wh) -> None:
    import pyarrow as pa

    from lakehouse.lock import acquire_writer, release_writer

    schema = pa.schema([pa.field("x", pa.int64())])
    with SourceCommit(wh, "s", "test") as commit:
        commit.stage("t1", pa.table({"x": [1, 2, 3]}), schema)
        commit.stage("t2", pa.table({"x": [1, 2, 3]}), schema)
        commit.commit()
    proc = subprocess.run([sys.executable, "-c", _KILLED_MID_RENAME, str(wh.root)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    values = {t: pq.read_table(wh.landing / t / "s.parquet").column("x").to_pylist() for t in ("t1", "t2")}
    assert sorted(values.values()) == [[1, 2, 3], [7, 8, 9]]  # torn: one table of each run
    acquire_writer(wh, "land")  # the next writer rolls the commit forward
    release_writer(wh)
    for table in ("t1", "t2"):
        assert pq.read_table(wh.landing / table / "s.parquet").column("x").to_pylist() == [7, 8, 9]
    assert leftovers(wh) == [] and list((wh.landing / "_commits").iterdir()) == []
