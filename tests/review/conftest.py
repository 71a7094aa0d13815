"""Fixtures of the review page's tests: a scratch copy of the session's build (verdicts
are written into it and it is rebuilt), the page served from it by the real command on a
free loopback port, and the system Chromium driven by Playwright."""

from __future__ import annotations

import os
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
from tests.warehouses import scratch_copy

CHROMIUM = Path(os.environ.get("MMFACTORY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTEFACTS = Path(os.environ.get("MMFACTORY_TEST_ARTEFACTS", PROJECT_ROOT / "test-artefacts"))


@pytest.fixture(scope="module")
def review_warehouse(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A scratch copy of the session's real build."""
    return scratch_copy(built_warehouse, tmp_path_factory.mktemp("review") / "warehouse")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
