"""SQL style: `sqlfluff lint models/` passes with the project's .sqlfluff (duckdb dialect,
dbt templater, lines up to 100 characters; the rules and their exceptions are explained
in .sqlfluff).

The dbt templater compiles every model, so it needs a warehouse to connect to: the test
gives it an empty one in a temporary folder (MMFACTORY_WAREHOUSE), with its own dbt target
and log folders, so that it needs no built lakehouse and never touches warehouse/ or
target/ while a build may be running there. It takes about a minute of CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_models_pass_sqlfluff(tmp_path: Path) -> None:
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    assert sqlfluff.is_file(), (
        f"{sqlfluff} is missing: install sqlfluff and sqlfluff-templater-dbt (4.4.x) in this venv")
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
    # one linting process per core: the dbt templater compiles the project once, then the
    # files are linted in parallel (65 s instead of ~110 s on 2 cores)
    processes = str(len(os.sched_getaffinity(0)))
    proc = subprocess.run([str(sqlfluff), "lint", "--processes", processes, "models/"],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, (
        f"sqlfluff lint models/ exited {proc.returncode}; violations:\n"
        f"{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}")
