"""The warehouse lock between real processes, and children that die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from lakehouse.lock import (
    WarehouseBusy,
    acquire_writer,
    check_readable,
    clean_leftovers,
    release_writer,
)
from lakehouse.settings import PROJECT_ROOT, Warehouse
from tests.ingest.landing_cases import cli

_HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from lakehouse.lock import acquire_writer
    from lakehouse.settings import Warehouse
    acquire_writer(Warehouse(Path(sys.argv[1])), "build")
    print("held", flush=True)
    time.sleep(120)
""")


def _holder(wh: Warehouse) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(wh.root)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_exits_at_once_naming_the_holder(wh, tmp_path) -> None:
    holder = _holder(wh)
    try:
        started = time.monotonic()
        proc = cli(wh, "land", "funsd", str(tmp_path))
        assert proc.returncode == 2
        message = " ".join(proc.stderr.split())
        assert "is busy" in message and f"pid {holder.pid}" in message and "mmfactory build" in message
        assert "Traceback" not in proc.stderr
        assert time.monotonic() - started < 60  # no waiting for the lock (process start dominates)
        # a reader says the warehouse is busy
        proc = cli(wh, "summary")
        assert proc.returncode == 2 and "busy" in proc.stderr and "Traceback" not in proc.stderr
        # in-process, the same
        try:
            acquire_writer(wh, "test")
            raise AssertionError("a second writer got the lock")
        except WarehouseBusy:
            pass
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the killed holder's lock: the next writer goes ahead
    acquire_writer(wh, "test")
    check_readable(wh)  # a process may read what it holds
    release_writer(wh)


def test_clean_leftovers_removes_only_crash_leftovers(wh) -> None:
    keep = wh.landing / "assets" / "coco128.parquet"
    junk = [wh.landing / "assets" / ".coco128.parquet.1.abc.tmp", wh.root / ".exports-deadbeef" / "a",
            wh.derived / ".visual_audit-old-deadbeef" / "b"]
    for path in [keep, *junk]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    removed = clean_leftovers(wh)
    assert keep.exists() and not any(p.exists() for p in junk)
    assert len(removed) == 3


_PARENT = textwrap.dedent("""
    import subprocess, sys
    from lakehouse.dbt import die_with_parent
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                             preexec_fn=die_with_parent)
    print(child.pid, flush=True)
    child.wait()
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_a_child_dies_with_its_parent_even_on_sigkill() -> None:
    """What `run_dbt` does for `dbt build`: kill the parent, the child goes too."""
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid)
