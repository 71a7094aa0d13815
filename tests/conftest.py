"""Shared fixtures: the real datasets beside the project and a throwaway warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse, warehouse

SHARED_DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
COCO128 = SHARED_DATASETS / "coco128"
COCO128_IMAGES = COCO128 / "train2017"
COCO128_ANNOTATIONS = COCO128 / "annotations" / "instances_train2017.json"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real data in ../shared/datasets; its absence is a failure, not a skip."""
    assert COCO128_ANNOTATIONS.is_file(), (
        f"the shared datasets are missing: expected {COCO128_ANNOTATIONS} (clone the project "
        "with ../shared beside it)"
    )
    return SHARED_DATASETS


@pytest.fixture()
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """A fresh, empty warehouse for one test (MMFACTORY_WAREHOUSE points at it)."""
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "warehouse"))
    return warehouse()


@pytest.fixture(scope="session")
def built_warehouse(shared_datasets, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A warehouse built once per test session by the real command, `mmfactory build`,
    on the real data in ../shared (the same thing `make run` does); a copy of the build
    named by $MMFACTORY_TEST_REUSE_BUILD instead, when that is set (never in CI)."""
    import os
    import subprocess
    import sys

    from tests.warehouses import REUSE_BUILD_ENV, scratch_copy

    root = tmp_path_factory.mktemp("built") / "warehouse"
    reuse = os.environ.get(REUSE_BUILD_ENV)
    if reuse:  # working on tests only: a copy of an existing build instead of a new one
        return scratch_copy(Warehouse(Path(reuse)), root)
    env = {**os.environ, WAREHOUSE_ENV: str(root)}
    mmfactory = Path(sys.executable).parent / "mmfactory"
    proc = subprocess.run([str(mmfactory), "build"], env=env, capture_output=True, text=True,
                          timeout=1800)
    built = Warehouse(root)
    # exit 1 with the contracts' results written means a contract failed: the build is
    # there, and tests/expectations/test_contracts.py names the broken check
    contracts_ran = proc.returncode == 1 and (built.exports / "p3_test_results.json").is_file()
    assert proc.returncode == 0 or contracts_ran, (
        f"mmfactory build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}")
    return built
