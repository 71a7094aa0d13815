"""One writer at a time per warehouse, and a clean start after a crash.

In: the warehouse and the name of the command. Out: the lock held for the rest of the
process (``filelock``: an OS lock on ``<warehouse>/.mmfactory.lock``, released by the
kernel when the process dies, however it dies), or ``WarehouseBusy`` naming the holder.

- A writer (``acquire_writer``) takes the lock at once or fails at once; the holder's pid,
  command and start time are in ``.mmfactory.lock.json`` so the refusal can say who.
- A reader (``check_readable``) takes nothing: it waits up to ``wait_s`` for a writer to
  finish and otherwise says the warehouse is busy.
- ``clean_leftovers`` (called by a writer once it holds the lock, so no other writer is
  mid-write) removes what a killed run leaves: hidden ``.*.tmp`` files anywhere in the
  warehouse, and ``.exports-*`` / ``.visual_audit-*`` staging folders.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from lakehouse.commit import roll_forward
from lakehouse.settings import Warehouse

LOCK_NAME = ".mmfactory.lock"
HOLDER_NAME = ".mmfactory.lock.json"

_held: dict[Path, FileLock] = {}


class WarehouseBusy(RuntimeError):
    """Another process is writing to the warehouse."""


def _lock(wh: Warehouse) -> FileLock:
    wh.root.mkdir(parents=True, exist_ok=True)
    return FileLock(wh.root / LOCK_NAME, thread_local=False)


def holder(wh: Warehouse) -> str:
    """Who holds the lock, as one phrase (from the holder file)."""
    try:
        info = json.loads((wh.root / HOLDER_NAME).read_text())
        return f"`mmfactory {info['command']}` (pid {info['pid']}, since {info['started_at']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another mmfactory process"


def acquire_writer(wh: Warehouse, command: str) -> None:
    """Hold the warehouse's lock until the process ends; raise ``WarehouseBusy`` at once
    when another process holds it. Re-entrant within one process."""
    if wh.root in _held:
        return
    lock = _lock(wh)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise WarehouseBusy(f"the warehouse {wh.root} is busy: {holder(wh)} is writing to it; "
                            "wait for it to finish (nothing was changed)") from None
    _held[wh.root] = lock
    info = {"pid": os.getpid(), "command": command,
            "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    (wh.root / HOLDER_NAME).write_text(json.dumps(info))
    roll_forward(wh)  # a commit killed during its renames is finished first ...
    clean_leftovers(wh)  # ... then what no commit will use is removed


def release_writer(wh: Warehouse) -> None:
    """Give the lock back (the end of the process does it too)."""
    lock = _held.pop(wh.root, None)
    if lock is not None:
        (wh.root / HOLDER_NAME).unlink(missing_ok=True)
        lock.release()


def check_readable(wh: Warehouse, wait_s: float = 0.0) -> None:
    """Return when no writer holds the lock (waiting up to ``wait_s``); else raise
    ``WarehouseBusy``. A process that holds the lock itself may always read."""
    if wh.root in _held or not wh.root.exists():
        return
    lock = _lock(wh)
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise WarehouseBusy(f"the warehouse {wh.root} is busy: {holder(wh)} is writing to it; "
                            "try again when it has finished") from None
    lock.release()


def clean_leftovers(wh: Warehouse) -> list[Path]:
    """Remove what a killed writer left behind (see the module docstring); returns it."""
    removed: list[Path] = []
    if wh.root.is_dir():
        for path in wh.root.rglob(".*.tmp"):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    for pattern, folder in ((".exports-*", wh.exports.parent), (".visual_audit-*", wh.derived)):
        if folder.is_dir():
            for path in folder.glob(pattern):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
    return removed


def wait_for_release(wh: Warehouse, timeout_s: float) -> bool:
    """True once no writer holds the lock (polls), False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            check_readable(wh)
            return True
        except WarehouseBusy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
