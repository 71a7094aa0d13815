"""The SQL unit tests: the product's builds leave them out (``lakehouse.dbt.BUILD_ARGS``),
so CI runs every one of them here, with real dbt on a copy of the real session build."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lakehouse.dbt import BUILD_ARGS, dbt_target_path, run_dbt
from tests.warehouses import REUSE_BUILD_ENV, scratch_copy


def _results(path: Path) -> list[dict]:
    return json.loads(path.read_text())["results"]


def test_the_build_ran_every_model_and_data_test_and_no_unit_test(built_warehouse) -> None:
    assert "unit_test" in BUILD_ARGS[BUILD_ARGS.index("--exclude-resource-type") + 1:]
    # the build's recorded dbt results (a reused build's copy has none: read its original's)
    root = Path(os.environ.get(REUSE_BUILD_ENV) or built_warehouse.root)
    ran = _results(root / "build_state" / "run_results.json")
    kinds = {r["unique_id"].split(".")[0] for r in ran}
    assert {"model", "test", "seed"} <= kinds and "unit_test" not in kinds


def test_every_sql_unit_test_passes(built_warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "warehouse")
    code = run_dbt(wh, ["test", "--quiet", "--select", "test_type:unit"])
    results = _results(dbt_target_path(wh) / "run_results.json")
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert code == 0 and not failed, failed
    manifest = json.loads((dbt_target_path(wh) / "manifest.json").read_text())
    defined = set(manifest["unit_tests"])
    assert len(defined) >= 30 and {r["unique_id"] for r in results} == defined
