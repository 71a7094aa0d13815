"""lakehouse.build_state: what a build was made from, and what the next build must redo.

Real Parquet files landed with lakehouse.landing into a throwaway warehouse; the "previous
build" is a state written by ``record`` (dbt is not run here: tests/mmfactory/
test_incremental_build.py and tests/review/test_review_page.py run the real builds)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from rich.console import Console

from lakehouse import build_state
from lakehouse.landing import land_table
from mmfactory.incremental import plan_build

SCHEMA = pa.schema([("name", pa.string()), ("ingest_run_id", pa.string()),
                    ("ingested_at", pa.timestamp("us", tz="UTC"))])


def _land(wh, table: str, source: str, names: list[str], run_id: str) -> None:
    at = datetime.now(UTC)
    rows = pa.table({"name": names, "ingest_run_id": [run_id] * len(names), "ingested_at": [at] * len(names)})
    land_table(wh, table, source, rows, SCHEMA)


def _manifest(wh) -> None:
    """The one part of dbt's manifest the plan reads: each source's external location."""
    sources = {f"source.mmfactory.landing.{t}": {
        "source_name": "landing", "name": t,
        "source_meta": {"external_location": f"read_parquet('{wh.root}/landing/{{name}}/*.parquet')"}}
        for t in ("widgets", "gadgets")}
    build_state.state_dir(wh).mkdir(parents=True, exist_ok=True)
    (build_state.state_dir(wh) / "manifest.json").write_text(json.dumps({"sources": sources}), encoding="utf-8")


@pytest.fixture()
def built(wh):
    """A warehouse with two landed tables, a lakehouse file, an export and a recorded state."""
    _land(wh, "widgets", "a", ["w1", "w2"], "run1")
    _land(wh, "gadgets", "a", ["g1"], "run1")
    wh.database.write_bytes(b"not a real lakehouse: only its size and time are read")
    wh.exports.mkdir(parents=True)
    (wh.exports / "train.jsonl").write_text("{}\n", encoding="utf-8")
    _manifest(wh)
    build_state.record(wh, build_state.current_inputs(wh), keep_dbt_artifacts=False)
    return wh


def test_relanding_the_same_rows_keeps_the_digest_and_a_changed_row_does_not(wh):
    _land(wh, "widgets", "a", ["w1", "w2"], "run1")
    path = wh.landing / "widgets" / "a.parquet"
    first = build_state.landed_file_digest(path)
    _land(wh, "widgets", "a", ["w1", "w2"], "run2")  # new run id and time, same rows
    assert build_state.landed_file_digest(path) == first
    _land(wh, "widgets", "a", ["w1", "w3"], "run3")
    assert build_state.landed_file_digest(path) != first


def test_unchanged_inputs_are_skipped_and_relanded_ones_too(built):
    assert build_state.plan(built, build_state.current_inputs(built)).action == "skip"
    _land(built, "widgets", "a", ["w1", "w2"], "run2")
    assert build_state.plan(built, build_state.current_inputs(built)).action == "skip"
    assert build_state.plan(built, build_state.current_inputs(built), full=True).action == "full"


def test_a_changed_landed_table_selects_what_reads_its_source(built):
    _land(built, "gadgets", "b", ["g2"], "run2")  # a second source of one table
    plan = build_state.plan(built, build_state.current_inputs(built))
    assert (plan.action, plan.select) == ("select", ["source:landing.gadgets+"])
    (built.landing / "gadgets" / "b.parquet").unlink()  # a takedown of that file: back as built
    assert build_state.plan(built, build_state.current_inputs(built)).action == "skip"
    (built.landing / "widgets" / "a.parquet").unlink()
    assert build_state.plan(built, build_state.current_inputs(built)).select == ["source:landing.widgets+"]


def test_a_table_no_source_reads_outputs_touched_or_env_changed_rebuild_everything(built, monkeypatch):
    _land(built, "sprockets", "a", ["s1"], "run2")
    plan = build_state.plan(built, build_state.current_inputs(built))
    assert plan.action == "full" and "sprockets" in plan.reason
    (built.landing / "sprockets" / "a.parquet").unlink()
    monkeypatch.setenv("MMFACTORY_SOMETHING", "1")
    assert build_state.plan(built, build_state.current_inputs(built)).action == "full"
    monkeypatch.delenv("MMFACTORY_SOMETHING")
    assert build_state.plan(built, build_state.current_inputs(built)).action == "skip"
    os.utime(built.exports / "train.jsonl", ns=(1, 1))  # an export rewritten by hand
    assert build_state.plan(built, build_state.current_inputs(built)).action == "full"


def test_the_outputs_fingerprint_holds_every_file_and_link_and_follows_no_link(built):
    exports, audit = built.exports, built.derived / "visual_audit"
    (exports / "images" / "coco" / "a").mkdir(parents=True)
    (exports / "images" / "coco" / "a" / "1.jpg").write_bytes(b"jpeg")
    (exports / "empty").mkdir()
    (exports / "llamafactory").mkdir()
    os.symlink("../images/coco", exports / "llamafactory" / "coco")  # a link to a folder
    os.symlink("train.jsonl", exports / "again.jsonl")                # to a file
    os.symlink("gone.jsonl", exports / "dangling.jsonl")              # to nothing
    os.mkfifo(exports / "pipe")                                       # no file: left out
    audit.mkdir(parents=True)
    (audit / "page.png").write_bytes(b"png!!")

    def stat(path):
        st = path.lstat()
        return [st.st_size, st.st_mtime_ns]

    assert build_state.outputs_fingerprint(built) == {
        "lakehouse.duckdb": stat(built.database),
        "exports/train.jsonl": stat(exports / "train.jsonl"),
        "exports/images/coco/a/1.jpg": stat(exports / "images" / "coco" / "a" / "1.jpg"),
        "exports/llamafactory/coco": [-1, 0],
        "exports/again.jsonl": [-1, 0],
        "exports/dangling.jsonl": [-1, 0],
        "derived/visual_audit/page.png": stat(audit / "page.png"),
    }


def test_a_moved_warehouse_rebuilds_nothing_for_the_move(built, tmp_path, monkeypatch):
    import shutil

    moved = tmp_path / "elsewhere" / "warehouse"
    shutil.copytree(built.root, moved, symlinks=True)
    monkeypatch.setenv("MMFACTORY_WAREHOUSE", str(moved))
    from lakehouse.settings import warehouse

    wh = warehouse()
    # the folder is not an input (the views follow it: tests/lakehouse/test_relocate.py)
    assert build_state.plan(wh, build_state.current_inputs(wh)).action == "skip"
    _land(wh, "gadgets", "b", ["g2"], "run2")
    plan = build_state.plan(wh, build_state.current_inputs(wh))
    assert (plan.action, plan.select) == ("select", ["source:landing.gadgets+"])


def test_an_edited_model_changes_the_code_fingerprint(tmp_path):
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "samples.sql"
    model.write_text("select 1 as x\n", encoding="utf-8")
    (tmp_path / "dbt_project.yml").write_text("vars: {val_fraction: 0.2}\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("", encoding="utf-8")
    first = build_state.code_fingerprint(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("x = 1\n", encoding="utf-8")  # tests are not the build
    assert build_state.code_fingerprint(tmp_path) == first
    model.write_text("select 2 as x\n", encoding="utf-8")
    second = build_state.code_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "dbt_project.yml").write_text("vars: {val_fraction: 0.3}\n", encoding="utf-8")
    assert build_state.code_fingerprint(tmp_path) != second


def test_a_build_that_will_run_dbt_drops_the_state_first(built):
    """Until the build that changes the lakehouse has finished every stage, nothing may be
    skipped: an interrupted or failed build leaves a full build behind it."""
    _land(built, "widgets", "b", ["w9"], "run2")
    _, plan = plan_build(built, Console(file=open(os.devnull, "w")))  # noqa: SIM115
    assert plan.action == "select"
    assert build_state.read_state(built) is None
    assert build_state.plan(built, build_state.current_inputs(built)).action == "full"
