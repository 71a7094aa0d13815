"""lakehouse.dbt and lakehouse.dbt_parse: dbt run the way mmfactory runs it, on copies of
the real session build and on a new warehouse.

A copy keeps dbt's saved parse (as ``cp -a`` or ``scratch_copy`` would), and a new
warehouse starts from the one a warehouse of this checkout shared: dbt must reuse it,
re-reading only the files that name the warehouse's folder, and what it parses must name
the warehouse's own landing zone, never the one the parse came from."""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.dbt import DATABASE_ENV, dbt_env, dbt_target_path, run_dbt
from lakehouse.dbt_parse import PARTIAL_PARSE_FILE, share, start_from_shared
from lakehouse.settings import PROJECT_ROOT, Warehouse
from tests.warehouses import scratch_copy


def _parsed_from_saved(wh: Warehouse, came_from: Warehouse) -> None:
    """dbt parsed ``wh`` from a saved parse, and nothing it parsed names ``came_from``."""
    log = (wh.dbt_logs / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log, log[-3000:]
    manifest = json.loads((dbt_target_path(wh) / "manifest.json").read_text(encoding="utf-8"))
    sources = [json.dumps(source) for source in manifest["sources"].values()]
    assert len(sources) >= 20
    assert all(f"{wh.root}/landing/" in source for source in sources)
    original = f"{came_from.root}/"
    assert not [name for name, node in {**manifest["sources"], **manifest["nodes"]}.items()
                if original in json.dumps(node)]


def test_a_copy_reuses_the_saved_parse_and_names_its_own_landing(
        built_warehouse, tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "copy" / "warehouse")
    assert (dbt_target_path(wh) / PARTIAL_PARSE_FILE).is_file()
    env = dbt_env(wh)
    assert env[DATABASE_ENV] == "lakehouse.duckdb" and env["DBT_PROJECT_DIR"] == str(PROJECT_ROOT)

    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    _parsed_from_saved(wh, built_warehouse)


def test_a_new_warehouse_starts_from_the_shared_parse(built_warehouse, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / PARTIAL_PARSE_FILE
    assert not start_from_shared(tmp_path / "nothing-yet", shared)  # nothing shared yet
    assert share(dbt_target_path(built_warehouse), shared) and shared.is_file()
    wh = Warehouse(tmp_path / "new" / "warehouse")

    assert start_from_shared(dbt_target_path(wh), shared)
    assert not start_from_shared(dbt_target_path(wh), shared)  # it has its own now
    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    _parsed_from_saved(wh, built_warehouse)
    assert not share(tmp_path / "no-target", shared)
