"""Throughput of the generation runner against the loopback server with a fixed latency.

Each level runs N distinct single-image requests end to end (image -> data URL, the real
``openai`` client, retries machinery, landing of ``generations`` batches in a temporary
warehouse) at one concurrency, against ``tests.generation.fake_server`` answering every
request after ``--latency-ms``. The ideal rate is ``concurrency / latency``; the target is
at least 80% of it. The server runs in its own process by default (as a model server
would), so its Python work does not compete with the client for the GIL.

    .venv/bin/python bench/bench_generation.py [--latency-ms 200] [--levels 1,4,16,32]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.config import GenerationConfig, SamplingParams
from generation.images import ImageRef
from generation.prompts import PromptTemplate
from generation.requests import GenerationRequest
from generation.runner import run_requests
from lakehouse.settings import Warehouse
from tests.generation.fake_server import FakeChatServer

BENCH_TEMPLATE = PromptTemplate(
    "bench.describe.v1", "You describe images.", "Describe image number $i."
)


def _serve(latency_s: float, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    srv = FakeChatServer(latency_s=latency_s).start()
    queue.put(srv.base_url)
    while True:
        time.sleep(3600)


def _image(folder: Path) -> ImageRef:
    from PIL import Image

    path = folder / "bench.jpg"
    Image.new("RGB", (320, 240), (90, 140, 200)).save(path, quality=90)
    return ImageRef.from_path(path)


def bench_requests(n: int, tag: str, image: ImageRef, model: str) -> list[GenerationRequest]:
    """``n`` distinct single-image requests (their prompts differ by ``tag`` and index, so no
    two share a request hash and none is answered from an earlier level's cache)."""
    return [
        GenerationRequest(
            stage="bench",
            item_id=str(i),
            model=model,
            sampling=SamplingParams(),
            template=BENCH_TEMPLATE,
            variables={"i": f"{tag}-{i}"},
            images=(image,),
        )
        for i in range(n)
    ]


def timed_run(
    requests: list[GenerationRequest], cfg: GenerationConfig, wh: Warehouse, label: str
) -> tuple[float, Any]:
    """(requests per second, the runner's report) of one end-to-end run of ``requests``;
    exits naming ``label`` unless every request was answered."""
    t0 = time.perf_counter()
    report = run_requests(requests, cfg, stage="bench", wh=wh)
    elapsed = time.perf_counter() - t0
    if report.n_ok != len(requests):
        raise SystemExit(
            f"{label}: only {report.n_ok}/{len(requests)} ok: {dict(report.status_counts)}"
        )
    return len(requests) / elapsed, report


def run_level(base_url: str, concurrency: int, n: int, image: ImageRef, root: Path) -> float:
    """Requests per second achieved for ``n`` fresh requests at ``concurrency``."""
    cfg = GenerationConfig(
        base_url=base_url,
        model="bench-model",
        concurrency=concurrency,
        batch_size=32,
        max_attempts=1,
        timeout_s=30,
        prices_path=root / "none.csv",
    )
    wh = Warehouse(root / f"wh-c{concurrency}")
    requests = bench_requests(n, str(concurrency), image, cfg.model)
    rate, _ = timed_run(requests, cfg, wh, f"concurrency {concurrency}")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--levels", default="1,4,16,32")
    ap.add_argument(
        "--rounds", type=int, default=8, help="requests per level = rounds x concurrency (min 20)"
    )
    ap.add_argument(
        "--in-process-server", action="store_true", help="serve from a thread of this process"
    )
    args = ap.parse_args()
    logging.getLogger("mmfactory.generation").setLevel(logging.ERROR)  # no "no price" warnings
    latency = args.latency_ms / 1000
    levels = [int(x) for x in args.levels.split(",")]

    proc = None
    if args.in_process_server:
        srv = FakeChatServer(latency_s=latency).start()
        base_url = srv.base_url
    else:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_serve, args=(latency, queue), daemon=True)
        proc.start()
        base_url = queue.get(timeout=30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            image = _image(root)
            run_level(base_url, 2, 4, image, root / "warmup")
            print(
                f"latency {args.latency_ms:.0f} ms, server {'in-process' if args.in_process_server else 'separate process'}"
            )
            print(
                f"{'concurrency':>11} {'requests':>8} {'achieved/s':>10} {'ideal/s':>8} {'% of ideal':>10}"
            )
            worst = 100.0
            for c in levels:
                n = max(20, args.rounds * c)
                rate = run_level(base_url, c, n, image, root)
                ideal = c / latency
                pct = 100 * rate / ideal
                worst = min(worst, pct)
                print(f"{c:>11} {n:>8} {rate:>10.1f} {ideal:>8.1f} {pct:>9.1f}%")
            print(
                f"lowest: {worst:.1f}% of ideal (target >= 80%): {'PASS' if worst >= 80 else 'FAIL'}"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.join(5)


if __name__ == "__main__":
    main()
