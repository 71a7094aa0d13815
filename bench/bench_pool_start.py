"""Benchmark: how long a 2-worker OCR pool takes to be ready, per start method.

Times ``ProcessPoolExecutor(workers, initializer=ingest.ocr._start_worker)`` until every
worker has loaded its engine and answered a no-op task, after the parent has imported
``ingest.ocr`` (as ``mmfactory`` has). Methods: ``spawn`` (fresh interpreters importing
everything), ``fork`` (children of this process; the engine's libraries are imported in
each child), ``forkserver`` (a server that preloaded ``ingest.ocr`` and the engine's
package forks the workers).

Usage::

    .venv/bin/python bench/bench_pool_start.py [--rounds 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from ingest import ocr


def _ready_seconds(method: str, workers: int) -> float:
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["ingest.ocr", "rapidocr_onnxruntime"])
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=ocr._start_worker) as pool:
        list(pool.map(abs, range(workers)))
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for r in range(args.rounds):
        for method in ("spawn", "fork", "forkserver") if r % 2 == 0 else ("forkserver", "fork", "spawn"):
            seconds = _ready_seconds(method, args.workers)
            print(f"round {r + 1} {method:>10}: {args.workers} workers with loaded engines in "
                  f"{seconds:.2f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
