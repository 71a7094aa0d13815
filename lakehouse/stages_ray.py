"""The Ray backend of ``lakehouse.stages.run_stage``: the same chunks, run as Ray Data tasks.

In: the stage's ``work`` function, its items already cut into chunks, and where Ray runs
(an address, or None for a local Ray). Out: ``(chunk, RecordBatch)`` pairs in completion
order, streamed back as Ray Data finishes them (the caller lands or checkpoints each one
while the rest is still running, as with the process pool).

How: one row per chunk (its index and the pickled items) in a Ray Data dataset of one block
per chunk; ``Dataset.map`` runs ``work`` on each row as a Ray task with ``max_retries``, so a
worker process that dies mid-chunk is retried by Ray itself (the chunk that died never
reached the driver, so every chunk comes back exactly once). The batch travels back as
Arrow IPC bytes, so its schema and types are exactly what ``work`` built. ``initializer``
runs once per Ray worker process, before its first chunk (what the pool's initializer
does).

Ray is an optional extra (``pip install 'mmfactory[ray]'``): it is imported only here, and
only when a stage asks for it.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

import pyarrow as pa

from lakehouse.stage_config import StageConfigError, default_workers

T = TypeVar("T")

RAY_TEMP_ENV = "MMFACTORY_RAY_TEMP_DIR"
# a chunk whose worker died is run again up to this many times (Ray task retries; Ray
# Data's own default is to retry forever, which would hang a build on an image that
# crashes its decoder every time)
TASK_MAX_RETRIES = 3
RAY_NAMESPACE = "mmfactory"
# a local Ray's raylet must register within Ray's fixed 30 s; on a loaded machine it may
# not, and a later start usually does
LOCAL_START_ATTEMPTS = 3


def _ray() -> Any:
    """The ``ray`` module with Ray Data loaded, or ``StageConfigError`` saying how to get it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise StageConfigError(
            f"the ray executor needs Ray Data ({exc}); install the extra: "
            "`uv pip install 'mmfactory[ray]'` (make setup installs it)") from None
    return ray


def local_temp_dir() -> str:
    """Where a local Ray keeps its sessions, sockets and logs: ``$MMFACTORY_RAY_TEMP_DIR``,
    else ``<system temp>/ray-<uid>`` (never inside the repository)."""
    return os.environ.get(RAY_TEMP_ENV) or os.path.join(tempfile.gettempdir(),
                                                        f"ray-{os.getuid()}")


def _configure_ray_data(ray: Any) -> None:
    """Ray Data set up for short stages: no progress bars or per-dataset INFO lines (the CLI
    draws its own progress), and no per-operator resource reservation. With the reservation
    (Ray Data's default) the first tasks of every dataset run one at a time: on 2 CPUs,
    nine 0.5 s sleeping chunks took 3.6 s instead of 2.7 s (the second task waits for the
    first), which is most of a 0.5 s stage such as landing 2,048 image headers. The
    concurrency cap (``TaskPoolStrategy``) and the object-store backpressure stay."""
    from ray.util.debug import log_once

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.op_resource_reservation_enabled = False
    log_once("ray_data_progress_manager_disabled")  # its "bars are off" warning: said here
    logging.getLogger("ray.data").setLevel(logging.WARNING)


@contextmanager
def ray_session(address: str | None = None) -> Iterator[None]:
    """Ray for the block. Already initialised (a test fixture, an enclosing
    ``executor_session``): used as it is and left running. Else ``address`` (``auto``, a
    head's ``host:port``, or ``ray://host:port``) is connected to, or with None a local
    Ray is started on 127.0.0.1 with ``default_workers()`` CPUs, no dashboard, its temp
    dir outside the repository; either is shut down when the block ends. Raises
    ``StageConfigError`` when Ray is missing or cannot start / be reached."""
    ray = _ray()
    if ray.is_initialized():
        _configure_ray_data(ray)
        yield
        return
    common = {"namespace": RAY_NAMESPACE, "log_to_driver": False,
              "logging_level": logging.WARNING}
    where = address or "a local Ray on 127.0.0.1"
    for attempt in range(1, LOCAL_START_ATTEMPTS + 1):
        try:
            if address:
                ray.init(address=address, **common)
            else:
                ray.init(address="local", num_cpus=default_workers(), include_dashboard=False,
                         _node_ip_address="127.0.0.1", _temp_dir=local_temp_dir(), **common)
            break
        except Exception as exc:  # noqa: BLE001 (ray.init raises bare Exception on timeouts)
            ray.shutdown()
            if address or attempt == LOCAL_START_ATTEMPTS:
                raise StageConfigError(f"cannot start or reach Ray at {where}: {exc}") from None
    try:
        _configure_ray_data(ray)
        yield
    finally:
        ray.shutdown()


# ---- on the Ray worker ------------------------------------------------------------------

_STARTED: set[tuple[str, str, str]] = set()


def _to_ipc(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.RecordBatch:
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    if table.num_rows == 0:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    return table.combine_chunks().to_batches()[0]


def _run_chunk(work: Callable[[list[T]], pa.RecordBatch], initializer: Callable[..., Any] | None,
               initargs: tuple, row: dict[str, Any]) -> dict[str, Any]:
    """One Ray task: start this worker once (``initializer``), run ``work`` on the row's
    chunk, send the batch back as Arrow IPC bytes with the chunk's index."""
    if initializer is not None:
        key = (getattr(initializer, "__module__", ""), getattr(initializer, "__qualname__",
                                                               repr(initializer)), repr(initargs))
        if key not in _STARTED:
            initializer(*initargs)
            _STARTED.add(key)
    chunk = pickle.loads(row["payload"])
    return {"chunk_index": row["chunk_index"], "batch": _to_ipc(work(chunk))}


# ---- on the driver ----------------------------------------------------------------------

def run_stage_on_ray(
    work: Callable[[list[T]], pa.RecordBatch],
    chunks: Sequence[list[T]],
    workers: int | None,
    initializer: Callable[..., Any] | None,
    initargs: tuple,
    address: str | None,
) -> Iterator[tuple[list[T], pa.RecordBatch]]:
    """``run_stage`` on Ray Data (see the module doc). ``workers`` caps the tasks in flight
    (None: as many as the cluster has CPUs); ``work`` and ``initializer`` are shipped with
    Ray's pickler (closures work; the project must be importable on every node)."""
    with ray_session(address):
        ray = _ray()
        rows = [{"chunk_index": i, "payload": pickle.dumps(chunk, protocol=5)}
                for i, chunk in enumerate(chunks)]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        options: dict[str, Any] = {"num_cpus": 1, "max_retries": TASK_MAX_RETRIES}
        if workers is not None:
            options["compute"] = ray.data.TaskPoolStrategy(size=max(1, workers))
        with warnings.catch_warnings():
            # Ray 2.60 warns that plain remote args (max_retries) move elsewhere in 2.64
            warnings.simplefilter("ignore", DeprecationWarning)
            mapped = dataset.map(partial(_run_chunk, work, initializer, tuple(initargs)),
                                 **options)
        for row in mapped.iter_rows():
            yield chunks[int(row["chunk_index"])], _from_ipc(row["batch"])
