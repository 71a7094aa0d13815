"""What dbt costs in an incremental build before any row is read: the nodes a new COCO
source selects, built with ``dbt build --empty`` (every ref and source read as no row), on
a scratch copy of a built warehouse.

An incremental build (mmfactory/incremental.py) runs ``dbt build --select
source:<landed table>+`` for the landed tables that changed. Whatever the models do with
their rows, dbt still starts, compiles and runs each of those nodes (models and data
tests): this is the floor under the time of such a build, and it does not shrink with
the number of new images.

In: a built warehouse (its dbt ``manifest.json`` kept by the last build names the
sources); it is copied to ``--workdir`` without its exports (``--empty`` leaves every
selected table empty) and never modified. Out: one line per run: wall seconds of the dbt
process, dbt's own elapsed time and node count from ``run_results.json``.

Usage::

    .venv/bin/python bench/bench_dbt_floor.py --warehouse <a built warehouse> [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lakehouse.build_state import landed_sources, state_dir  # noqa: E402
from lakehouse.dbt import BUILD_ARGS, dbt_target_path, run_dbt  # noqa: E402
from lakehouse.rejects import REJECTS_TABLE  # noqa: E402
from lakehouse.settings import Warehouse  # noqa: E402
from lakehouse.sources import ASSET_SOURCES_TABLE  # noqa: E402
from lakehouse.tables.assets import ASSETS_TABLE  # noqa: E402
from lakehouse.tables.coco import LANDED_TABLES  # noqa: E402

# the landed tables `mmfactory land coco` writes or changes (a new COCO source)
COCO_TABLES = (ASSET_SOURCES_TABLE, ASSETS_TABLE, *LANDED_TABLES, REJECTS_TABLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mmfactory-bench/dbt-floor"))
    parser.add_argument("--tables", default=",".join(COCO_TABLES), help="landed tables taken as changed")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sources = landed_sources(state_dir(Warehouse(args.warehouse)) / "manifest.json")
    tables = args.tables.split(",")
    unknown = [t for t in tables if t not in sources]
    if unknown:
        raise SystemExit(f"{args.warehouse}: no dbt source recorded for landed table(s) {unknown} "
                         "(build it with `mmfactory build` first)")
    select = [f"{sources[t]}+" for t in tables]
    root = args.workdir / args.warehouse.name
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    # not its exports: an empty build writes them anew, and they hold a copy of every image
    shutil.copytree(args.warehouse, root, symlinks=True, ignore=shutil.ignore_patterns("exports"))
    wh = Warehouse(root)
    print(f"dbt build --empty --select {' '.join(select)}", flush=True)
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        code = run_dbt(wh, [*BUILD_ARGS, "--empty", "--quiet", "--select", *select])
        took = time.perf_counter() - started
        results = json.loads((dbt_target_path(wh) / "run_results.json").read_text(encoding="utf-8"))
        print(f"run {run}: {took:.1f} s wall, dbt elapsed {results['elapsed_time']:.1f} s, "
              f"{len(results['results'])} nodes, exit {code}; load {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
