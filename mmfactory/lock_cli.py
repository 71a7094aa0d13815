"""The warehouse lock around every command (``app.callback()(guard)`` in ``mmfactory/cli.py``).

Writers (``land``, ``render``, ``ocr``, ``build``, ``dbt``, ``generate``, ``review``,
``report``) take the warehouse's lock before they start, and clean what a killed run left
behind; a second writer exits 2 at once, naming the holder. Readers (``check``,
``summary``) wait up to ``MMFACTORY_READ_WAIT_S`` seconds (default 0) for a writer to
finish, else exit 2 saying the warehouse is busy. ``review serve`` takes no lock: it runs
for hours while builds come and go, reads through short read-only connections, and lands
each verdict as a new file of its own that no other writer replaces; ``review export`` is
a reader. See ``lakehouse/lock.py``.

Any command in a warehouse copied or moved since its last build first re-points the views
at its own landing and says so (``lakehouse.relocate.follow_move``): a writer under its
lock; a reader, or ``review serve``, takes the lock for that moment only, when no writer
holds it (one that does re-points them itself). From then on every command reads the
copy's own landed rows.
"""

from __future__ import annotations

import os
import sys

import typer

from lakehouse.lock import WarehouseBusy, acquire_writer, check_readable, release_writer
from lakehouse.relocate import follow_move, moved_from
from lakehouse.settings import Warehouse, warehouse
from mmfactory.consoles import console, err

READERS = frozenset({"check", "summary", "review export"})
UNLOCKED = frozenset({"review serve"})
READ_WAIT_ENV = "MMFACTORY_READ_WAIT_S"


def _command_path(command: str) -> str:
    """``command`` with its subcommand when it is a group (``review serve``), from argv."""
    args = sys.argv[1:]
    if command not in args:
        return command
    rest = [a for a in args[args.index(command) + 1:] if not a.startswith("-")]
    return f"{command} {rest[0]}" if command == "review" and rest else command


def guard(ctx: typer.Context) -> None:
    """mmfactory: image assets in, trainer-ready VLM samples out."""
    command = ctx.invoked_subcommand
    if command is None or ctx.resilient_parsing or "--help" in sys.argv[1:]:
        return
    command = _command_path(command)
    wh = warehouse()
    if command in UNLOCKED:
        _follow_move_briefly(wh, command)
        return
    try:
        if command in READERS:
            check_readable(wh, float(os.environ.get(READ_WAIT_ENV, "0") or 0))
        else:
            acquire_writer(wh, command)
            ctx.call_on_close(lambda: release_writer(wh))
    except WarehouseBusy as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    if command in READERS:
        _follow_move_briefly(wh, command)
        return
    moved = follow_move(wh)  # a copied or moved warehouse reads its own landing from now on
    if moved:
        console.print(moved.line())


def _follow_move_briefly(wh: Warehouse, command: str) -> None:
    """For a command that writes nothing: re-point a copied or moved warehouse's views
    under the writer lock, taken for that moment only; nothing when a writer holds it
    (it re-points them itself). Says so on stderr (a reader's stdout may be its data)."""
    if moved_from(wh) is None:
        return
    try:
        acquire_writer(wh, command)
    except WarehouseBusy:
        return
    try:
        moved = follow_move(wh)
    finally:
        release_writer(wh)
    if moved:
        err.print(moved.line(), soft_wrap=True)
