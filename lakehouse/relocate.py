"""A warehouse copied or moved to another folder: point its views at its own landing.

dbt creates the staging models as views over the landed Parquet files, and a view names
them by absolute path (``read_parquet('<warehouse>/landing/<table>/*.parquet', ...)``), so
that plain SQL against lakehouse.duckdb works from any folder. In a copy, those views
still read the original warehouse's landing. Tables hold rows and the Python models find
the warehouse when they run, so the views are all that has to change.

In: the warehouse as it is now and the folder it was built in (the recorded build's
``path``, lakehouse.build_state). Out: every view whose definition names
``<old>/landing/`` re-created in place with this warehouse's landing instead, in one
transaction; nothing else in the database changes, and no dbt run is needed.

``follow_move`` does that, and records the new folder, as soon as any command starts in
the warehouse (mmfactory/lock_cli.py: a writer under its lock; a reader or the review
server taking the lock for that moment when no writer holds it) and at the start of a
build: a release, a takedown, a review import, a check or a landing in a copy reads the
copy's own landed rows, not only the next build. The build plan then compares the landed
files with the ones the recorded build read, as anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from lakehouse import build_state
from lakehouse.settings import Warehouse

_CREATE_VIEW = "CREATE VIEW "


def _escaped(text: str) -> str:
    """``text`` inside a single-quoted SQL string (quotes doubled)."""
    return text.replace("'", "''")


def _sql_literal_prefix(root: str) -> str:
    """How ``<root>/landing/`` opens a single-quoted SQL string."""
    return "'" + _escaped(f"{root}/landing/")


def repoint_views(wh: Warehouse, old_root: str) -> list[str]:
    """Re-create the views of ``wh``'s database that read ``<old_root>/landing/`` so that
    they read ``<wh.root>/landing/``; returns their names, sorted. Raises ValueError when
    a view to change is not a plain ``CREATE VIEW`` statement (nothing is changed then)."""
    old, new = _sql_literal_prefix(old_root), _sql_literal_prefix(str(wh.root))
    if old == new:
        return []
    with duckdb.connect(str(wh.database)) as con:
        views = con.execute(
            "select schema_name, view_name, sql from duckdb_views() "
            "where not internal and contains(sql, ?) order by all", [old]).fetchall()
        statements = []
        for schema, name, sql in views:
            if not sql.startswith(_CREATE_VIEW):
                raise ValueError(f"view {schema}.{name} in {wh.database} is not a plain CREATE VIEW "
                                 f"statement; run `mmfactory build --full` to rebuild it")
            statements.append(f"set schema = '{_escaped(schema)}'; CREATE OR REPLACE VIEW "
                              + sql[len(_CREATE_VIEW):].replace(old, new))
        con.execute("begin transaction")
        for statement in statements:
            con.execute(statement)
        con.execute("commit")
    return sorted(f"{schema}.{name}" for schema, name, _ in views)


@dataclass(frozen=True)
class Move:
    """The folder a warehouse's last build ran in, and the views re-pointed from it."""

    old_root: str
    views: list[str]

    def line(self) -> str:
        """One line for the user."""
        return (f"the warehouse moved from {self.old_root}: {len(self.views)} view(s) now read its "
                "own landing (nothing rebuilt for the move)")


def moved_from(wh: Warehouse) -> str | None:
    """The folder the last build of ``wh`` ran in, when that is another folder and ``wh``
    has a lakehouse file (a copied or moved warehouse whose views may name it); else None."""
    return _old_root(wh, build_state.read_state(wh))


def _old_root(wh: Warehouse, state: dict | None) -> str | None:
    old_root = (state or {}).get("path")
    if not old_root or old_root == str(wh.root) or not wh.database.is_file():
        return None
    return old_root


def follow_move(wh: Warehouse) -> Move | None:
    """When the last build of ``wh`` ran in another folder (the warehouse was copied or
    moved since), re-point its views at its own landing and record this folder as the
    build's; None when it was built here, or never built. Call it holding the writer lock.

    The recorded outputs (lakehouse.duckdb's size and time among them, which the
    re-pointing changes) are refreshed only when they were still the recorded build's:
    a lakehouse changed since its build still makes the next build a full one."""
    state = build_state.read_state(wh)
    old_root = _old_root(wh, state)
    if old_root is None:
        return None
    as_built = state.get("outputs") == build_state.outputs_fingerprint(wh)
    views = repoint_views(wh, old_root)
    state["path"] = str(wh.root)
    if as_built:
        state["outputs"] = build_state.outputs_fingerprint(wh)
    build_state.write_state(wh, state)
    return Move(old_root, views)
