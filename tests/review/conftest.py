"""Fixtures of the review page's tests: a scratch copy of the session's build (verdicts
are written into it and it is rebuilt), the page served from it by the real command on a
free loopback port, and the system Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse
from tests.expectations.corrupt import copy_warehouse

CHROMIUM = Path(os.environ.get("MMFACTORY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# as in tests/expectations/conftest.py: an existing build to copy instead of the session's
REUSE_BUILD_ENV = "MMFACTORY_TEST_REUSE_BUILD"
ARTEFACTS = Path(os.environ.get("MMFACTORY_TEST_ARTEFACTS", PROJECT_ROOT / "test-artefacts"))


def scratch_copy(src: Warehouse, root: Path) -> Warehouse:
    """A copy of a built warehouse that can be landed into and rebuilt on its own: the
    DuckDB file and exports (``copy_warehouse``) plus the landing zone and derived files."""
    wh = copy_warehouse(src, root)
    shutil.copytree(src.landing, wh.landing)
    if src.derived.exists():
        shutil.copytree(src.derived, wh.derived, symlinks=True)
    return wh


@pytest.fixture(scope="module")
def review_warehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A scratch copy of the session's real build (or of $MMFACTORY_TEST_REUSE_BUILD)."""
    reuse = os.environ.get(REUSE_BUILD_ENV)
    src = Warehouse(Path(reuse)) if reuse else request.getfixturevalue("built_warehouse")
    return scratch_copy(src, tmp_path_factory.mktemp("review") / "warehouse")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mmfactory(wh: Warehouse, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, WAREHOUSE_ENV: str(wh.root)}
    exe = Path(sys.executable).parent / "mmfactory"
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def server(review_warehouse: Warehouse) -> Iterator[str]:
    """`mmfactory review serve` over the scratch warehouse; yields its base URL."""
    port = free_port()
    env = {**os.environ, WAREHOUSE_ENV: str(review_warehouse.root)}
    exe = Path(sys.executable).parent / "mmfactory"
    proc = subprocess.Popen([str(exe), "review", "serve", "--port", str(port), "--reviewer", "ann"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:
                assert response.status == 200
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the review server did not start:\n{proc.stdout.read()}")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (no browser is downloaded)."""
    assert CHROMIUM.exists(), (f"no Chromium at {CHROMIUM}: install it with `make browser` "
                               "(apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
