"""Benchmark: the per-image stages on each executor (in-process, process pool, local Ray).

On the real data beside the project, in throwaway warehouses:

- image landing (header + sha256, ``ingest.image_files.inspect_images``): COCO128's 128
  files repeated ``--image-rounds`` times, in chunks of 500 -> images/s;
- OCR (RapidOCR, CPU, ``ingest.ocr.run_ocr`` with checkpoints and landing): the first
  ``--ocr-forms`` FUNSD testing forms, a fresh copy of the landed forms per executor, chunks
  of ``--chunk-size`` -> assets/s (worker start and engine load included: what a user sees;
  on Ray the landing is timed twice, its first stage also starting Ray's workers).

Ray is started once, after the in-process and pool runs and before its own timings (its
start is printed on its own); the pool and Ray get ``--workers`` workers (default: every
core).

Usage::

    .venv/bin/python bench/bench_executors.py [--image-rounds 16] [--ocr-forms 12]
                                              [--chunk-size 2] [--workers N]
                                              [--executors inprocess,pool]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ingest.funsd import land_funsd
from ingest.image_files import inspect_images
from ingest.ocr import run_ocr
from lakehouse.catalog import ensure_landing
from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.stages import EXECUTORS, default_workers, executor_session

DATA = PROJECT_ROOT.parent / "shared" / "datasets"


def _ocr_lake(root: Path, forms: int) -> Warehouse:
    """The first ``forms`` FUNSD testing forms, landed (no OCR yet)."""
    src = DATA / "funsd" / "testing_data"
    dst = root / "funsd" / "testing_data"
    names = sorted(p.stem for p in (src / "images").glob("*.png"))[:forms]
    for sub, ext in (("images", "png"), ("annotations", "json")):
        (dst / sub).mkdir(parents=True)
        for name in names:
            shutil.copy(src / sub / f"{name}.{ext}", dst / sub)
    wh = Warehouse(root / "base")
    ensure_landing(wh)
    land_funsd(wh, dst.parent)
    return wh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-rounds", type=int, default=16)
    parser.add_argument("--ocr-forms", type=int, default=12)
    parser.add_argument("--chunk-size", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--executors", default=",".join(EXECUTORS),
                        help="which to run, comma-separated (default: all)")
    args = parser.parse_args(argv)
    workers = args.workers or default_workers()
    print(f"cores {default_workers()}, workers {workers}, load {os.getloadavg()[0]:.1f}")

    coco = DATA / "coco128" / "train2017"
    paths = sorted(p.name for p in coco.iterdir()) * args.image_rounds
    with tempfile.TemporaryDirectory(prefix="bench-exec-") as tmp:
        base = _ocr_lake(Path(tmp), args.ocr_forms)
        for executor in [e for e in EXECUTORS if e in args.executors.split(",")]:
            # Ray starts only after the pool has run (the pool forks for image landing)
            started = time.perf_counter()
            with executor_session(executor):
                if executor == "ray":
                    print(f"ray start: {time.perf_counter() - started:.1f} s "
                          "(not in the figures below)")
                rates = []
                # Ray's first stage of a session also starts its worker processes: on Ray
                # the landing is timed twice (first, then warm)
                for _ in range(2 if executor == "ray" else 1):
                    t0 = time.perf_counter()
                    n = sum(1 for _ in inspect_images(coco, paths, workers=workers,
                                                      executor=executor))
                    rates.append(f"{n / (time.perf_counter() - t0):,.0f}")
                wh = Warehouse(Path(tmp) / executor)
                shutil.copytree(base.root, wh.root)
                t0 = time.perf_counter()
                run_ocr(wh, executor=executor, workers=workers, chunk_size=args.chunk_size)
                ocr_s = args.ocr_forms / (time.perf_counter() - t0)
            print(f"{executor:>9}: image landing {' then '.join(rates)} images/s ({n} files); "
                  f"OCR {ocr_s:.2f} assets/s ({args.ocr_forms} forms); "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
