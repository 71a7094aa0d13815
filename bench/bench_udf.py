"""Benchmark: the ``bbox_coco_to_grid`` arrow UDF against its pure-SQL twin.

One DuckDB connection, ``SET threads=N`` (default 1), a table of random COCO boxes built
in SQL with a fixed seed, then for each variant the best of ``--repeat`` runs of::

    SELECT sum(s.ymin), sum(s.xmin), sum(s.ymax), sum(s.xmax), count_if(s.is_collapsed),
           count(s)
    FROM (SELECT <expression> AS s FROM boxes)

(every struct field is consumed, so no work is optimised away; the checksums of the
variants must agree). Variants: the UDF, and the SQL expression the dbt macro
``bbox_coco_to_grid_sql`` renders (``tests/python_udfs/grid_oracle.py``).

Usage::

    .venv/bin/python bench/bench_udf.py [--boxes 10000000] [--threads 1] [--repeat 3]
                                        [--tuned-sql]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from python_udfs.dbt_plugin import register_udfs
from tests.python_udfs.grid_oracle import grid_sql

SEED = 0.42

BOXES_SQL = """
CREATE OR REPLACE TEMP TABLE boxes AS
SELECT x, y, w, h, width_px, height_px
FROM (
    SELECT
        (64 + floor(random() * 4000))::INTEGER AS width_px,
        (64 + floor(random() * 4000))::INTEGER AS height_px,
        random() AS rx, random() AS ry, random() AS rw, random() AS rh
    FROM range({n})
), LATERAL (
    SELECT
        (rx * 1.1 - 0.05) * width_px AS x,   -- a few boxes start outside the image
        (ry * 1.1 - 0.05) * height_px AS y,
        rw * rw * 0.6 * width_px AS w,       -- many small boxes, some wider than the rest
        rh * rh * 0.6 * height_px AS h
)
"""

CHECKSUM_SQL = """
SELECT sum(s.ymin), sum(s.xmin), sum(s.ymax), sum(s.xmax), count_if(s.is_collapsed), count(s)
FROM (SELECT {expr} AS s FROM boxes)
"""


def tuned_sql(macro_sql: str) -> str:
    """``CASE WHEN valid THEN s END`` -> ``[s][CASE WHEN valid THEN 1 END]``: same values."""
    head, tail = "CASE WHEN ", " END"
    assert macro_sql.startswith(head) and macro_sql.endswith(tail)
    valid, struct = macro_sql[len(head) : -len(tail)].split(" THEN ", 1)
    return f"[{struct}][CASE WHEN {valid} THEN 1 END]"


def time_query(conn: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> tuple[float, tuple]:
    """Best wall time of ``repeat`` runs of ``sql`` and its (single-row) result."""
    best, result = float("inf"), ()
    for _ in range(repeat):
        start = time.perf_counter()
        (result,) = conn.execute(sql).fetchall()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=10_000_000, help="rows (default 10M)")
    parser.add_argument("--threads", type=int, default=1, help="DuckDB threads (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant, best kept")
    parser.add_argument(
        "--tuned-sql", action="store_true", help="also time a CSE-friendly SQL equivalent"
    )
    args = parser.parse_args(argv)

    conn = duckdb.connect()
    try:
        conn.execute(f"SET threads={args.threads}")
        conn.execute("SELECT setseed(?)", [SEED]).fetchall()
        conn.execute(BOXES_SQL.format(n=args.boxes))
        register_udfs(conn)

        columns = ("x", "y", "w", "h", "width_px", "height_px")
        variants = {
            "udf bbox_coco_to_grid": "bbox_coco_to_grid({})".format(", ".join(columns)),
            "sql bbox_coco_to_grid_sql": grid_sql(*columns),
        }
        if args.tuned_sql:
            variants["sql tuned (not the macro)"] = tuned_sql(grid_sql(*columns))
        print(
            f"duckdb {duckdb.__version__}, threads={args.threads}, boxes={args.boxes:,}, "
            f"best of {args.repeat}"
        )
        seconds: dict[str, float] = {}
        checksums = set()
        for name, expr in variants.items():
            best, result = time_query(conn, CHECKSUM_SQL.format(expr=expr), args.repeat)
            seconds[name] = best
            checksums.add(result)
            print(f"  {name:28s} {best:7.3f} s  {args.boxes / best / 1e6:7.2f} M rows/s")
        udf, sql = seconds["udf bbox_coco_to_grid"], seconds["sql bbox_coco_to_grid_sql"]
        print(f"  udf / sql time ratio: {udf / sql:.2f}x (target <= 1.5x)")
        if args.tuned_sql:
            tuned = seconds["sql tuned (not the macro)"]
            print(f"  udf / tuned sql time ratio: {udf / tuned:.2f}x")
        if len(checksums) != 1:
            print(f"  CHECKSUMS DIFFER: {checksums}", file=sys.stderr)
            return 1
        print(f"  checksums agree: {checksums.pop()}")
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
