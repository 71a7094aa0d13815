"""Every benchmark, one after the other, with their output (what ``make bench`` runs).

1. ``bench_landing.py --boxes 1000000 --full-dbt``: 1M boxes from JSON to the normalized
   table, dbt build times, image landing on COCO128;
2. ``bench_landing.py --boxes 1500000 --no-dbt --no-images``: peak memory landing 1.5M boxes;
3. ``bench_landing.py --boxes 1000000 --key-order coco2017 --no-dbt --no-images``: the same
   1M boxes with COCO 2017's key order (``categories`` after ``annotations``);
4. ``bench_udf.py --boxes 10000000``: the bbox UDF against its pure-SQL twin, 1 and 2 threads;
5. ``bench_generation.py``, ``bench_endpoints.py`` and ``bench_render_ocr.py``, when present
   (other helpers' benches).

Usage::

    .venv/bin/python bench/run_all.py [--repeat 3] [--quick]

``--quick`` runs the landing benches at a tenth of the size (a smoke test, not figures).
Each bench's figures also go to ``--out-dir`` (default: a temporary folder) as JSON.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measure, best kept (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes: a smoke test")
    parser.add_argument(
        "--out-dir", type=Path, default=Path(tempfile.gettempdir()) / "mmfactory-bench" / "results"
    )
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    repeat = ["--repeat", str(args.repeat)]
    landing = str(BENCH / "bench_landing.py")
    runs: list[tuple[str, list[str]]] = [
        (
            "landing-1m",
            [
                landing,
                "--boxes",
                str(1_000_000 // scale),
                "--full-dbt",
                *repeat,
                "--json-out",
                str(args.out_dir / "landing-1m.json"),
            ],
        ),
        (
            "landing-1.5m",
            [
                landing,
                "--boxes",
                str(1_500_000 // scale),
                "--no-dbt",
                "--no-images",
                *repeat,
                "--json-out",
                str(args.out_dir / "landing-1.5m.json"),
            ],
        ),
        (
            "landing-1m-coco2017-order",
            [
                landing,
                "--boxes",
                str(1_000_000 // scale),
                "--key-order",
                "coco2017",
                "--no-dbt",
                "--no-images",
                *repeat,
                "--json-out",
                str(args.out_dir / "landing-1m-coco2017.json"),
            ],
        ),
        ("udf", [str(BENCH / "bench_udf.py"), "--boxes", str(10_000_000 // scale), *repeat]),
    ]
    # the other helpers' benches, when they are there
    for name in ("bench_generation.py", "bench_endpoints.py", "bench_render_ocr.py"):
        if (BENCH / name).exists():
            runs.append((name.removeprefix("bench_").removesuffix(".py"), [str(BENCH / name)]))

    failed = []
    for name, cmd in runs:
        shown = " ".join(
            [
                Path(sys.executable).name,
                *(
                    Path(c).relative_to(BENCH.parent).as_posix() if c.startswith(str(BENCH)) else c
                    for c in cmd
                ),
            ]
        )
        print(f"\n######## {name}: {shown}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, *cmd], cwd=BENCH.parent, env=dict(os.environ))
        print(f"######## {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    print(f"\nfigures as JSON in {args.out_dir}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
