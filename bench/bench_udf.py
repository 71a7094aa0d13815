"""Benchmark: the ``bbox_coco_to_grid`` arrow UDF against its pure-SQL twin.

One DuckDB connection, ``SET threads=N`` for each N of ``--threads`` (default 1 and 2,
measured paired: every round times every thread count and variant in turn), a table of
random COCO boxes built in SQL with a fixed seed, then for each variant the best of
``--repeat`` rounds of::

    SELECT sum(s.ymin), sum(s.xmin), sum(s.ymax), sum(s.xmax), count_if(s.is_collapsed),
           count(s)
    FROM (SELECT <expression> AS s FROM boxes)

(every struct field is consumed, so no work is optimised away; the checksums of the
variants must agree). Variants: the UDF, and the SQL expression the dbt macro
``bbox_coco_to_grid_sql`` renders (``tests/python_udfs/grid_oracle.py``).

Usage::

    .venv/bin/python bench/bench_udf.py [--boxes 10000000] [--threads 1 2] [--repeat 3]
                                        [--case-sql]
"""

from __future__ import annotations

import argparse
import os
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


def case_sql(macro_sql: str) -> str:
    """``[s][CASE WHEN valid THEN 1 END]`` (the macro) -> ``CASE WHEN valid THEN s END``, the
    macro's earlier form: same values, but DuckDB evaluates a CASE branch per row without
    sharing the edges between the struct's fields."""
    assert macro_sql.startswith("[") and macro_sql.endswith(" THEN 1 END]")
    struct, valid = macro_sql[1:-len(" THEN 1 END]")].split("][CASE WHEN ", 1)
    return f"CASE WHEN {valid} THEN {struct} END"


def time_query(conn: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> tuple[float, tuple]:
    """Best wall time of ``repeat`` runs of ``sql`` and its (single-row) result."""
    best, result = float("inf"), ()
    for _ in range(repeat):
        start = time.perf_counter()
        (result,) = conn.execute(sql).fetchall()
        best = min(best, time.perf_counter() - start)
    return best, result


def load() -> str:
    """The 1/5/15-minute load averages (the machine is shared: a figure needs its load)."""
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=10_000_000, help="rows (default 10M)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="DuckDB thread counts, measured paired (default 1 2)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, best kept")
    parser.add_argument(
        "--case-sql", action="store_true",
        help="also time the macro's earlier CASE WHEN form (same values)"
    )
    args = parser.parse_args(argv)

    conn = duckdb.connect()
    try:
        conn.execute("SELECT setseed(?)", [SEED]).fetchall()
        conn.execute(BOXES_SQL.format(n=args.boxes))
        register_udfs(conn)

        columns = ("x", "y", "w", "h", "width_px", "height_px")
        variants = {
            "udf bbox_coco_to_grid": "bbox_coco_to_grid({})".format(", ".join(columns)),
            "sql bbox_coco_to_grid_sql": grid_sql(*columns),
        }
        if args.case_sql:
            variants["sql CASE form (earlier)"] = case_sql(grid_sql(*columns))
        print(
            f"duckdb {duckdb.__version__}, threads={args.threads}, boxes={args.boxes:,}, "
            f"best of {args.repeat} rounds (each round: every thread count, every variant, "
            f"alternating), {load()}"
        )
        seconds: dict[tuple[int, str], float] = {}
        checksums = set()
        for _ in range(args.repeat):
            for threads in args.threads:
                conn.execute(f"SET threads={threads}")
                for name, expr in variants.items():
                    best, result = time_query(conn, CHECKSUM_SQL.format(expr=expr), 1)
                    key = (threads, name)
                    seconds[key] = min(seconds.get(key, float("inf")), best)
                    checksums.add(result)
        for threads in args.threads:
            for name in variants:
                best = seconds[(threads, name)]
                print(f"  threads={threads} {name:28s} {best:7.3f} s  "
                      f"{args.boxes / best / 1e6:7.2f} M rows/s")
            udf = seconds[(threads, "udf bbox_coco_to_grid")]
            sql = seconds[(threads, "sql bbox_coco_to_grid_sql")]
            print(f"  threads={threads} udf / sql time ratio: {udf / sql:.2f}x "
                  "(target <= 1.5x)")
            if args.case_sql:
                case = seconds[(threads, "sql CASE form (earlier)")]
                print(f"  threads={threads} udf / CASE form time ratio: {udf / case:.2f}x")
        print(f"  after: {load()}")
        if len(checksums) != 1:
            print(f"  CHECKSUMS DIFFER: {checksums}", file=sys.stderr)
            return 1
        print(f"  checksums agree: {checksums.pop()}")
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
