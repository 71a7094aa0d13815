"""The documents part of the build summary: what was asked of the landed documents.

In: the lakehouse's ``report_document_answers`` (the figures measured on the shipped
document samples), ``report_document_field_refusals`` (fields per askable-field rule) and
``document_dispositions`` (every landed document and what became of it).
Out: three small tables on the console, and every landed document that is not in the
dataset listed with its reason. Prints nothing when the tables are not built.
"""

from __future__ import annotations

import duckdb
from rich.console import Console
from rich.table import Table

from lakehouse.settings import Warehouse

DOCUMENT_TABLES = ("report_document_answers", "report_document_field_refusals", "document_dispositions")


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return con.execute(query).fetchall()


def print_document_summary(wh: Warehouse, console: Console) -> None:
    """Print the document figures, the fields removed per rule and the dispositions."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        present = {r[0] for r in _rows(con, "select table_name from information_schema.tables")}
        if not set(DOCUMENT_TABLES) <= present:
            return
        figures = _rows(con, "select metric, value from report_document_answers")
        refusals = _rows(con, "select source, refusal_rule, field_count from report_document_field_refusals "
                              "order by source, refusal_rule = '(askable)' desc, field_count desc, refusal_rule")
        dispositions = _rows(con, "select source, disposition, count(*) from document_dispositions "
                                  "group by all order by source, disposition")
        left_out = _rows(con, "select source, relative_path, disposition, disposition_evidence "
                              "from document_dispositions where disposition <> 'in_dataset' "
                              "order by is_derived, source, relative_path")

    table = Table(title="document answers (shipped samples)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for metric, value in figures:
        table.add_row(metric, f"{value:,}")
    console.print(table)

    table = Table(title="document fields per askable-field rule")
    for col in ("source", "rule", "fields"):
        table.add_column(col, justify="right" if col == "fields" else "left")
    for source, rule, n in refusals:
        table.add_row(source, rule, f"{n:,}")
    console.print(table)

    table = Table(title="landed documents: disposition")
    for col in ("source", "disposition", "documents"):
        table.add_column(col, justify="right" if col == "documents" else "left")
    for source, disposition, n in dispositions:
        table.add_row(source, disposition, f"{n:,}")
    console.print(table)
    for source, path, disposition, evidence in left_out:
        console.print(f"  not in the dataset: {source}/{path}: {disposition} ({evidence})")
