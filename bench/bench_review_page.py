"""How fast the review page answers, over a copy of a built warehouse.

Usage: .venv/bin/python bench/bench_review_page.py [--warehouse warehouse] [--requests 20]

Copies the DuckDB file and the landing zone to a temporary folder (verdicts are written
there, never into the given warehouse), serves the app on a free loopback port in this
process, and times with plain HTTP: the queue page, a grounding sample's page, one image,
and landing a verdict (each on a different sample). Prints median and worst in ms.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import duckdb
import uvicorn

from lakehouse.settings import Warehouse
from review.app import create_app


def _timed(url: str, data: bytes | None = None, headers: dict | None = None) -> float:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, default=Path("warehouse"))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mmfactory-bench-review-"))
    wh = Warehouse(tmp / "warehouse")
    wh.root.mkdir(parents=True)
    shutil.copy2(args.warehouse / "lakehouse.duckdb", wh.database)
    shutil.copytree(args.warehouse / "landing", wh.landing)
    with duckdb.connect(str(wh.database), read_only=True) as con:
        ids = [r[0] for r in con.execute("select sample_id from manual_review_samples "
                                         "where task_type = 'region_grounding' order by sample_id").fetchall()]
        asset = con.execute("select source_asset_ids[1] from int_samples_templated where sample_id = ?",
                            [ids[0]]).fetchone()[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(wh, "bench", token="bench-token"), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    n = min(args.requests, len(ids))
    figures = {
        "queue page": [_timed(base + "/") for _ in range(n)],
        "grounding sample page": [_timed(f"{base}/samples/{ids[0]}") for _ in range(n)],
        "image by asset id": [_timed(f"{base}/assets/{asset}") for _ in range(n)],
        "verdict landed": [_timed(base + "/api/verdicts", json.dumps({"sample_id": sample_id, "verdict": "approve"})
                                  .encode(), {"Content-Type": "application/json", "X-Review-Token": "bench-token"})
                           for sample_id in ids[:n]],
    }
    server.should_exit = True
    result = {name: {"requests": len(t), "median_ms": round(statistics.median(t), 1), "worst_ms": round(max(t), 1)}
              for name, t in figures.items()}
    print(json.dumps(result, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
