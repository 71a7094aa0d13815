"""lakehouse.dbt: dbt run the way mmfactory runs it, on a copy of the real session build.

A copy keeps dbt's saved parse (as ``cp -a`` or ``scratch_copy`` would): dbt must reuse it,
re-reading only the files that name the warehouse's folder, and what it parses must name
the copy's landing zone, never the original's."""

from __future__ import annotations

from pathlib import Path

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
