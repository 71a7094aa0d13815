"""Fixtures for the release and takedown tests: scratch copies of the session's real build
(database, landing zone and exports), and the `mmfactory` command run against a copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from tests.expectations.conftest import REUSE_BUILD_ENV
from tests.expectations.corrupt import copy_warehouse

MMFACTORY = Path(sys.executable).parent / "mmfactory"


@pytest.fixture(scope="session")
def release_source(request: pytest.FixtureRequest) -> Warehouse:
    """The build the release tests copy: the session's `built_warehouse`, or (for working
    on these tests only) the build named by $MMFACTORY_TEST_REUSE_BUILD, never modified."""
    reuse = os.environ.get(REUSE_BUILD_ENV)
    return Warehouse(Path(reuse)) if reuse else request.getfixturevalue("built_warehouse")


def scratch_copy(src: Warehouse, dst_root: Path) -> Warehouse:
    """A copy of ``src`` that can be rebuilt: database, exports (image links kept) and the
    landing zone, without any takedown or release landed in the source."""
    wh = copy_warehouse(src, dst_root)
    shutil.copytree(src.landing, wh.landing, symlinks=True)
    for table in ("takedowns", "release_manifests"):
        for path in (wh.landing / table).glob("*.parquet"):
            if path.name != "_schema.parquet":
                path.unlink()
    return wh


def run_mmfactory(wh: Warehouse, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``mmfactory ARGS`` against warehouse ``wh``; returns the finished process."""
    env = {**os.environ, WAREHOUSE_ENV: str(wh.root)}
    return subprocess.run([str(MMFACTORY), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """``proc`` if it exited 0, else a failure showing its output."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def record_ids(path: Path) -> list[str]:
    """The ids of a JSONL record file."""
    import json

    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
