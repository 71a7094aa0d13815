"""Benchmark: the per-image stages on each executor (in-process, process pool, local Ray).

On the real data beside the project, in throwaway warehouses:

- image landing (header + sha256, ``ingest.image_files.inspect_images``): COCO128's 128
  files repeated ``--image-rounds`` times, in chunks of 500 -> images/s;
- OCR (RapidOCR, CPU, ``ingest.ocr.run_ocr`` with checkpoints and landing): the first
  ``--ocr-forms`` FUNSD testing forms (0: no OCR), a fresh copy of the landed forms per
  executor, chunks of ``--chunk-size`` -> assets/s (worker start and engine load included:
  what a user sees).

Paired and alternating: ``--rounds`` rounds, each running the three executors one after
the other (in-process, pool, Ray; every other round in the reverse order), each in a fresh
Python process of its own (so Ray's threads never share a process with a forking pool).
The landing is timed twice in each process: first (lazy imports; on Ray also the start
of Ray's worker processes) and warm, the figure compared; Ray's start is timed on its own.
A probe of the executor's own cost (worker start, scheduling): nine chunks that only sleep
0.5 s each, so the work needs no CPU (ideal: 4.5 s in-process, 2.5 s on 2 workers). Every
figure is printed with the load average as it is measured, then the medians and the
ratios to the pool.

Usage::

    .venv/bin/python bench/bench_executors.py [--rounds 3] [--image-rounds 16]
                                              [--ocr-forms 6] [--chunk-size 2] [--workers N]
                                              [--executors inprocess,pool]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from ingest.funsd import land_funsd
from ingest.image_files import inspect_images
from ingest.ocr import run_ocr
from lakehouse.catalog import ensure_landing
from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.stages import EXECUTORS, default_workers, executor_session, run_stage

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


PROBE_CHUNKS = 9
PROBE_SLEEP_S = 0.5


def _sleep_chunk(chunk: list[int]) -> pa.RecordBatch:
    """Probe work that needs no CPU: a fixed sleep."""
    time.sleep(PROBE_SLEEP_S)
    return pa.RecordBatch.from_pylist([{"n": len(chunk)}], schema=pa.schema([("n", pa.int64())]))


def _one(executor: str, args: argparse.Namespace) -> dict[str, float | None]:
    """One executor's figures, measured in this process (see the module doc)."""
    coco = DATA / "coco128" / "train2017"
    paths = sorted(p.name for p in coco.iterdir()) * args.image_rounds
    out: dict[str, float | None] = {"ray_start_s": None, "landing_first": None, "ocr": None}
    with tempfile.TemporaryDirectory(prefix="bench-exec-") as tmp:
        base = _ocr_lake(Path(tmp), args.ocr_forms) if args.ocr_forms else None
        started = time.perf_counter()
        with executor_session(executor):
            if executor == "ray":
                out["ray_start_s"] = time.perf_counter() - started
            # timed twice: the first stage of a process pays its lazy imports (and on Ray
            # the start of the worker processes); the second is the warm figure
            for key in ("landing_first", "landing"):
                t0 = time.perf_counter()
                n = sum(1 for _ in inspect_images(coco, paths, workers=args.workers,
                                                  executor=executor))
                out[key] = n / (time.perf_counter() - t0)
            out["files"] = n
            # the executor's own cost: chunks that only sleep
            t0 = time.perf_counter()
            list(run_stage(_sleep_chunk, list(range(PROBE_CHUNKS)), chunk_size=1,
                           workers=args.workers, executor=executor))
            out["probe_s"] = time.perf_counter() - t0
            if base is not None:
                wh = Warehouse(Path(tmp) / executor)
                shutil.copytree(base.root, wh.root)
                t0 = time.perf_counter()
                run_ocr(wh, executor=executor, workers=args.workers, chunk_size=args.chunk_size)
                out["ocr"] = args.ocr_forms / (time.perf_counter() - t0)
    out["load"] = os.getloadavg()[0]
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--image-rounds", type=int, default=16)
    parser.add_argument("--ocr-forms", type=int, default=6)
    parser.add_argument("--chunk-size", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--executors", default=",".join(EXECUTORS),
                        help="which to run, comma-separated (default: all)")
    parser.add_argument("--one", choices=EXECUTORS, help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args(argv)
    chosen = tuple(e for e in EXECUTORS if e in args.executors.split(","))
    args.workers = args.workers or default_workers()
    if args.one:
        print(json.dumps(_one(args.one, args)))
        return 0
    print(f"cores {default_workers()}, workers {args.workers}, {args.rounds} rounds, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    child = [sys.executable, str(Path(__file__).resolve()), "--image-rounds",
             str(args.image_rounds), "--ocr-forms", str(args.ocr_forms), "--chunk-size",
             str(args.chunk_size), "--workers", str(args.workers)]
    results: dict[str, list[dict]] = {e: [] for e in chosen}
    for r in range(args.rounds):
        for executor in (chosen if r % 2 == 0 else tuple(reversed(chosen))):
            before = os.getloadavg()[0]
            proc = subprocess.run([*child, "--one", executor], capture_output=True, text=True,
                                  cwd=PROJECT_ROOT)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
                return proc.returncode
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            results[executor].append(got)
            first = f" (first {got['landing_first']:,.0f})"
            ideal = PROBE_SLEEP_S * (PROBE_CHUNKS if executor == "inprocess"
                                     else -(-PROBE_CHUNKS // args.workers))
            start = f"; Ray start {got['ray_start_s']:.1f} s" if got["ray_start_s"] else ""
            print(f"round {r + 1} {executor:>9}: image landing {got['landing']:,.0f} images/s"
                  f"{first} ({got['files']} files); OCR {_fmt(got['ocr'], '.2f')} assets/s "
                  f"({args.ocr_forms} forms){start}; {PROBE_CHUNKS} chunks asleep "
                  f"{PROBE_SLEEP_S} s: {got['probe_s']:.2f} s (ideal {ideal:.2f}); "
                  f"load {before:.1f} -> {got['load']:.1f}",
                  flush=True)

    def median(executor: str, key: str) -> float | None:
        values = [g[key] for g in results[executor] if g[key] is not None]
        return statistics.median(values) if values else None

    pool_landing, pool_ocr = ((median("pool", "landing"), median("pool", "ocr"))
                              if "pool" in chosen else (None, None))
    for executor in chosen:
        landing, ocr = median(executor, "landing"), median(executor, "ocr")
        ratio = f" = {landing / pool_landing:.2f}x the pool" if pool_landing else ""
        ocr_ratio = f" = {ocr / pool_ocr:.2f}x the pool" if ocr and pool_ocr else ""
        print(f"median {executor:>9}: image landing {landing:,.0f} images/s{ratio}; "
              f"OCR {_fmt(ocr, '.2f')} assets/s{ocr_ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
