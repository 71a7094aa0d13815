"""lakehouse.dbt_server: dbt forked from a server that has it imported runs as the dbt
process ``run_dbt`` would start: same output, same exit codes, and it ends when its caller
does. Each test starts its own server (the suite's own, tests/dbt_server_session.py, serves
every other dbt run of the suite)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.dbt import dbt_env, dbt_executable, run_dbt
from lakehouse.dbt_server import SERVER_ENV, run_on_server
from lakehouse.settings import PROJECT_ROOT, Warehouse
from tests.dbt_server_session import launch

TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen, str]]:
    """A server of this module's own: (its process, its socket)."""
    socket = tmp_path_factory.mktemp("dbt-server") / "dbt.sock"
    process = launch(socket)
    yield process, str(socket)
    process.terminate()
    assert process.wait(timeout=10) == 0
    assert not socket.exists()  # it removes its socket on the way out


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _plain(text: str) -> str:
    """dbt's output less its colour codes and the time at the start of each line."""
    return re.sub(r"^\d\d:\d\d:\d\d  ", "", re.sub(r"\x1b\[[0-9;]*m", "", text),
                  flags=re.MULTILINE)


def test_a_run_on_the_server_prints_and_exits_as_a_dbt_process_does(
        server, wh: Warehouse, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """`dbt debug` reads the profile (the warehouse from the environment, the database by
    its path relative to the working folder) and connects to DuckDB, which creates the
    database file: the server's run and a dbt process print the same, the file gets the
    caller's umask, and a usage error exits 2 from both."""
    _, socket_path = server
    monkeypatch.setenv(SERVER_ENV, socket_path)
    umask = os.umask(0o027)
    try:
        assert run_dbt(wh, ["debug"]) == 0
    finally:
        os.umask(umask)
    on_server = capfd.readouterr()
    assert wh.database.stat().st_mode & 0o777 == 0o640  # made under the caller's umask
    monkeypatch.delenv(SERVER_ENV)
    assert run_dbt(wh, ["debug"]) == 0
    direct = capfd.readouterr()

    printed = _plain(on_server.out)
    assert "All checks passed!" in printed and "Connection test: [OK connection ok]" in printed
    assert f"python path: {sys.executable}" in printed
    assert printed == _plain(direct.out)
    assert on_server.err == direct.err == ""

    env = dbt_env(wh)
    assert run_on_server(socket_path, ["build", "--no-such-option"], wh.root, env) == 2
    assert subprocess.call([dbt_executable(), "build", "--no-such-option"], cwd=wh.root,
                           env=env, stderr=subprocess.DEVNULL) == 2


def test_dbt_gets_sigterm_when_its_caller_dies(server, tmp_path: Path) -> None:
    """A caller killed by SIGKILL while its dbt waits (``dbt init`` asking for a project
    name on a pipe nobody writes to) takes that dbt with it, as a child with Linux's
    parent-death signal would be taken."""
    process, socket_path = server
    read_end, write_end = os.pipe()
    script = ("import os; from pathlib import Path; "
              "from lakehouse.dbt_server import run_on_server; "
              f"run_on_server({socket_path!r}, ['init'], Path({str(tmp_path)!r}), dict(os.environ))")
    caller = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT, stdin=read_end,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(read_end)
    try:
        _until(lambda: [d for h in _children(process.pid) for d in _children(h)], "dbt runs")
        ((handler, (dbt,)),) = [(h, _children(h)) for h in _children(process.pid) if _children(h)]
        time.sleep(0.5)
        assert Path(f"/proc/{dbt}").exists()  # waiting for its answer
        assert dbt not in _children(caller.pid)  # the server's, not the caller's child
        caller.kill()
        caller.wait()
        _until(lambda: not Path(f"/proc/{dbt}").exists() and handler not in _children(process.pid),
               "dbt and its handler end")
    finally:
        os.close(write_end)
        caller.kill()


def test_no_server_or_one_of_another_python_leaves_the_run_to_the_caller(
        server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    _, socket_path = server
    missing = str(tmp_path / "none.sock")
    assert run_on_server(missing, ["--version"], tmp_path, dict(os.environ)) is None
    assert f"dbt server {missing} not reachable" in capfd.readouterr().err

    monkeypatch.setattr(sys, "executable", "/elsewhere/bin/python")
    assert run_on_server(socket_path, ["--version"], tmp_path, dict(os.environ)) is None
    assert "refused the run (it runs" in capfd.readouterr().err


def test_a_run_imports_the_project_from_the_callers_path(tmp_path: Path) -> None:
    """A fork finds the project's modules on the caller's PYTHONPATH, not in the checkout
    the server runs in (dbt's Python models import ``lakehouse``): a server of /work/main
    serving a worktree's build must run the worktree's code."""
    package = tmp_path / "checkout" / "lakehouse"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("CHECKOUT = 'the caller'\n")
    script = ("import sys; import lakehouse.dbt_server as server; "
              f"server._as_a_new_process({{'PYTHONPATH': {str(package.parent)!r}}}); "
              "import lakehouse.settings as settings; print(settings.CHECKOUT, sys.path[1])")
    out = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["the", "caller", str(package.parent)]
