"""lakehouse.dbt: dbt run the way mmfactory runs it, on a copy of the real session build.

A copy keeps dbt's saved parse (as ``cp -a`` or ``scratch_copy`` would): dbt must reuse it
without parsing any file again (nothing it parses names a warehouse folder), and the
staging views it then builds in the copy must read the copy's own landing zone, by
absolute path, never the original's."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakehouse.dbt import DATABASE_ENV, dbt_env, dbt_target_path, run_dbt
from lakehouse.dbt_parse import PARTIAL_PARSE_FILE
from lakehouse.settings import PROJECT_ROOT
from tests.warehouses import assert_parsed_from_saved, scratch_copy


def test_a_copy_reuses_the_saved_parse_and_names_its_own_landing(
        built_warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "copy" / "warehouse")
    assert (dbt_target_path(wh) / PARTIAL_PARSE_FILE).is_file()
    env = dbt_env(wh)
    assert env[DATABASE_ENV] == "lakehouse.duckdb" and env["DBT_PROJECT_DIR"] == str(PROJECT_ROOT)

    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    assert_parsed_from_saved(wh, built_warehouse)


def test_views_built_in_a_copy_read_its_own_landing_by_absolute_path(
        built_warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "copy" / "warehouse")
    views = ["stg_landing__assets", "stg_quality__review_verdicts"]
    assert run_dbt(wh, ["run", "--quiet", "--select", *views]) == 0
    with duckdb.connect(str(wh.database), read_only=True) as con:
        sql = dict(con.execute("select view_name, sql from duckdb_views() where view_name in (?, ?)",
                               views).fetchall())
        landed = con.execute("select count(*) from stg_landing__assets").fetchone()[0]
    assert f"read_parquet('{wh.root}/landing/assets/*.parquet'" in sql["stg_landing__assets"]
    assert not [name for name, text in sql.items()
                if "@warehouse" in text or f"{built_warehouse.root}/" in text], sql
    assert landed > 100
