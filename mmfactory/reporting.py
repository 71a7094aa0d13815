"""Printing a landing's accounting: rows in = rows landed + rows rejected, per table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lakehouse.report import LandingReport


def print_landing(report: LandingReport, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"landed source {report.source!r}")
    for col in ("table", "rows in", "landed", "rejected", ""):
        table.add_column(col, justify="right" if col not in ("table", "") else "left")
    rejected = report.rows_rejected
    for name in sorted(set(report.rows_in) | set(report.rows_landed) | set(rejected)):
        n_in, n_ok, n_bad = report.rows_in.get(name, 0), report.rows_landed.get(name, 0), rejected.get(name, 0)
        table.add_row(name, f"{n_in:,}", f"{n_ok:,}", f"{n_bad:,}", "" if n_in == n_ok + n_bad else "MISMATCH")
    console.print(table)
    for note in report.notes:
        console.print(note)
    if report.rejects:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(report.reason_counts().items()))
        console.print(f"rejects by reason: {reasons}")
    if report.collapsed:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.collapsed.items()))
        console.print(f"identical duplicate records collapsed to one: {counts}")
