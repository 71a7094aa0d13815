"""The per-item stage runner: work items in, Arrow record batches out.

One seam for every per-image stage (OCR, image hashing, ...). A stage is a plain function
``work(chunk) -> pyarrow.RecordBatch`` over a list of picklable work items; the runner cuts
the items into chunks and yields ``(chunk, batch)`` pairs as each chunk finishes, so the
caller can land or checkpoint results while the rest is still running (memory stays
bounded by the chunks in flight).

Backends:

- ``workers <= 1``: in-process, in order (``work`` may be any callable, e.g. a closure over
  an engine object in tests);
- ``workers > 1``: a process pool, chunks yielded in completion order; ``work`` and
  ``initializer`` must be importable top-level functions (or ``functools.partial`` of
  them) and the items picklable. ``start_method="spawn"`` (default) starts clean workers
  (no inherited threads or open files; each re-imports its modules, ~0.5-1 s);
  ``"fork"`` starts them at once from the parent's memory, for plain-Python work that
  needs no threads of its own (image headers and hashes).

A later backend (e.g. Ray) only has to implement ``run_stage``'s contract: same chunks,
same batches, any order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")

WORKERS_ENV = "MMFACTORY_WORKERS"


def default_workers() -> int:
    """``$MMFACTORY_WORKERS`` if set, else every core this process may use."""
    configured = os.environ.get(WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size`` (``size`` >= 1)."""
    size = max(1, size)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_stage(
    work: Callable[[list[T]], pa.RecordBatch],
    items: Sequence[T],
    chunk_size: int = 64,
    workers: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    start_method: str = "spawn",
) -> Iterator[tuple[list[T], pa.RecordBatch]]:
    """Run ``work`` over ``items`` in chunks of ``chunk_size``; yield ``(chunk, batch)`` per
    finished chunk. ``workers`` None means ``default_workers()``; at most one worker per
    chunk is started. An exception raised by ``work`` propagates to the caller (the
    chunks already yielded stay with it)."""
    chunks = chunked(items, chunk_size)
    if not chunks:
        return
    workers = min(default_workers() if workers is None else workers, len(chunks))
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for chunk in chunks:
            yield chunk, work(chunk)
        return
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer,
                             initargs=initargs) as pool:
        pending: dict[Future, list[T]] = {}
        queue = iter(chunks)
        # keep two chunks per worker in flight: a worker never waits for the parent
        for chunk in queue:
            pending[pool.submit(work, chunk)] = chunk
            if len(pending) >= 2 * workers:
                break
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = pending.pop(future)
                    batch = future.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[pool.submit(work, nxt)] = nxt
                    yield chunk, batch
        finally:
            for future in pending:
                future.cancel()
