"""What an incremental ``mmfactory build`` saves: each change, built incrementally and then
in full on the same scratch warehouse, with the exports of the two compared.

In: a built warehouse (default: ./warehouse, after ``make run``); it is copied to
``--workdir`` and never modified. Out: one line per step (wall seconds, what dbt did,
whether every export file of the incremental build equals the full build's), then the
load average. Each incremental build's line ends with its stages (``stage <name>: <s> s``
as the build prints them). Steps:

1. ``moved``: the first build of the copy (a moved warehouse rebuilds only its views);
2. ``unchanged``: the same build again (dbt and every later stage skipped);
3. ``review``: one review verdict imported (``mmfactory review import``);
4. ``coco2``: a second COCO source of ``--images`` synthetic images (bench/bench_build.py's
   corpus: real JPEG files) landed with ``mmfactory land coco``.

Steps 3 and 4 are each followed by ``build --no-land --full`` (the reference): its time is
the ``full`` figure, and ``identical`` compares lakehouse.build_state.export_digests.

Usage::

    .venv/bin/python bench/bench_incremental.py [--warehouse warehouse] [--images 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_build import make_corpus  # noqa: E402
from lakehouse.build_state import export_digests  # noqa: E402
from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse  # noqa: E402

MMFACTORY = Path(sys.executable).parent / "mmfactory"


def mmfactory(wh: Warehouse, *args: str) -> tuple[float, str]:
    """Run ``mmfactory ARGS`` on ``wh``; (wall seconds, its dbt line)."""
    started = time.perf_counter()
    proc = subprocess.run([str(MMFACTORY), *args], env={**os.environ, WAREHOUSE_ENV: str(wh.root)},
                          capture_output=True, text=True, timeout=3600)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mmfactory {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                         f"\n{proc.stderr[-3000:]}")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("dbt:")), "")
    done = re.search(r"Done\. PASS=(\d+)", proc.stdout)
    stages = ", ".join(f"{name} {seconds}" for name, seconds in re.findall(r"^stage (\w+): ([\d.]+) s$",
                                                                          proc.stdout, re.MULTILINE))
    return took, line + (f" [{done.group(1)} dbt nodes]" if done else "") + (f"; stages (s): {stages}"
                                                                             if stages else "")


def sample_id(wh: Warehouse) -> str:
    import duckdb

    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute("select sample_id from manual_review_samples order by sample_id limit 1").fetchone()[0]


def compare(wh: Warehouse, name: str, incremental: tuple[float, str]) -> None:
    before = export_digests(wh)
    full, _ = mmfactory(wh, "build", "--no-land", "--full")
    after = export_digests(wh)
    differ = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    print(f"{name}: incremental {incremental[0]:.1f} s, full {full:.1f} s "
          f"({incremental[0] / full:.0%}); exports identical: {not differ} "
          f"({len(after)} files{'; differ: ' + ', '.join(differ[:5]) if differ else ''}); {incremental[1]}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=PROJECT_ROOT / "warehouse")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mmfactory-bench/incremental"))
    parser.add_argument("--images", type=int, default=2, help="images of the second COCO source")
    parser.add_argument("--steps", default="moved,unchanged,review,coco2")
    args = parser.parse_args(argv)
    steps = args.steps.split(",")
    root = args.workdir / "warehouse"
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(args.warehouse, root, symlinks=True)
    wh = Warehouse(root)
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    if "moved" in steps:
        took, line = mmfactory(wh, "build", "--no-land")
        print(f"moved: {took:.1f} s; {line}", flush=True)
    if "unchanged" in steps:
        took, line = mmfactory(wh, "build", "--no-land")
        print(f"unchanged: {took:.1f} s; {line}", flush=True)
    if "review" in steps:
        verdicts = args.workdir / "verdicts.csv"
        verdicts.write_text("sample_id,reviewer,role,verdict,error_type,note,time\n"
                            f"{sample_id(wh)},bench,first_review,approve,,,2026-01-01T00:00:00Z\n",
                            encoding="utf-8")
        mmfactory(wh, "review", "import", str(verdicts))
        compare(wh, "review", mmfactory(wh, "build", "--no-land"))
    if "coco2" in steps:
        annotations, images = make_corpus(args.workdir / "coco2", args.images, 7.3, 1)
        mmfactory(wh, "land", "coco", "--images", str(images), "--annotations", str(annotations),
                  "--source", "coco2")
        compare(wh, f"coco2 (+{args.images} images)", mmfactory(wh, "build", "--no-land"))
    print(f"load after: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
