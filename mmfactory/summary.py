"""The short account ``mmfactory build`` prints: tables, row counts, rejects, file places."""

from __future__ import annotations

import duckdb
from rich.console import Console
from rich.table import Table

from lakehouse.settings import Warehouse
from mmfactory.document_summary import print_document_summary


def table_counts(wh: Warehouse) -> list[tuple[str, str, int]]:
    """(schema, table, rows) for every table and view in the lakehouse file."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        counts = []
        for schema, name in names:
            try:
                n = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            except duckdb.Error:
                continue  # a view over a UDF: not readable without the plugin
            counts.append((schema, name, n))
    return counts


def reject_counts(wh: Warehouse) -> list[tuple[str, str, str, int]]:
    """(source, landing table, reason, count) over every landed rejects file."""
    pattern = (wh.landing / "rejects" / "*.parquet").as_posix()
    with duckdb.connect() as con:
        return con.execute(
            "select source, landing_table, reason_code, count(*) from read_parquet(?, union_by_name=true) "
            "group by all order by all", [pattern]
        ).fetchall()


def print_summary(wh: Warehouse, console: Console | None = None) -> None:
    console = console or Console()
    tables = Table(title="lakehouse tables", show_lines=False)
    for col in ("schema", "table", "rows"):
        tables.add_column(col, justify="right" if col == "rows" else "left")
    for schema, name, n in table_counts(wh):
        tables.add_row(schema, name, f"{n:,}")
    console.print(tables)
    rejects = reject_counts(wh)
    if rejects:
        rt = Table(title="rejects")
        for col in ("source", "table", "reason", "rows"):
            rt.add_column(col)
        for source, table, reason, n in rejects:
            rt.add_row(source, table, reason, str(n))
        console.print(rt)
    else:
        console.print("rejects: none")
    print_document_summary(wh, console)
    console.print(f"landed Parquet: {wh.landing}")
    console.print(f"DuckDB file:    {wh.database}")
