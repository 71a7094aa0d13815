"""`mmfactory build` on the real COCO128: landing, dbt build and the summary, for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from lakehouse.settings import WAREHOUSE_ENV


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return con.execute(f"select count(*) from {relation}").fetchone()[0]


def test_build_lands_coco128_and_builds_the_lakehouse(built_warehouse) -> None:
    assert built_warehouse.database.is_file()
    # a plain DuckDB session, no plugin: what a user's SQL sees
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        assert _count(con, "stg_landing__assets where asset_type = 'general_image'") == 128
        assert _count(con, "stg_coco__annotations where source = 'coco128'") == 939
        assert _count(con, "stg_coco__categories where source = 'coco128'") == 80
        assert _count(con, "stg_landing__rejects where source = 'coco128'") == 0
        assert _count(con, "int_annotations_normalized where source = 'coco128'") == 939
        # the normalized table is a table: readable without the UDFs registered
        bad = con.execute(
            "select count(*) from int_annotations_normalized "
            "where not (0 <= grid_ymin and grid_ymin <= grid_ymax and grid_ymax <= 1000 "
            "and 0 <= grid_xmin and grid_xmin <= grid_xmax and grid_xmax <= 1000)").fetchone()[0]
        assert bad == 0


def test_build_names_the_missing_input(tmp_path: Path) -> None:
    env = {**os.environ, WAREHOUSE_ENV: str(tmp_path / "wh")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "mmfactory"), "build", "--coco-images", str(tmp_path / "nope"),
         "--coco-annotations", str(tmp_path / "nope.json")],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "COCO_IMAGES=" in proc.stderr
    assert "Traceback" not in proc.stderr
