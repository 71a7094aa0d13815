"""What the contracts' cache of record facts saves: the facts of every exported record of a
built warehouse (and of the packed set's records and the asset manifest's lines, read in
the same pass) spooled without the cache, then twice with a new one (the first run fills
it, the second reads it), the rows of the three compared.

In: a built warehouse (default: ./warehouse, after ``make run``); it is read, never
modified (the cache goes to a temporary folder). Out: one line per run (records, wall
seconds), then whether the three gave the same rows and the cache's size.

Usage::

    .venv/bin/python bench/bench_record_facts.py [--warehouse warehouse]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from expectations import facts_cache  # noqa: E402
from expectations.inputs import list_read_files  # noqa: E402
from expectations.record_facts import FACTS_SCHEMA, spool_record_facts  # noqa: E402
from lakehouse.settings import PROJECT_ROOT, Warehouse  # noqa: E402


def spooled_rows(folder: Path) -> list[dict]:
    table = pa.concat_tables(pq.read_table(p, schema=FACTS_SCHEMA) for p in sorted(folder.glob("*.parquet")))
    return sorted(table.to_pylist(), key=lambda r: (r["file_no"], r["line_no"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=PROJECT_ROOT / "warehouse")
    args = parser.parse_args()
    files = list_read_files(Warehouse(args.warehouse.resolve()).exports)
    with tempfile.TemporaryDirectory(prefix="bench-record-facts-") as tmp:
        cache = Path(tmp) / "record_facts" / "bench"
        rows = {}
        for run, with_cache in (("without the cache", None), ("first, filling it", cache),
                                ("second, reading it", cache)):
            folder = Path(tmp) / run.split(",")[0].replace(" ", "_")
            started = time.perf_counter()
            n = (spool_record_facts(files, folder) if with_cache is None
                 else facts_cache.spool_record_facts(files, folder, with_cache))
            print(f"{run}: {n} records in {time.perf_counter() - started:.2f} s", flush=True)
            rows[run] = spooled_rows(folder)
        first, *others = rows.values()
        size = sum(p.stat().st_size for p in cache.glob("*.parquet"))
        print(f"same rows: {all(o == first for o in others)}; cache {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
