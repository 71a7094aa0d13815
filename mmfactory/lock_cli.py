"""The warehouse lock around every command (``app.callback()(guard)`` in ``mmfactory/cli.py``).

Writers (``land``, ``render``, ``ocr``, ``build``, ``dbt``, ``generate``, ``review``,
``report``) take the warehouse's lock before they start, and clean what a killed run left
behind; a second writer exits 2 at once, naming the holder. Readers (``check``,
``summary``) wait up to ``MMFACTORY_READ_WAIT_S`` seconds (default 0) for a writer to
finish, else exit 2 saying the warehouse is busy. See ``lakehouse/lock.py``.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from lakehouse.lock import WarehouseBusy, acquire_writer, check_readable, release_writer
from lakehouse.settings import warehouse

READERS = frozenset({"check", "summary"})
READ_WAIT_ENV = "MMFACTORY_READ_WAIT_S"

err = Console(stderr=True)


def guard(ctx: typer.Context) -> None:
    """mmfactory: image assets in, trainer-ready VLM samples out."""
    command = ctx.invoked_subcommand
    if command is None or ctx.resilient_parsing or "--help" in sys.argv[1:]:
        return
    wh = warehouse()
    try:
        if command in READERS:
            check_readable(wh, float(os.environ.get(READ_WAIT_ENV, "0") or 0))
        else:
            acquire_writer(wh, command)
            ctx.call_on_close(lambda: release_writer(wh))
    except WarehouseBusy as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
