"""``mmfactory review``: the manual review loop's commands.

Mounted by ``mmfactory.cli`` as ``app.add_typer(review_app, name="review")``.

``mmfactory review serve [--port 8765] [--reviewer NAME]`` starts the review page on
127.0.0.1 (see ``review/app.py``). ``mmfactory review export --format label-studio`` writes
Label Studio tasks (image URLs served by the review page, the answer and source boxes as
pre-annotations) and the labeling config they go with.

``mmfactory review import FILE [--timezone Asia/Shanghai]`` lands a CSV or JSONL file
of verdicts (sample_id, reviewer, role, verdict, error_type, note, time), or a Label
Studio JSON export (``.json``, see ``review/label_studio.py``), as Parquet under
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

from lakehouse.landing import LandingError, ensure_tables
from lakehouse.settings import warehouse
from mmfactory.consoles import console, err
from mmfactory.reporting import print_landing
from quality.review_verdicts import LANDED_TABLES, ReviewFileError, import_verdicts, land_records

review_app = typer.Typer(help="Manual review: the review page, verdict import and Label Studio export.",
                         no_args_is_help=True)


@review_app.callback()
def review() -> None:
    """Manual review: the review page, verdict import and Label Studio export."""


@review_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of verdicts.")],
    timezone: Annotated[str | None, typer.Option(
        help="IANA timezone for times written without an offset (else such rows are rejected).")] = None,
    replace: Annotated[bool, typer.Option(
        help="Replace an earlier import of another file with the same name, or one this "
             "file would shrink by more than half.")] = False,
) -> None:
    """Land a file of review verdicts: CSV, JSONL or a Label Studio JSON export."""
    wh = warehouse()
    ensure_tables(wh, LANDED_TABLES)
    try:
        if file.suffix.lower() == ".json":
            from review.label_studio import LabelStudioFileError, verdict_records

            try:
                records = verdict_records(file)
            except LabelStudioFileError as exc:
                raise ReviewFileError(str(exc)) from None
            report = land_records(wh, file, records, timezone, replace)
        else:
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


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@review_app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option(help="TCP port on the host.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless you mean to share it).")] = "127.0.0.1",
    reviewer: Annotated[str | None, typer.Option(help="Your reviewer name (the page can change it).")] = None,
) -> None:
    """Serve the review page over the active warehouse (read-only except for verdicts)."""
    import uvicorn

    from review.app import LOOPBACK_HOSTS, create_app, valid_reviewer
    from review.reads import LakehouseUnavailable, queue

    wh = warehouse()
    if reviewer is not None and valid_reviewer(reviewer) is None:
        err.print(f"[bold red]error:[/] reviewer name {reviewer!r} is not valid: use 1-64 letters, digits, "
                  "'.', '_', '@' or '-', starting with a letter or digit")
        raise typer.Exit(code=2)
    if not 0 < port < 65536:
        err.print(f"[bold red]error:[/] port {port} is not a TCP port (1-65535)")
        raise typer.Exit(code=2)
    try:
        size = len(queue(wh))
    except LakehouseUnavailable as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    ensure_tables(wh, LANDED_TABLES)
    if host not in LOOPBACK:
        err.print(f"[yellow]warning:[/] binding {host}: anyone who can reach it can read the samples")
    console.print(f"review page: http://{host}:{port}/  ({size} samples in the review sample, "
                  f"warehouse {wh.root}); Ctrl+C stops it")
    hosts = tuple(dict.fromkeys((*LOOPBACK_HOSTS, host)))
    uvicorn.run(create_app(wh, reviewer, hosts=hosts), host=host, port=port, log_level="warning")


@review_app.command("export")
def export_command(
    format: Annotated[str, typer.Option("--format", help="Interchange format: label-studio.")] = "label-studio",
    out: Annotated[Path, typer.Option(help="Tasks JSON file to write.")] = Path("label_studio_tasks.json"),
    image_base_url: Annotated[str, typer.Option(
        help="Where Label Studio fetches images: the review page's /assets/ URL.")] = "http://127.0.0.1:8765/assets/",
) -> None:
    """Write the review sample as Label Studio tasks and the labeling config they fit."""
    from review.label_studio import export_tasks
    from review.reads import LakehouseUnavailable

    if format != "label-studio":
        err.print(f"[bold red]error:[/] unknown export format {format!r}; the one format is label-studio")
        raise typer.Exit(code=2)
    try:
        tasks_path, config_path, count = export_tasks(warehouse(), out, image_base_url)
    except (LakehouseUnavailable, OSError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"wrote {count} tasks to {tasks_path} and the labeling config to {config_path}")
