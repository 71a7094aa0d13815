"""The per-item stage runner: work items in, Arrow record batches out.

One seam for every per-image stage (OCR, image hashing, ...). A stage is a plain function
``work(chunk) -> pyarrow.RecordBatch`` over a list of picklable work items; the runner cuts
the items into chunks and yields ``(chunk, batch)`` pairs as each chunk finishes, so the
caller can land or checkpoint results while the rest is still running (memory stays
bounded by the chunks in flight).

Executors (``executor=``, else the one ``executor_session`` set, else ``$MMFACTORY_EXECUTOR``,
else ``pool``):

- ``inprocess`` (or ``pool`` with ``workers <= 1``): in this process, in order (``work`` may
  be any callable, e.g. a closure over an engine object in tests);
- ``pool`` (the default): a local process pool, chunks yielded in completion order; ``work``
  and ``initializer`` must be importable top-level functions (or ``functools.partial`` of
  them) and the items picklable. ``start_method="spawn"`` (default) starts clean workers
  (no inherited threads or open files; each re-imports its modules, ~0.5-1 s);
  ``"fork"`` starts them at once from the parent's memory, for work whose threaded
  libraries are first imported in the worker (image headers and hashes; OCR, whose
  OpenCV and ONNX Runtime the parent never loads);
- ``ray``: Ray Data tasks (``lakehouse.stages_ray``; the optional extra ``mmfactory[ray]``),
  on the cluster at ``$MMFACTORY_RAY_ADDRESS`` / ``executor_session(ray_address=...)``
  (``auto`` or ``ray://host:port``), or on a local Ray started for the stage. A worker
  that dies is retried by Ray; chunks come back in completion order.

Every executor keeps the same contract: same chunks, same batches, any order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import pyarrow as pa

from lakehouse.stage_config import (  # noqa: F401 (re-exported: the stages' one seam)
    DEFAULT_EXECUTOR,
    EXECUTOR_ENV,
    EXECUTORS,
    RAY_ADDRESS_ENV,
    WORKERS_ENV,
    SESSION,
    StageConfigError,
    checked_executor,
    default_executor,
    default_ray_address,
    default_workers,
)

T = TypeVar("T")


@contextmanager
def executor_session(executor: str | None = None, ray_address: str | None = None) -> Iterator[str]:
    """Within the block, stages run on ``executor`` (None: ``default_executor()``) and Ray
    on ``ray_address``; yields the executor's name. With ``ray``, Ray is started (or
    connected to) once here and shut down on the way out, so the stages of one command
    share it. Raises ``StageConfigError`` for an unknown executor or a Ray that cannot
    start."""
    previous = dict(SESSION)
    chosen = checked_executor(executor, "--executor") if executor else default_executor()
    SESSION.update(executor=chosen, ray_address=ray_address or default_ray_address())
    try:
        if chosen == "ray":
            from lakehouse.stages_ray import ray_session

            with ray_session(SESSION["ray_address"]):
                yield chosen
        else:
            yield chosen
    finally:
        SESSION.update(previous)


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size`` (``size`` >= 1)."""
    size = max(1, size)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# Fewer items than this are run as one chunk (so in the calling process, whatever the
# executor): starting a pool's workers costs more than the work. Measured for the two
# drawing stages: a spawned worker re-imports the stack (~2-4 s on 2 shared cores), more
# than ~30 renders at 0.1-0.2 s each take in-process; 29 visual-audit PNGs took 3.9-6.9 s
# in-process and 14.0-20.6 s on a spawned pool of 2 (load 14-17).
MIN_ITEMS_TO_SPLIT = 32


def split_chunk_size(n_items: int, chunk_size: int) -> int:
    """``chunk_size``, or one chunk of all ``n_items`` when they are fewer than
    ``MIN_ITEMS_TO_SPLIT`` (never below 1)."""
    return chunk_size if n_items >= MIN_ITEMS_TO_SPLIT else max(1, n_items)


# The pool cuts work into at least this many chunks per worker (when there are items
# enough): equal chunks over 2 workers leave one idle for a whole chunk at the end
# whenever their number is odd (5 chunks of 500 files: the pool's bound was 5/6 of 2x).
POOL_CHUNKS_PER_WORKER = 4


def balanced(items: Sequence[T], chunk_size: int, workers: int) -> list[list[T]]:
    """``items`` in consecutive chunks of at most ``chunk_size``, made smaller (evenly)
    when that gives fewer than ``POOL_CHUNKS_PER_WORKER`` chunks per worker, so the last
    round of a pool is short; never below one item per chunk."""
    wanted = max(1, workers) * POOL_CHUNKS_PER_WORKER
    size = max(1, min(chunk_size, -(-len(items) // wanted)))
    return chunked(items, size)


def run_stage(
    work: Callable[[list[T]], pa.RecordBatch],
    items: Sequence[T],
    chunk_size: int = 64,
    workers: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    start_method: str = "spawn",
    executor: str | None = None,
) -> Iterator[tuple[list[T], pa.RecordBatch]]:
    """Run ``work`` over ``items`` in chunks of ``chunk_size``; yield ``(chunk, batch)`` per
    finished chunk (on the pool, chunks are cut smaller when that balances the workers:
    see ``balanced``). ``executor`` None means ``default_executor()``. ``workers`` None means
    ``default_workers()`` for the pool and the cluster's CPUs for Ray (a number caps the
    chunks in flight); at most one worker per chunk is started. An exception raised by
    ``work`` propagates to the caller (the chunks already yielded stay with it)."""
    executor = checked_executor(executor, "executor") if executor else default_executor()
    chunks = chunked(items, chunk_size)
    if not chunks:
        return
    if executor == "ray":
        from lakehouse.stages_ray import run_stage_on_ray

        yield from run_stage_on_ray(work, chunks, workers, initializer, initargs,
                                    default_ray_address())
        return
    workers = min(default_workers() if workers is None else workers, len(chunks))
    if executor == "inprocess" or workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for chunk in chunks:
            yield chunk, work(chunk)
        return
    chunks = balanced(items, chunk_size, workers)
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
