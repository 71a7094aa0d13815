"""``mmfactory review``: the manual review loop's commands.

Mounted by ``mmfactory.cli`` as ``app.add_typer(review_app, name="review")``.

``mmfactory review import FILE [--timezone Asia/Shanghai]`` lands a CSV or JSONL file
of verdicts (sample_id, reviewer, role, verdict, error_type, note, time) as Parquet under
``warehouse/landing/review_verdicts/`` (see ``ingest/review_verdicts.py``); the next
``dbt build`` resolves them (``int_sample_verdicts_resolved``) and drops rejected samples,
and samples whose first and second reviews disagree, from the dataset.

Exit codes: 0 every row landed; 1 some rows were rejected (the others landed; each
reject is printed with its reason); 2 the file could not be imported at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lakehouse.landing import LandingError, ensure_tables
from lakehouse.settings import warehouse
from mmfactory.reporting import print_landing
from quality.review_verdicts import LANDED_TABLES, ReviewFileError, import_verdicts

review_app = typer.Typer(help="Manual review: import reviewers' verdicts into the lakehouse.",
                         no_args_is_help=True)

console = Console(stderr=False)


@review_app.callback()
def review() -> None:
    """Manual review: import reviewers' verdicts into the lakehouse."""
err = Console(stderr=True)


@review_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of verdicts.")],
    timezone: Annotated[str | None, typer.Option(
        help="IANA timezone for times written without an offset (else such rows are rejected).")] = None,
    replace: Annotated[bool, typer.Option(
        help="Replace an earlier import of another file with the same name, or one this "
             "file would shrink by more than half.")] = False,
) -> None:
    """Land a file of review verdicts; unknown sample ids and invalid rows are rejected."""
    wh = warehouse()
    ensure_tables(wh, LANDED_TABLES)
    try:
        report = import_verdicts(wh, file, timezone, replace)
    except (ReviewFileError, LandingError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    print_landing(report, console)
    for reject in report.rejects:
        err.print(f"[red]rejected[/] {reject.message}")
    if report.rejects:
        raise typer.Exit(code=1)
    console.print("run `mmfactory build` (or `mmfactory dbt build`) to apply the verdicts")
