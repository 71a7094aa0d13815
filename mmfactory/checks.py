"""`mmfactory check`, without the command line: run the project checks, print the
table, write p3_test_results.json and p3_test_report.md.

In: a warehouse (``lakehouse.duckdb`` and ``exports/``). Out: a ``RunResult`` (see
``expectations.runner``); ``write_results`` puts the JSON and the Markdown report under
``<warehouse>/exports/`` (temporary file + rename). The suites themselves live in
``expectations/``; this module only runs and presents them.

Importing this module is cheap: Great Expectations is imported when checks run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from expectations.config import DEFAULT_CONFIG, TEST_REPORT_FILE, TEST_RESULTS_FILE, CheckConfig
from lakehouse.atomic import write_text
from lakehouse.settings import Warehouse
from mmfactory.reports import atomic_write_json

if TYPE_CHECKING:
    from expectations.runner import RunResult


def check_names() -> tuple[str, ...]:
    from expectations.suites import CHECK_NAMES

    return CHECK_NAMES


def run(wh: Warehouse, only: Sequence[str] | None = None, config: CheckConfig = DEFAULT_CONFIG) -> RunResult:
    """Run the checks named in ``only`` (all of them when empty) on ``wh``. Raises
    ``expectations.runner.UnknownCheckError`` for a name that is not a check."""
    from expectations.runner import run_checks

    return run_checks(wh, only=only, config=config)


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_results(result: RunResult, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="project checks", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("check")
    table.add_column("result")
    table.add_column("observed")
    table.add_column("first offending ids")
    for c in result.checks:
        status = "[green]PASS[/]" if c.success else "[bold red]FAIL[/]"
        table.add_row(str(c.number), c.name, status, _cell(c.observed, 220),
                      _cell(", ".join(c.first_offending), 160) or "-")
    console.print(table)
    line = f"Project checks: {result.passed} / {len(result.checks)} {'PASS' if result.success else 'FAIL'}"
    console.print(f"[bold]{line}[/] ({result.duration_s:.1f} s)")


def render_markdown(result: RunResult) -> str:
    data = result.to_dict()
    md = [f"# P3 test report: {data['summary']['line']}\n",
          f"Warehouse `{data['warehouse']}`, dbt invocation `{data['dbt_invocation_id']}`, run "
          f"{data['generated_at']} in {data['duration_s']} s. Each check is a set of Great Expectations "
          "expectations (suites in `expectations/suites/`) on the lakehouse tables and the exported files; "
          "cross-table rules are queries that must return no row.\n",
          "| # | check | result | observed | first offending ids |", "|---|---|---|---|---|"]
    for c in result.checks:
        md.append(f"| {c.number} | {c.name} | {c.status} | {_cell(c.observed, 300).replace('|', '/')} | "
                  f"{_cell(', '.join(c.first_offending), 200).replace('|', '/') or '-'} |")
    md.append("")
    for c in result.checks:
        md.append(f"## {c.number}. {c.name}: {c.status}\n")
        md.append(f"{c.title}.\n")
        for o in c.outcomes:
            mark = "PASS" if o.success else "FAIL"
            line = f"- {mark} `{o.part}` {o.description} (`{o.expectation}`)"
            if not o.success:
                line += f": {o.observed}"
                if o.offending:
                    shown = ", ".join(o.offending[:10])
                    more = f" (+{len(o.offending) - 10} more)" if len(o.offending) > 10 else ""
                    line += f"; offending: {shown}{more}"
            md.append(line)
        md.append("")
    return "\n".join(md)


def write_results(wh: Warehouse, result: RunResult) -> tuple[Path, Path]:
    """p3_test_results.json and p3_test_report.md under ``wh.exports``."""
    json_path = atomic_write_json(wh.exports / TEST_RESULTS_FILE, result.to_dict())
    md_path = write_text(wh.exports / TEST_REPORT_FILE, render_markdown(result))
    return json_path, md_path
