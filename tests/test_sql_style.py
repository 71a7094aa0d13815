"""SQL style: `sqlfluff lint models/` passes with the project's .sqlfluff (duckdb dialect,
dbt templater, lines up to 100 characters; the rules and their exceptions are explained
in .sqlfluff).

The dbt templater compiles every model, so it needs a warehouse to connect to: the test
gives it an empty one in a temporary folder (MMFACTORY_WAREHOUSE), with its own dbt target
and log folders, so that it needs no built lakehouse and never touches warehouse/ or
target/ while a build may be running there. sqlfluff runs through ``tests.sql_lint``, which
builds each file's reflow sequence once instead of once per layout rule, and its depth map
in one walk of the tree, in one process: 38 CPU-s, against 92 for stock sqlfluff with a
process per core (its workers are spawned and re-import sqlfluff and dbt, and every
rendered file is pickled to them) and 72 for stock sqlfluff in one process; the whole test
suite is bound by CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_models_pass_sqlfluff(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    env = {
        **os.environ,
        "MMFACTORY_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run([sys.executable, "-m", "tests.sql_lint", "lint", "--processes", "1",
                           "models/"],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, (
        f"sqlfluff lint models/ exited {proc.returncode}; violations:\n"
        f"{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}")
