"""lakehouse.relocate: a copied warehouse's views read its own landing, in place.

A real DuckDB file with views over real landed Parquet files, written the way dbt-duckdb
writes the staging views (``read_parquet('<warehouse>/landing/...')``), copied elsewhere;
the copy's landing is then changed so that reading the original's would show."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse import build_state
from lakehouse.lock import HOLDER_NAME
from lakehouse.relocate import follow_move, repoint_views
from lakehouse.settings import Warehouse


def _warehouse(root, names: list[str]) -> Warehouse:
    wh = Warehouse(root)
    (wh.landing / "widgets").mkdir(parents=True)
    pq.write_table(pa.table({"name": names}), wh.landing / "widgets" / "a.parquet")
    with duckdb.connect(str(wh.database)) as con:
        glob = f"{wh.root}/landing/widgets/*.parquet".replace("'", "''")
        con.execute(f"create view stg_widgets as select name, upper(name) as label "
                    f"from read_parquet('{glob}', union_by_name = true) where name <> 'skip'")
        con.execute("create view stg_widget_count as select count(*) as widget_count from stg_widgets")
        con.execute("create table widgets_seen as select * from stg_widgets")
    return wh


def _rows(wh: Warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("folder", ["plain", "it's a quote"])
def test_the_copy_reads_its_own_landing_and_nothing_else_changes(tmp_path, folder):
    original = _warehouse(tmp_path / folder / "warehouse", ["a", "b"])
    copy = Warehouse(tmp_path / "copy" / "warehouse")
    shutil.copytree(original.root, copy.root)
    pq.write_table(pa.table({"name": ["c", "skip"]}), copy.landing / "widgets" / "a.parquet")
    assert _rows(copy, "select name from stg_widgets order by 1") == [("a",), ("b",)]  # still the original's

    assert repoint_views(copy, str(original.root)) == ["main.stg_widgets"]

    assert _rows(copy, "select name, label from stg_widgets") == [("c", "C")]
    assert _rows(copy, "select widget_count from stg_widget_count") == [(1,)]
    assert _rows(copy, "select name from widgets_seen order by 1") == [("a",), ("b",)]  # tables keep their rows
    assert _rows(original, "select name from stg_widgets order by 1") == [("a",), ("b",)]
    assert repoint_views(copy, str(original.root)) == []  # nothing left to re-point
    assert repoint_views(copy, str(copy.root)) == []


def _built(root) -> Warehouse:
    """A warehouse as a build leaves it: views, tables and a recorded build state."""
    wh = _warehouse(root, ["a", "b"])
    build_state.record(wh, build_state.current_inputs(wh), keep_dbt_artifacts=False)
    return wh


def test_a_copy_follows_its_move_once_and_keeps_its_plan(tmp_path):
    original = _built(tmp_path / "first" / "warehouse")
    copy = Warehouse(tmp_path / "second" / "warehouse")
    shutil.copytree(original.root, copy.root)

    moved = follow_move(copy)

    assert moved is not None and (moved.old_root, moved.views) == (str(original.root), ["main.stg_widgets"])
    assert moved.line().startswith(f"the warehouse moved from {original.root}: 1 view(s) now read its own landing")
    state = build_state.read_state(copy)
    assert state["path"] == str(copy.root) and state["outputs"] == build_state.outputs_fingerprint(copy)
    assert build_state.plan(copy, build_state.current_inputs(copy)).action == "skip"  # nothing rebuilt
    pq.write_table(pa.table({"name": ["c"]}), copy.landing / "widgets" / "a.parquet")
    assert _rows(copy, "select name from stg_widgets") == [("c",)]
    assert follow_move(copy) is None and follow_move(original) is None
    assert _rows(original, "select name from stg_widgets order by 1") == [("a",), ("b",)]


def test_a_copy_whose_lakehouse_changed_still_rebuilds_everything(tmp_path):
    original = _built(tmp_path / "first" / "warehouse")
    copy = Warehouse(tmp_path / "second" / "warehouse")
    shutil.copytree(original.root, copy.root)
    with duckdb.connect(str(copy.database)) as con:  # changed by hand since its build
        con.execute("create table notes as select 1 as note")

    assert follow_move(copy) is not None

    plan = build_state.plan(copy, build_state.current_inputs(copy))
    assert (plan.action, plan.reason) == ("full", "the lakehouse or its exports changed since the last build")


def test_a_reader_in_a_copy_re_points_it_and_says_so_on_stderr(tmp_path):
    from lakehouse.catalog import ensure_landing
    from tests.ingest.landing_cases import cli

    original = _built(tmp_path / "first" / "warehouse")
    ensure_landing(original)  # every landed table readable, as in a real warehouse
    copy = Warehouse(tmp_path / "second" / "warehouse")
    shutil.copytree(original.root, copy.root)
    pq.write_table(pa.table({"name": ["c"]}), copy.landing / "widgets" / "a.parquet")

    proc = cli(copy, "summary")  # a reader: it takes the writer lock for the moment only

    assert proc.returncode == 0, proc.stderr
    assert f"the warehouse moved from {original.root}: 1 view(s)" in proc.stderr
    assert "moved" not in proc.stdout
    assert _rows(copy, "select name from stg_widgets") == [("c",)]
    assert build_state.read_state(copy)["path"] == str(copy.root)
    assert not (copy.root / HOLDER_NAME).exists()  # the lock was given back
