"""lakehouse.dbt: dbt run the way mmfactory runs it, on a copy of the real session build.

A copy keeps dbt's saved parse (as ``cp -a`` or ``scratch_copy`` would): dbt must reuse it,
re-reading only the files that name the warehouse's folder, and what it parses must name
the copy's landing zone, never the original's."""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.dbt import DATABASE_ENV, PARTIAL_PARSE_FILE, dbt_env, dbt_target_path, run_dbt
from lakehouse.settings import PROJECT_ROOT
from tests.warehouses import scratch_copy


def test_a_copy_reuses_the_saved_parse_and_names_its_own_landing(
        built_warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "copy" / "warehouse")
    assert (dbt_target_path(wh) / PARTIAL_PARSE_FILE).is_file()
    env = dbt_env(wh)
    assert env[DATABASE_ENV] == "lakehouse.duckdb" and env["DBT_PROJECT_DIR"] == str(PROJECT_ROOT)

    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    log = (wh.dbt_logs / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log, log[-3000:]
    manifest = json.loads((dbt_target_path(wh) / "manifest.json").read_text(encoding="utf-8"))
    sources = [json.dumps(source) for source in manifest["sources"].values()]
    assert len(sources) >= 20
    assert all(f"{wh.root}/landing/" in source for source in sources)
    original = f"{built_warehouse.root}/"
    assert not [name for name, node in {**manifest["sources"], **manifest["nodes"]}.items()
                if original in json.dumps(node)]
