"""Running dbt on the project, as a child process, against the active warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from lakehouse.dbt_parse import share, start_from_shared
from lakehouse.dbt_server import SERVER_ENV, die_with_parent, run_on_server
from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse


def dbt_executable() -> str:
    """The ``dbt`` installed beside the running Python (the project's venv)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_target_path(wh: Warehouse) -> Path:
    """Where dbt writes its target folder for ``wh``: ``$DBT_TARGET_PATH`` when set, else
    the warehouse's own (``Warehouse.dbt_target``)."""
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured) if configured else wh.dbt_target


# The DuckDB file dbt opens, relative to the folder dbt runs in (profiles.yml; unset, as
# in a plain `dbt build` from the project, it is $MMFACTORY_WAREHOUSE/lakehouse.duckdb).
DATABASE_ENV = "MMFACTORY_DBT_DATABASE"


def dbt_env(wh: Warehouse) -> dict[str, str]:
    """The environment dbt needs: the warehouse path, the project and profiles.yml, the
    database file relative to the warehouse folder (dbt runs there, ``run_dbt``), and the
    warehouse's own target and log folders (unless ``DBT_TARGET_PATH`` / ``DBT_LOG_PATH``
    say otherwise)."""
    env = dict(os.environ)
    env[WAREHOUSE_ENV] = str(wh.root)
    env[DATABASE_ENV] = wh.database.relative_to(wh.root).as_posix()
    env["DBT_PROJECT_DIR"] = str(PROJECT_ROOT)
    env["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    env["DBT_TARGET_PATH"] = str(dbt_target_path(wh))
    env.setdefault("DBT_LOG_PATH", str(wh.dbt_logs))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


# What the product's builds run: every model and data test, without the SQL unit tests.
# A unit test checks a model's SQL on fixed rows, not the data, so its result cannot change
# from one build to the next (dbt's own advice is to run them in development and CI only);
# the 36 cost 9-11 s of every COCO128 build (`dbt build` with and without
# `--exclude-resource-type unit_test`, BENCHMARKS.md). CI runs them on the built lakehouse
# (tests/lakehouse/test_dbt_unit_tests.py), and a plain `dbt build` still does.
BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


def run_dbt(wh: Warehouse, args: list[str], env: Mapping[str, str] | None = None) -> int:
    """Run ``dbt <args>`` on the project, in the warehouse folder; return its exit code.
    ``env``: variables added to dbt's environment (``dbt_env``) for this run.

    First makes sure every landed table has its zero-row schema file, so that sources
    no landing has written yet still read as empty tables.

    dbt runs in ``wh.root`` and opens ``lakehouse.duckdb`` by that relative name: the
    profile then reads the same for every warehouse, and dbt hashes the profile to decide
    whether it may reuse its saved parse (``dbt/target/partial_parse.msgpack``), where an
    absolute path in the profile made dbt parse the whole project. Nothing dbt parses names
    the warehouse either (``macros/warehouse.sql`` puts its folder in when dbt runs), so a
    copied or moved warehouse reuses its saved parse as it is (BENCHMARKS.md, issue 12
    session 13). The views it writes still name the landing zone by its absolute path. A
    warehouse with no saved parse starts from the last one a warehouse of this checkout
    saved, and a parse another checkout saved is dropped (``lakehouse.dbt_parse``).

    With ``MMFACTORY_DBT_SERVER`` set to the socket of a ``lakehouse.dbt_server``, the server
    runs dbt (the same run, forked from a process that has dbt imported: ~2 CPU-s less per
    run); without one, or when it cannot run it, dbt starts as a child process.

    dbt's own output goes straight to the terminal. Its logs and target folder are the
    warehouse's (``dbt/logs``, ``dbt/target``): builds of two warehouses at once from one
    checkout (the test suite's workers, a user's second corpus) never share them.
    """
    from lakehouse.catalog import ensure_landing

    ensure_landing(wh)  # every landed table readable, even one no source has landed yet
    target = dbt_target_path(wh)
    start_from_shared(target)  # and drops a parse another checkout saved
    run_env = {**dbt_env(wh), **(env or {})}
    server = os.environ.get(SERVER_ENV)
    code = run_on_server(server, args, wh.root, run_env) if server else None
    if code is None:
        code = subprocess.call([dbt_executable(), *args], cwd=wh.root, env=run_env,
                               preexec_fn=die_with_parent)
    share(target)
    return code
