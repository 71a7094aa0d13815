"""A run stopped mid-way resumes where it stopped.

- SIGKILL at a batch boundary: the server answers every request successfully exactly once
  over both runs.
- SIGKILL between flushes: the answered-but-unflushed calls (at most batch_size - 1) are
  the only ones paid twice.
- SIGINT (Ctrl-C): nothing new starts, the calls in flight finish and land, nothing is
  paid twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generation.stages.recaption import recaption_request, run_recaption
from generation.store import GENERATIONS, read_landed
from tests.generation.testkit import load_coco_items

RUNNER = Path(__file__).with_name("_kill_runner.py")
N_ITEMS, BATCH, CONCURRENCY = 14, 4, 2
STOPPING = "stopping (interrupted"
"""What the runner logs once Ctrl-C has stopped it from starting calls (generation/runner.py)."""


def _wait_for(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _read_lines(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


@pytest.mark.parametrize(
    ("sig", "ok_before_stop", "landed_at_end", "repeated"),
    [
        (signal.SIGKILL, 8, 8, 0),
        (signal.SIGKILL, 10, 8, 2),
        (signal.SIGINT, 6, 8, 0),
    ],
)
def test_stop_then_resume(
    cfg, server, wh, shared_datasets, sig, ok_before_stop, landed_at_end, repeated
) -> None:
    server.hold_after_ok(ok_before_stop)  # answer K requests, then hold every further one
    env = {
        **os.environ,
        "TEST_BASE_URL": server.base_url,
        "TEST_N_ITEMS": str(N_ITEMS),
        "TEST_BATCH_SIZE": str(BATCH),
    }
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []  # the runner's output as it comes (its log goes to stderr)
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    folder = wh.landing / GENERATIONS
    try:
        flushed_batches = ok_before_stop // BATCH
        _wait_for(  # every call in flight held (one may still be on its way under load)
            lambda: (
                server.n_held == CONCURRENCY
                and len(list(folder.glob("*-0*.parquet"))) == flushed_batches
            )
        )
        time.sleep(0.1)  # the runner is blocked on the held calls; nothing more can land
        proc.send_signal(sig)
        if sig == signal.SIGINT:
            # the runner says it stopped starting calls (however long a loaded machine
            # takes to deliver the signal) ...
            _wait_for(lambda: any(STOPPING in line for line in lines))
            server.release(drop=False)  # ... and the calls in flight get their answers
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.release(drop=True)  # after SIGKILL: the held requests never get an answer
    reader.join(timeout=20)
    output = "".join(lines)
    assert proc.returncode in (-sig, 128 + sig), output
    assert read_landed(wh, GENERATIONS).num_rows == landed_at_end
    assert server.outcomes()["held-dropped"] == (CONCURRENCY if sig == signal.SIGKILL else 0)

    items = load_coco_items(N_ITEMS)
    resumed = run_recaption(items, cfg)
    assert resumed.n_cached == landed_at_end
    assert resumed.n_called == N_ITEMS - landed_at_end and resumed.n_failed == 0

    hashes = {recaption_request(it, cfg).request_hash for it in items}
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert sorted(r["request_hash"] for r in rows) == sorted(
        hashes
    )  # one ok row each, no duplicates
    assert set(server.ok_by_hash) == hashes
    assert sum(server.ok_by_hash.values()) - len(hashes) == repeated
    assert repeated <= BATCH - 1
