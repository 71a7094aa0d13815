"""Throughput of one generation run spread over 1, 2 and 4 loopback endpoints vs the ideal sum.

Each level starts K loopback OpenAI-compatible servers (``tests.generation.fake_server``,
each answering after its own fixed latency) and runs N distinct single-image requests end
to end through ``generation.runner.run_requests`` (image -> data URL, the real ``openai``
client, the endpoint pool choosing by least outstanding requests, landing of
``generations`` batches in a temporary warehouse). Every endpoint gets ``--concurrency``
slots, so endpoint i can do at most ``concurrency / latency_i`` requests per second and
the ideal of the run is the sum over its endpoints. The servers run in one separate
process (as model servers would), so their Python work does not compete with the client
for the GIL. The last line, "mixed", uses endpoints of four different speeds.

    .venv/bin/python bench/bench_endpoints.py [--latency-ms 200] [--concurrency 4]
        [--rounds 32] [--levels 1,2,4] [--mixed-ms 100,200,400,800] [--repeat 1]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_generation import _image, bench_requests, timed_run
from generation.config import GenerationConfig
from generation.endpoints import Endpoint
from generation.images import ImageRef
from lakehouse.settings import Warehouse
from tests.generation.fake_server import FakeChatServer


def _serve(latencies: list[float], queue: mp.Queue) -> None:  # type: ignore[type-arg]
    servers = [FakeChatServer(latency_s=lat).start() for lat in latencies]
    queue.put([s.base_url for s in servers])
    while True:
        time.sleep(3600)


def run_level(
    urls: list[str],
    latencies: list[float],
    concurrency: int,
    n: int,
    image: ImageRef,
    root: Path,
    tag: str,
) -> tuple[float, Counter[str]]:
    """(requests per second, requests landed per endpoint) for ``n`` fresh requests."""
    endpoints = tuple(Endpoint(u, concurrency) for u in urls)
    cfg = GenerationConfig(
        base_url=urls[0],
        endpoints=endpoints,
        model="bench-model",
        concurrency=concurrency,
        batch_size=32,
        max_attempts=2,
        timeout_s=30,
        prices_path=root / "none.csv",
    )
    wh = Warehouse(root / f"wh-{tag}")
    rate, report = timed_run(bench_requests(n, tag, image, cfg.model), cfg, wh, tag)
    return rate, report.by_endpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--concurrency", type=int, default=4, help="slots per endpoint")
    ap.add_argument("--levels", default="1,2,4", help="numbers of equal-speed endpoints")
    ap.add_argument("--mixed-ms", default="100,200,400,800", help="latencies of the mixed line")
    ap.add_argument("--rounds", type=int, default=32, help="requests = rounds x all slots")
    ap.add_argument("--repeat", type=int, default=1, help="runs per line; the best is shown")
    args = ap.parse_args()
    logging.getLogger("mmfactory.generation").setLevel(logging.ERROR)  # no "no price" warnings
    lat = args.latency_ms / 1000
    lines: list[tuple[str, list[float]]] = [
        (f"{k} x {args.latency_ms:.0f} ms", [lat] * k) for k in map(int, args.levels.split(","))
    ]
    if args.mixed_ms:
        mixed = [float(x) / 1000 for x in args.mixed_ms.split(",")]
        lines.append(("mixed " + "/".join(args.mixed_ms.split(",")) + " ms", mixed))
    every = [x for _, lats in lines for x in lats]

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(every, queue), daemon=True)
    proc.start()
    all_urls = queue.get(timeout=120)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{args.concurrency} slots per endpoint, servers in one separate process, "
        f"{args.rounds} rounds, best of {args.repeat}"
    )
    print(
        f"{'endpoints':<24} {'requests':>8} {'achieved/s':>10} {'ideal/s':>8} "
        f"{'% of ideal':>10}  split (landed per endpoint, ideal in brackets)"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            image = _image(root)
            offset = 0
            worst = 100.0
            for li, (name, lats) in enumerate(lines):
                urls = all_urls[offset : offset + len(lats)]
                offset += len(lats)
                run_level(urls, lats, 2, 2 * len(urls), image, root, f"warm{li}")
                ideal = sum(args.concurrency / x for x in lats)
                n = args.rounds * args.concurrency * len(lats)
                best, split = 0.0, Counter[str]()
                for r in range(args.repeat):
                    rate, by = run_level(
                        urls, lats, args.concurrency, n, image, root, f"l{li}r{r}"
                    )
                    if rate > best:
                        best, split = rate, by
                pct = 100 * best / ideal
                worst = min(worst, pct)
                shares = " ".join(
                    f"{split.get(u, 0)}({n * (args.concurrency / x) / ideal:.0f})"
                    for u, x in zip(urls, lats)
                )
                print(f"{name:<24} {n:>8} {best:>10.1f} {ideal:>8.1f} {pct:>9.1f}%  {shares}")
            print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(
                f"lowest: {worst:.1f}% of the ideal sum (target >= 85%): "
                f"{'PASS' if worst >= 85 else 'FAIL'}"
            )
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
