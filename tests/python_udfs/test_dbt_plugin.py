"""The dbt-duckdb plugin: created and wired the way dbt-duckdb does it, on real connections."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments import Environment
from dbt.adapters.duckdb.plugins import BasePlugin

from python_udfs.dbt_plugin import UDFS, Plugin, register_udfs

MODULE = "python_udfs.dbt_plugin"
MACRO_FILE = Path(__file__).resolve().parents[2] / "macros" / "bbox_sql.sql"

GRID_63 = {"ymin": 63, "xmin": 63, "ymax": 125, "xmax": 125, "is_collapsed": False}
CALLS = """
SELECT
    bbox_coco_to_grid(40.0, 30.0, 40.0, 30.0, 640, 480),
    bbox_grid_to_coco(0, 0, 1000, 1000, 640, 480),
    bbox_coco_to_llava(80.0, 0.0, 10.0, 10.0, 640, 480),
    bbox_coco_to_qwen25vl(10.0, 20.0, 100.0, 50.0, 640, 428),
    bbox_coco_to_grid(NULL, 0.0, 1.0, 1.0, 640, 480),
    bbox_coco_to_grid(0.0, 0.0, 1.0, 1.0, 0, 480)
"""
EXPECTED = (
    GRID_63,
    {"x": 0.0, "y": 0.0, "w": 640.0, "h": 480.0},
    (0.13, 0.0, 0.14, 0.02),
    (10, 20, 111, 69),
    None,
    None,
)


@pytest.fixture
def conn() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_create_like_dbt_duckdb_and_configure_connection(conn: duckdb.DuckDBPyConnection) -> None:
    plugin = BasePlugin.create(MODULE, config={"unused": "setting"})
    assert isinstance(plugin, Plugin)
    assert plugin.name == "dbt_plugin"
    plugin.configure_connection(conn)
    assert conn.execute(CALLS).fetchall() == [EXPECTED]
    # dbt-duckdb runs its queries on cursors of the configured connection
    cursor = conn.cursor()
    try:
        assert cursor.execute(CALLS).fetchall() == [EXPECTED]
    finally:
        cursor.close()


def test_environment_from_profile_credentials(tmp_path: Path) -> None:
    """What dbt-duckdb does with `plugins: [{module: python_udfs.dbt_plugin}]` in a profile."""
    creds = DuckDBCredentials.from_dict(
        {"path": str(tmp_path / "lake.duckdb"), "plugins": [{"module": MODULE}]}
    )
    plugins = Environment.initialize_plugins(creds)
    assert [type(p) for p in plugins.values()] == [Plugin]
    connection = Environment.initialize_db(creds, plugins)
    try:
        assert connection.execute(CALLS).fetchall() == [EXPECTED]
    finally:
        connection.close()


def test_register_udfs_is_idempotent_and_declares_the_signatures(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    register_udfs(conn)
    register_udfs(conn)  # a second configure_connection on the same connection
    assert conn.execute(CALLS).fetchall() == [EXPECTED]
    assert set(UDFS) == {
        "bbox_coco_to_grid", "bbox_grid_to_coco", "bbox_coco_to_llava", "bbox_coco_to_qwen25vl",
        "bbox_coco_to_qwen25vl_llamafactory", "bbox_coco_to_rel1000", "bbox_coco_to_pixels",
        "en_plural", "en_with_article", "en_number_word", "en_is_plural",
    }
    assert conn.execute(
        "SELECT typeof(bbox_coco_to_grid(1.0, 1.0, 1.0, 1.0, 10, 10)), "
        "typeof(bbox_grid_to_coco(0, 0, 1, 1, 10, 10)), "
        "typeof(bbox_coco_to_llava(1.0, 1.0, 1.0, 1.0, 10, 10)), "
        "typeof(bbox_coco_to_qwen25vl(1.0, 1.0, 1.0, 1.0, 10, 10))"
    ).fetchall() == [(
        "STRUCT(ymin INTEGER, xmin INTEGER, ymax INTEGER, xmax INTEGER, is_collapsed BOOLEAN)",
        "STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)",
        "DOUBLE[4]",
        "INTEGER[4]",
    )]


def test_udfs_run_over_a_table_with_nulls(conn: duckdb.DuckDBPyConnection) -> None:
    register_udfs(conn)
    rows = conn.execute("""
        SELECT bbox_coco_to_grid(x, y, w, h, width_px, height_px) AS g
        FROM (SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 600)::DOUBLE END AS x,
                     0.0 AS y, 10.0 AS w, 10.0 AS h,
                     CASE WHEN i % 11 = 0 THEN 0 ELSE 640 END AS width_px, 480 AS height_px
              FROM range(10000) t(i))
    """).fetchall()
    nulls = sum(g is None for (g,) in rows)
    assert nulls == sum(1 for i in range(10000) if i % 7 == 0 or i % 11 == 0)


def test_dbt_run_with_the_plugin_and_the_macro(tmp_path: Path) -> None:
    """A real `dbt run`: the profile loads the plugin, a model calls the UDF and the macro."""
    dbt_main = pytest.importorskip("dbt.cli.main")
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "macros").mkdir()
    shutil.copy(MACRO_FILE, project / "macros" / MACRO_FILE.name)
    database = tmp_path / "probe.duckdb"
    (project / "dbt_project.yml").write_text(textwrap.dedent("""
        name: bbox_probe
        version: "1.0"
        profile: bbox_probe
        model-paths: ["models"]
        macro-paths: ["macros"]
    """))
    (project / "profiles.yml").write_text(textwrap.dedent(f"""
        bbox_probe:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: "{database}"
              threads: 1
              plugins:
                - module: {MODULE}
    """))
    (project / "models" / "probe.sql").write_text(textwrap.dedent("""
        {{ config(materialized='table') }}
        select
            bbox_coco_to_grid(x, y, w, h, width_px, height_px) as udf,
            {{ bbox_coco_to_grid_sql('x', 'y', 'w', 'h', 'width_px', 'height_px') }} as ref
        from (values (40.0, 30.0, 40.0, 30.0, 640, 480),
                     (0.0, 0.0, 1.0, 1.0, 0, 480)) t(x, y, w, h, width_px, height_px)
    """))
    result = dbt_main.dbtRunner().invoke([
        "run", "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        "--quiet",
    ])
    assert result.success, result.exception
    connection = duckdb.connect(str(database))
    try:
        assert connection.execute("SELECT udf, ref FROM probe").fetchall() == [
            (GRID_63, GRID_63),
            (None, None),
        ]
    finally:
        connection.close()
