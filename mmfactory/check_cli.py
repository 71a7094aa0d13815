"""The `check` and `report` commands, and the step `mmfactory build` ends with.

Mount them in ``mmfactory/cli.py``::

    from mmfactory.check_cli import check, finish_build, report
    app.command()(check)
    app.command()(report)
    # at the end of build():  raise typer.Exit(code=finish_build(wh, console))

Exit codes: 0 every check passed, 1 a check failed (the files are still written), 2 the
command could not run (no lakehouse, unknown check name).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lakehouse.settings import Warehouse, warehouse
from mmfactory.consoles import console, err


def _require_lakehouse(wh: Warehouse) -> None:
    if not wh.database.is_file():
        err.print(f"[bold red]error:[/] no lakehouse at {wh.database}: run `mmfactory build` first")
        raise typer.Exit(code=2)


def run_and_write_checks(wh: Warehouse, out: Console, only: list[str] | None = None,
                         hash_every_image: bool = False) -> int:
    """Run the checks, print the table, write the results (full runs only); 0 or 1."""
    from dataclasses import replace

    from expectations.config import DEFAULT_CONFIG
    from mmfactory import checks

    result = checks.run(wh, only=only, config=replace(DEFAULT_CONFIG, hash_every_image=hash_every_image))
    checks.print_results(result, out)
    if not only:
        json_path, md_path = checks.write_results(wh, result)
        out.print(f"results: {json_path}\nreport:  {md_path}")
    return 0 if result.success else 1


def write_and_print_report(wh: Warehouse, out: Console, plots: bool = True) -> None:
    from mmfactory.reports import write_report

    outputs = write_report(wh, plots=plots)
    counts = outputs.metrics["counts"]
    unavailable = outputs.metrics["unavailable"]
    out.print(f"report: {counts['total']} records "
              f"({', '.join(f'{k} {v}' for k, v in counts['by_split'].items())}, smoke {counts['smoke']})")
    if unavailable:
        out.print("not available: " + "; ".join(f"{k} ({v})" for k, v in unavailable.items()))
    out.print(f"metrics: {outputs.metrics_path}\nreport:  {outputs.report_path}")
    if plots:
        out.print("plots:   " + ", ".join(str(p) for p in outputs.plot_paths))


def results_of_this_build(wh: Warehouse) -> dict | None:
    """exports/p3_test_results.json when it is a full run of the checks on the lakehouse as
    built (the same dbt invocation as training_manifest.json), else None."""
    import json

    try:
        results = json.loads((wh.exports / "p3_test_results.json").read_text(encoding="utf-8"))
        manifest = json.loads((wh.exports / "training_manifest.json").read_text(encoding="utf-8"))
        invocation = manifest.get("dbt_invocation_id")
        if results.get("selected_checks") is None and invocation \
                and results.get("dbt_invocation_id") == invocation and "line" in results["summary"]:
            return results
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        pass
    return None


def import_ahead() -> None:
    """Import what ``finish_build`` needs and is slow to import: Great Expectations (~1.7 s
    of CPU, ``expectations.parts.gx_module``) and matplotlib (0.4 s). A build calls it on a
    thread while dbt runs in its own process (mmfactory/rebuild.py)."""
    from expectations.parts import gx_module
    from mmfactory.reports import pyplot

    gx_module()
    pyplot()


def finish_build(wh: Warehouse, out: Console | None = None) -> int:
    """What `mmfactory build` ends with after dbt: the report (metrics, Markdown, plots),
    all the checks (results written), then the report's check line refreshed.
    Returns the exit code for build: 0 when every check passed, else 1."""
    out = out or console
    write_and_print_report(wh, out)
    code = run_and_write_checks(wh, out)
    from mmfactory.reports import write_report

    write_report(wh, plots=False)  # p3_report.md now names this build's check result
    return code


def check(
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only this check (repeatable), e.g. --only split_no_overlap. "
                       "A partial run prints its table but does not overwrite p3_test_results.json.")] = None,
    hash_every_image: Annotated[bool, typer.Option(
        "--hash-every-image", help="Read every exported image to check its sha256, also those "
                                   "unchanged (same inode, size and mtime) since the last check "
                                   "hashed them.")] = False,
) -> None:
    """Run the project checks (Great Expectations data contracts) on the lakehouse and
    its exports; write p3_test_results.json and p3_test_report.md; exit 1 on any failure."""
    from expectations.runner import UnknownCheckError

    wh = warehouse()
    _require_lakehouse(wh)
    names = [n.strip() for item in (only or []) for n in item.split(",") if n.strip()] or None
    try:
        code = run_and_write_checks(wh, console, names, hash_every_image)
    except UnknownCheckError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)


def report() -> None:
    """Write p3_metrics.json, p3_report.md and the plots under exports/ from the report tables."""
    wh = warehouse()
    _require_lakehouse(wh)
    write_and_print_report(wh, console)
