"""The test session's real build: one `mmfactory build` on ../shared per pytest run, started
in the background as soon as the session begins and shared by every pytest-xdist worker.

The build takes minutes (OCR, dbt, contracts), mostly on more than one core, while hundreds
of tests need no build at all. So the first worker to start takes a file lock, starts the
build as a child process writing into ``<run's shared tmp>/session-build/warehouse`` and
goes on running tests; ``wait_for_build`` (the ``built_warehouse`` fixture) blocks only the
tests that read the build, until the child has written its exit code.

Files in the shared folder: ``start.lock`` (who starts it), ``pid`` (the child's pid),
``stdout`` / ``stderr`` (its output), ``returncode`` (written, atomically, when it ends).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from lakehouse.dbt import die_with_parent
from lakehouse.settings import WAREHOUSE_ENV, Warehouse

MMFACTORY = Path(sys.executable).parent / "mmfactory"
TIMEOUT_S = 1800.0


@dataclass
class SessionBuild:
    """The shared build's folder; ``process`` is set in the one pytest process that started it."""

    folder: Path
    process: subprocess.Popen | None = None

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.folder / "warehouse")

    @property
    def returncode_file(self) -> Path:
        return self.folder / "returncode"


def shared_folder(run_tmp: Path) -> Path:
    """``<run_tmp>/session-build``, where ``run_tmp`` is the folder every worker of this
    pytest run shares (the parent of a worker's basetemp, or the basetemp without xdist)."""
    return run_tmp / "session-build"


def start_once(run_tmp: Path) -> SessionBuild:
    """Start the build unless a worker of this run already has; never waits for it."""
    build = SessionBuild(shared_folder(run_tmp))
    build.folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(build.folder / "start.lock")):
        if (build.folder / "pid").exists():
            return build
        env = {**os.environ, WAREHOUSE_ENV: str(build.warehouse.root)}
        with open(build.folder / "stdout", "wb") as out, open(build.folder / "stderr", "wb") as err:
            # die_with_parent: a killed pytest takes the build (and its dbt, its OCR) with it
            build.process = subprocess.Popen([str(MMFACTORY), "build"], env=env, stdout=out,
                                             stderr=err, preexec_fn=die_with_parent)
        (build.folder / "pid").write_text(str(build.process.pid))
    threading.Thread(target=_write_returncode, args=(build,), daemon=True).start()
    return build


def _write_returncode(build: SessionBuild) -> None:
    code = build.process.wait()
    tmp = build.folder / "returncode.tmp"
    tmp.write_text(str(code))
    os.replace(tmp, build.returncode_file)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a finished child not yet reaped by its starter is a zombie: not alive
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def wait_for_build(run_tmp: Path, timeout_s: float = TIMEOUT_S) -> tuple[Warehouse, int, str]:
    """Block until the shared build has ended; returns (its warehouse, exit code, the end
    of its output). Fails when it was never started, died without an exit code, or ran
    past ``timeout_s``."""
    build = SessionBuild(shared_folder(run_tmp))
    deadline = time.monotonic() + timeout_s
    while not build.returncode_file.exists():
        pid_file = build.folder / "pid"
        if not pid_file.exists():
            raise RuntimeError(f"the session build was never started ({build.folder})")
        if not _alive(int(pid_file.read_text())):
            time.sleep(1.0)  # its starter writes the exit code right after it ends
            if not build.returncode_file.exists():
                raise RuntimeError(f"the session build died without an exit code: {_tail(build)}")
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the session build ran past {timeout_s:.0f} s: {_tail(build)}")
        time.sleep(0.5)
    return build.warehouse, int(build.returncode_file.read_text()), _tail(build)


def _tail(build: SessionBuild) -> str:
    parts = []
    for name in ("stdout", "stderr"):
        path = build.folder / name
        if path.exists():
            parts.append(path.read_text(encoding="utf-8", errors="replace")[-5000:])
    return "\n".join(parts)


def finish(build: SessionBuild, interrupted: bool) -> None:
    """In the process that started the build, at the end of its session: wait for it (a
    worker may still need it), or stop it when the run was interrupted."""
    if build.process is None or build.process.poll() is not None:
        return
    if interrupted:
        build.process.terminate()
    try:
        build.process.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        build.process.kill()
