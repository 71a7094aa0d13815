"""lakehouse.dbt_parse: a new warehouse starts from the parse another warehouse of the
checkout saved, with real dbt on the real session build's parse; dbt must reuse it and
name the new warehouse's landing, never the one the parse came from."""

from __future__ import annotations

from pathlib import Path

from lakehouse.dbt import dbt_target_path, run_dbt
from lakehouse.dbt_parse import PARTIAL_PARSE_FILE, share, start_from_shared
from lakehouse.settings import Warehouse
from tests.warehouses import assert_parsed_from_saved


def test_a_new_warehouse_starts_from_the_shared_parse(built_warehouse, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / PARTIAL_PARSE_FILE
    assert not start_from_shared(tmp_path / "nothing-yet", shared)  # nothing shared yet
    assert share(dbt_target_path(built_warehouse), shared) and shared.is_file()
    wh = Warehouse(tmp_path / "new" / "warehouse")

    assert start_from_shared(dbt_target_path(wh), shared)
    assert not start_from_shared(dbt_target_path(wh), shared)  # it has its own now
    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    assert_parsed_from_saved(wh, built_warehouse)
    assert not share(tmp_path / "no-target", shared)
