"""Shared fixtures: the real datasets beside the project, a throwaway warehouse, and the
session's real build (started in the background, shared by every xdist worker), the run's
dbt server (tests/dbt_server_session.py); and the order the suite runs in (build-free
modules first, longest first)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse, warehouse
from tests import dbt_server_session
from tests.schedule import (
    RECORD_OPTION,
    DurationRecorder,
    expected_seconds,
    load_durations,
    module_of,
)

# Hypothesis without its clocks: no per-example deadline and no "input generation is slow"
# health check. The suite keeps both cores busy and runs its workers below the session
# build's priority, so a property test can wait a second for the CPU, and either check can
# then fail a test whose code is right: HealthCheck.too_slow did, on a dictionary of up to
# six short strings, in a loaded `make test` (session 26). Speed is for the benchmarks.
settings.register_profile("mmfactory", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mmfactory")

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


_DBT_SERVER = pytest.StashKey["dbt_server_session.DbtServer | None"]()
TEST_NICENESS = 10
"""How far below the session build the test workers run (``os.nice``) once it has started."""


def run_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder every pytest-xdist worker of this run shares (a worker's own
    basetemp is ``<run's basetemp>/popen-gwN``); the basetemp itself without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _needs_build(item: pytest.Item) -> bool:
    return "built_warehouse" in getattr(item, "fixturenames", ())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(RECORD_OPTION, action="store_true",
                     help="write each test module's seconds to tests/module_durations.json "
                          "(tests/schedule.py), which orders the next runs")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    if config.getoption(RECORD_OPTION):
        config.pluginmanager.register(DurationRecorder(), "module-durations")
    config.stash[_DBT_SERVER] = dbt_server_session.start()  # before the workers start


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_DBT_SERVER, None)
    if server is not None:
        dbt_server_session.stop(server)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the run for every core, one test module at a time (`make test` hands whole
    modules to the xdist workers, `--dist loadscope`, so a module-scoped fixture such as a
    scratch rebuild, a server or a browser is set up once): first the modules that need no
    build (the session build runs in the background meanwhile), then the ones that read
    it; within each, the longest first (tests/schedule.py)."""
    durations = load_durations()
    needs_build: dict[str, bool] = {}
    for item in items:
        module = module_of(item.nodeid)
        needs_build[module] = needs_build.get(module, False) or _needs_build(item)
    order = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(key=lambda item: (needs_build[module_of(item.nodeid)],
                                 -expected_seconds(durations, module_of(item.nodeid)),
                                 order[item.nodeid]))


@pytest.fixture(scope="session", autouse=True)
def _session_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Starts the session build in the background at the start of the session, when a
    collected test needs it and no build is reused (tests/session_build.py), then lowers
    this worker's priority below the build's."""
    from tests.session_build import finish, start_once
    from tests.warehouses import REUSE_BUILD_ENV

    if os.environ.get(REUSE_BUILD_ENV) or not any(_needs_build(i) for i in request.session.items):
        yield
        return
    build = start_once(run_tmp(tmp_path_factory))
    # the build is what the longest tests wait for: it keeps the normal priority, this
    # worker (and every process a test starts) runs below it and takes the cores it leaves
    os.nice(TEST_NICENESS)
    yield
    finish(build, interrupted=request.session.shouldstop is not False
           or getattr(request.session, "exitstatus", None) == pytest.ExitCode.INTERRUPTED)


@pytest.fixture(scope="session")
def built_warehouse(shared_datasets, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A warehouse built once per test run by the real command, `mmfactory build`, on the
    real data in ../shared (the same thing `make run` does), shared by every xdist worker
    and never modified by a test; a copy of the build named by
    $MMFACTORY_TEST_REUSE_BUILD instead, when that is set (never in CI)."""
    from tests.session_build import wait_for_build
    from tests.warehouses import REUSE_BUILD_ENV, scratch_copy

    reuse = os.environ.get(REUSE_BUILD_ENV)
    if reuse:  # working on tests only: a copy of an existing build instead of a new one
        root = tmp_path_factory.mktemp("built") / "warehouse"
        return scratch_copy(Warehouse(Path(reuse)), root)
    built, code, output = wait_for_build(run_tmp(tmp_path_factory))
    # exit 1 with the contracts' results written means a contract failed: the build is
    # there, and tests/expectations/test_contracts.py names the broken check
    contracts_ran = code == 1 and (built.exports / "p3_test_results.json").is_file()
    assert code == 0 or contracts_ran, f"mmfactory build failed (exit {code}):\n{output}"
    return built
