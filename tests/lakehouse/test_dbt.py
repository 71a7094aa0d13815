"""lakehouse.dbt: dbt run the way mmfactory runs it, on a copy of the real session build.

A copy keeps dbt's saved parse (as ``cp -a`` or ``scratch_copy`` would): dbt must reuse it
without parsing any file again (nothing it parses names a warehouse folder), and the
staging views it then builds in the copy must read the copy's own landing zone, by
absolute path, never the original's."""

from __future__ import annotations

import json
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


def test_model_rules_fails_with_each_broken_rule(built_warehouse, tmp_path: Path) -> None:
    """The model-level test (macros/tests/model_rules.sql) on a copy whose ``samples`` has
    one NULL task type, one sample id given to a second row, two rows in a split that is
    not accepted and one whose image count disagrees with its images, and whose
    ``int_image_objects_counted`` holds one (asset, category) twice: each fails with one
    row per broken rule, saying how many rows break it (on the untouched models the
    session build ran them and passed)."""
    wh = scratch_copy(built_warehouse, tmp_path / "copy" / "warehouse")
    with duckdb.connect(str(wh.database)) as con:
        ids = [r[0] for r in con.execute("select sample_id from samples order by sample_id limit 5").fetchall()]
        con.execute("update samples set task_type = null where sample_id = ?", [ids[0]])
        con.execute("update samples set sample_id = ? where sample_id = ?", [ids[1], ids[2]])
        con.execute("update samples set split = 'test' where sample_id in (?, ?)", ids[3:])
        con.execute("update samples set image_count = image_count + 1 where sample_id = ?", [ids[0]])
        con.execute("insert into int_image_objects_counted select * from int_image_objects_counted limit 1")

    select = ["--select", "samples,test_name:model_rules", "int_image_objects_counted,test_name:model_rules"]
    assert run_dbt(wh, ["test", "--quiet", "--store-failures", *select]) == 1

    results = json.loads((dbt_target_path(wh) / "run_results.json").read_text(encoding="utf-8"))["results"]
    failed = {}
    with duckdb.connect(str(wh.database), read_only=True) as con:
        for result in results:
            assert result["status"] == "fail"
            model = "int_image_objects_counted" if "int_image_objects_counted" in result["unique_id"] else "samples"
            failed[model] = con.execute(
                f"select rule, rule_on, failing_rows from {result['relation_name']} order by all").fetchall()
    expression = "len(image_paths) = len(source_asset_ids) and image_count = len(source_asset_ids)"
    assert failed == {
        "samples": [("accepted_values", "split", 2), ("expression", expression, 1),
                    ("not_null", "task_type", 1), ("unique", "sample_id", 1)],
        "int_image_objects_counted": [("unique_combination", "asset_id, category_id", 1)],
    }
