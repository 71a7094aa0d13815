"""Helpers the tests share to work on real warehouses: run the real command against one,
and copy a built one so a test can land into it and rebuild it on its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lakehouse.build_state import STATE_DIR
from lakehouse.dbt import dbt_target_path
from lakehouse.dbt_parse import PARTIAL_PARSE_FILE
from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from tests.expectations.corrupt import copy_warehouse

MMFACTORY = Path(sys.executable).parent / "mmfactory"

REUSE_BUILD_ENV = "MMFACTORY_TEST_REUSE_BUILD"
"""For working on tests only: point this at an existing build and the session copies it
instead of building (the build itself is never modified). CI does not set it."""


def run_mmfactory(wh: Warehouse, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``mmfactory ARGS`` against warehouse ``wh``; returns the finished process."""
    env = {**os.environ, WAREHOUSE_ENV: str(wh.root)}
    return subprocess.run([str(MMFACTORY), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def scratch_copy(src: Warehouse, root: Path, drop_tables: Sequence[str] = ()) -> Warehouse:
    """A copy of a built warehouse that can be landed into and rebuilt on its own: the
    DuckDB file and exports (``copy_warehouse``), the landing zone, the derived files, the
    recorded build state and dbt's saved parse, without the landed files of ``drop_tables``
    (their schema files stay). As in a user's copy, its next `mmfactory build` rebuilds
    only what reads the tables landed into it since (tests/review/test_review_page.py shows
    that equal to a full rebuild), and its dbt reuses the saved parse as it is (nothing
    dbt parses names the warehouse's folder: macros/warehouse.sql)."""
    wh = copy_warehouse(src, root)
    shutil.copytree(src.landing, wh.landing, symlinks=True)
    if src.derived.exists():  # its own, not copy_warehouse's link to the original's
        wh.derived.unlink()
        shutil.copytree(src.derived, wh.derived, symlinks=True)
    if (src.root / STATE_DIR).is_dir():
        shutil.copytree(src.root / STATE_DIR, wh.root / STATE_DIR, symlinks=True)
    saved_parse = src.dbt_target / PARTIAL_PARSE_FILE
    if saved_parse.is_file():
        wh.dbt_target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(saved_parse, wh.dbt_target / PARTIAL_PARSE_FILE)
    for table in drop_tables:
        for path in (wh.landing / table).glob("*.parquet"):
            if path.name != "_schema.parquet":
                path.unlink()
    return wh


def assert_parsed_from_saved(wh: Warehouse, came_from: Warehouse) -> None:
    """dbt's last command in ``wh`` (a ``dbt parse``) reused a saved parse without parsing any
    file again, and nothing it parsed names a warehouse folder: the sources read
    ``'@warehouse/landing/...'``, which macros/warehouse.sql resolves when dbt runs."""
    log = (wh.dbt_logs / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log, log[-3000:]
    perf = json.loads((dbt_target_path(wh) / "perf_info.json").read_text(encoding="utf-8"))
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0, perf
    manifest = json.loads((dbt_target_path(wh) / "manifest.json").read_text(encoding="utf-8"))
    sources = [json.dumps(source) for source in manifest["sources"].values()]
    assert len(sources) >= 20
    assert all("'@warehouse/landing/" in source for source in sources)
    for root in (came_from.root, wh.root):
        assert not [name for name, node in {**manifest["sources"], **manifest["nodes"]}.items()
                    if f"{root}/" in json.dumps(node)], root
