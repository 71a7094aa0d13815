"""The test run's dbt server (``lakehouse.dbt_server``): started once by the pytest process
that starts the others (the xdist controller, or the only one), before the workers, which
inherit ``MMFACTORY_DBT_SERVER``, and so does every process a test starts. The suite's ~20
dbt runs then fork from a process that has dbt imported instead of importing it each
time (~2 CPU-s each; BENCHMARKS.md, issue 12 session 23). Set ``MMFACTORY_DBT_SERVER=``
(empty) to run every dbt as its own process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lakehouse.dbt_server import SERVER_ENV
from lakehouse.settings import PROJECT_ROOT

START_TIMEOUT_S = 30.0


@dataclass
class DbtServer:
    process: subprocess.Popen
    folder: Path

    @property
    def socket(self) -> Path:
        return self.folder / "dbt.sock"


def launch(socket: Path) -> subprocess.Popen:
    """A server listening on ``socket`` (it listens before it imports dbt); raises
    RuntimeError, the server ended, when it does not listen within ``START_TIMEOUT_S``."""
    process = subprocess.Popen([sys.executable, "-m", "lakehouse.dbt_server", str(socket)],
                               cwd=PROJECT_ROOT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"the dbt server did not start (exit {process.returncode})")
        time.sleep(0.02)
    return process


def start() -> DbtServer | None:
    """Start the server and point this process's environment at it; None when the
    environment already names one (or names none: the variable set but empty)."""
    if SERVER_ENV in os.environ:
        return None
    folder = Path(tempfile.mkdtemp(prefix="mmfactory-dbt-server-"))  # a short socket path
    try:
        server = DbtServer(launch(folder / "dbt.sock"), folder)
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    os.environ[SERVER_ENV] = str(server.socket)
    return server


def stop(server: DbtServer) -> None:
    """End the server (runs it started go on to their end) and remove its folder."""
    if os.environ.get(SERVER_ENV) == str(server.socket):
        del os.environ[SERVER_ENV]
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.folder, ignore_errors=True)
