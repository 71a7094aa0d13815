"""Fixtures for the contract tests: the real build with its report written, a clean copy
of it, and the checks' result on that copy (the baseline every corruption is compared
with)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.settings import Warehouse
from tests.expectations.corrupt import copy_warehouse, reseal


@pytest.fixture(scope="session")
def reported_warehouse(built_warehouse: Warehouse) -> Warehouse:
    """The session's real build (`mmfactory build` on ../shared) with `mmfactory report`'s
    files, as `make run` leaves it (the build writes them; the build is shared by every
    worker, so nothing here writes into it)."""
    from mmfactory.reports import METRICS_FILE, REPORT_FILE

    for name in (METRICS_FILE, REPORT_FILE):
        assert (built_warehouse.exports / name).is_file(), f"the build wrote no {name}"
    return built_warehouse


@pytest.fixture(scope="session")
def clean_copy(reported_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A resealed copy of the real build (resealing a clean build changes no count)."""
    wh = copy_warehouse(reported_warehouse, tmp_path_factory.mktemp("clean") / "warehouse")
    reseal(wh)
    return wh


@pytest.fixture(scope="session")
def baseline(clean_copy: Warehouse):
    """All the checks on the clean copy."""
    from expectations.runner import run_checks

    return run_checks(clean_copy)


@pytest.fixture()
def fresh_copy(reported_warehouse: Warehouse, tmp_path: Path) -> Warehouse:
    wh = copy_warehouse(reported_warehouse, tmp_path / "warehouse")
    reseal(wh)
    return wh
