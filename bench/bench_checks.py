"""Where the contracts' time and memory go: the inputs of a built warehouse opened (its
record facts spooled), then each check run in this one process, with its wall seconds,
its peak resident memory and whether it passed.

The peak is reset before each step (Linux: ``5`` written to ``/proc/self/clear_refs``)
and read after it (``VmHWM``), so each line gives the most that step held, including
what DuckDB kept from the steps before it. Run it at two sizes of the scale series
(``bench/bench_build.py``) to see how each check grows.

In: a built warehouse (default: ./warehouse, after ``make run``). As ``mmfactory check``
does, it reads and refreshes the warehouse's facts cache and image-digest cache; it
writes no result file. ``--vectors`` and ``--memory-limit`` override the batch size
(``expectations.batched.BATCH_VECTORS``) and DuckDB's limit on the checks' connection
(``expectations.inputs.QUERY_MEMORY_LIMIT``). Out: one line per step (seconds, peak MB,
PASS / FAIL), then the checks' total seconds.

Usage::

    .venv/bin/python bench/bench_checks.py [--warehouse warehouse] [--only NAME ...]
        [--vectors 100] [--memory-limit 2GB]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from expectations import batched  # noqa: E402
from expectations.config import DEFAULT_CONFIG  # noqa: E402
from expectations.inputs import QUERY_MEMORY_LIMIT, CheckInputs  # noqa: E402
from expectations.runner import select_checks  # noqa: E402
from expectations.validation import Validator, run_check  # noqa: E402
from lakehouse.settings import PROJECT_ROOT, Warehouse  # noqa: E402


def reset_peak() -> None:
    """Start this process's peak resident memory again from what it holds now."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> int:
    """This process's peak resident memory since the last ``reset_peak``, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=PROJECT_ROOT / "warehouse")
    parser.add_argument("--only", action="append", help="run only this check (repeatable)")
    parser.add_argument("--vectors", type=int, default=batched.BATCH_VECTORS,
                        help="DuckDB vectors (2,048 rows) per batch of a large frame")
    parser.add_argument("--memory-limit", help="DuckDB's memory limit on the checks' connection, e.g. 2GB")
    args = parser.parse_args()
    batched.BATCH_VECTORS = args.vectors
    checks = select_checks(args.only)

    reset_peak()
    started = time.perf_counter()
    inputs = CheckInputs(Warehouse(args.warehouse.resolve()))
    print(f"{'inputs':<34} {time.perf_counter() - started:7.2f} s {peak_mb():6,} MB", flush=True)
    try:
        if args.memory_limit:
            inputs.con.execute(f"SET memory_limit = '{args.memory_limit}'")
        validator = Validator()
        total = 0.0
        for check in checks:
            reset_peak()
            started = time.perf_counter()
            result = run_check(check, inputs, DEFAULT_CONFIG, validator)
            seconds = time.perf_counter() - started
            total += seconds
            print(f"{check.name:<34} {seconds:7.2f} s {peak_mb():6,} MB  {result.status}", flush=True)
    finally:
        inputs.close()
    print(f"{len(checks)} checks: {total:.2f} s (batches of {args.vectors} vectors, "
          f"DuckDB at {args.memory_limit or QUERY_MEMORY_LIMIT})")


if __name__ == "__main__":
    main()
