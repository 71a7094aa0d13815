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

from lakehouse.relocate import repoint_views
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
