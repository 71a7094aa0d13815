"""Fixtures for the release and takedown tests: scratch copies of the session's real build
(database, landing zone and exports), and the `mmfactory` command run against a copy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lakehouse.settings import Warehouse
from tests.warehouses import scratch_copy as copy_for_rebuild


@pytest.fixture(scope="session")
def release_source(built_warehouse: Warehouse) -> Warehouse:
    """The build the release tests copy: the session's `built_warehouse`, never modified."""
    return built_warehouse


def scratch_copy(src: Warehouse, dst_root: Path) -> Warehouse:
    """A copy of ``src`` that can be rebuilt, without any takedown or release landed in it."""
    return copy_for_rebuild(src, dst_root, drop_tables=("takedowns", "release_manifests"))


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """``proc`` if it exited 0, else a failure showing its output."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def record_ids(path: Path) -> list[str]:
    """The ids of a JSONL record file."""
    import json

    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
