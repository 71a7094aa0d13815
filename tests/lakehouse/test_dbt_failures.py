"""lakehouse.dbt_failures, and the model-level test whose failures it reads
(macros/tests/model_rules.sql): on a copy of the real session build, models broken in known
ways, one dbt run of their tests, and what a failed build then reports."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb

from lakehouse.dbt import dbt_target_path, run_dbt
from lakehouse.dbt_failures import BrokenRule, broken_rules
from tests.warehouses import scratch_copy


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
    # what a failed `mmfactory build` then says (lakehouse/dbt_failures.py): the same rules,
    # by model, from dbt's run results and the lakehouse
    assert broken_rules(wh) == sorted(BrokenRule(model, *row) for model, rows in failed.items() for row in rows)
    assert broken_rules(wh, since=time.time() + 60) == []  # results older than the run: not its own
