"""One landing of one source, committed all-or-nothing, never losing what already landed.

In: the warehouse, a source name, the kind of input it is (``coco``, ``funsd``, ``review``
...), and the tables of the landing, handed over one at a time (``stage``). Out: every
table's ``landing/<table>/<source>.parquet`` replaced, or none of them.

Rules, checked at ``commit`` before any landed file is touched:

- A source name belongs to one kind of input (its *claim*, ``claims/<name>.parquet``,
  written by its first landing; for a warehouse landed before claims existed, the kind is
  read from ``asset_sources`` or from the review/CHAIR files). Landing another kind under
  a claimed name is refused (``SourceKindMismatch``). A claim that names its origin (a
  review file) refuses an import of another file with the same name (``OriginMismatch``).
- A landing that would shrink a source's table to zero rows, or by more than half, is
  refused unless ``replace`` is given (``WouldShrink``, which says what would be dropped).
  ``rejects`` and ``asset_sources`` are not guarded (fewer rejects is good news).
- Staged tables are written beside their targets under temporary names (``*.tmp``); only
  when all are written are they renamed into place, one ``os.replace`` each, after a
  journal of the renames (``landing/_commits/``) is written. A failure before the journal
  replaces nothing (the temporary files are removed, or after a hard kill by the next
  writer's ``clean_leftovers``); a kill during the renames is finished by the next
  writer (``roll_forward``), so a landing's tables never mix two runs.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.atomic import replacing, temporary_sibling, write_text
from lakehouse.landing import LandingError, check_source_name, table_dir, utc_now
from lakehouse.settings import Warehouse

CLAIMS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_kind", pa.string(), nullable=False),
        pa.field("origin", pa.string()),
        pa.field("claimed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""One row per claimed source name: the kind of input it belongs to, and (for inputs
that are one file, like a review file) the absolute path it came from."""

#: Tables whose shrinking is not a loss.
UNGUARDED_TABLES = frozenset({"rejects", "asset_sources"})


class SourceKindMismatch(LandingError):
    """The source name is already used by another kind of input."""


class OriginMismatch(LandingError):
    """The name is already used by an import of another file."""


class WouldShrink(LandingError):
    """The landing would drop most (or all) of what the source holds."""


@dataclass(frozen=True)
class Claim:
    source: str
    source_kind: str
    origin: str | None = None


def claims_dir(wh: Warehouse) -> Path:
    return wh.root / "claims"


def _read_kind_column(path: Path, column: str) -> str | None:
    try:
        values = pq.read_table(path, columns=[column]).column(column).to_pylist()
    except (OSError, KeyError, pa.ArrowInvalid):
        return None
    return next((v for v in values if v), None)


def existing_claim(wh: Warehouse, name: str) -> Claim | None:
    """Who holds ``name``: its claim file, else what the landed files of a warehouse
    landed before claims existed say (``asset_sources`` kind, review or CHAIR files)."""
    path = claims_dir(wh) / f"{name}.parquet"
    if path.exists():
        row = pq.read_table(path).to_pylist()[0]
        return Claim(row["source"], row["source_kind"], row["origin"])
    kind = None
    asset_source = table_dir(wh, "asset_sources") / f"{name}.parquet"
    if asset_source.exists():
        kind = _read_kind_column(asset_source, "source_kind")
    elif (table_dir(wh, "review_verdicts") / f"{name}.parquet").exists():
        kind = "review"
    elif name.startswith("review-") and (table_dir(wh, "rejects") / f"{name}.parquet").exists():
        kind = "review"
    elif (table_dir(wh, "chair_synonyms") / f"{name}.parquet").exists():
        kind = "chair_synonyms"
    return None if kind is None else Claim(name, kind)


def check_claim(wh: Warehouse, name: str, kind: str, origin: str | None = None,
                replace: bool = False) -> None:
    """Raise ``SourceKindMismatch`` when ``name`` belongs to another kind of input, and
    ``OriginMismatch`` when it came from another file (unless ``replace``)."""
    held = existing_claim(wh, name)
    if held is None:
        return
    if held.source_kind != kind:
        raise SourceKindMismatch(
            f"source {name!r} already holds a {held.source_kind} landing; a {kind} input cannot "
            f"land under the same name (choose another --source, nothing was changed)")
    if origin is not None and held.origin is not None and held.origin != origin and not replace:
        raise OriginMismatch(
            f"{origin}: its name {name!r} is already used by the import of {held.origin}; "
            "rename the file, or pass --replace to replace that import (nothing was changed)")


def write_claim(wh: Warehouse, claim: Claim) -> None:
    """Record ``claim`` (atomically; the newest origin wins)."""
    folder = claims_dir(wh)
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(
        [{"source": claim.source, "source_kind": claim.source_kind, "origin": claim.origin,
          "claimed_at": utc_now()}], schema=CLAIMS_SCHEMA)
    with replacing(folder / f"{claim.source}.parquet") as tmp:
        pq.write_table(table, tmp)


def journal_dir(wh: Warehouse) -> Path:
    return wh.landing / "_commits"


def write_journal(wh: Warehouse, source: str, moves: list[tuple[Path, Path]]) -> Path:
    """Record the renames a commit is about to make (written whole, then renamed in)."""
    folder = journal_dir(wh)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source}.{os.getpid()}.{uuid.uuid4().hex[:6]}.json"
    return write_text(path, json.dumps([[str(a), str(b)] for a, b in moves]))


def roll_forward(wh: Warehouse) -> list[Path]:
    """Finish the commits a killed run left half-renamed (their journals): every staged
    file still there is renamed into place. Call before temporary files are cleaned, with
    the warehouse lock held. Returns the files put in place."""
    folder = journal_dir(wh)
    done: list[Path] = []
    if not folder.is_dir():
        return done
    for journal in sorted(folder.glob("*.json")):
        try:
            moves = json.loads(journal.read_text())
        except (OSError, ValueError):
            moves = []
        for tmp, target in moves:
            if Path(tmp).exists():
                os.replace(tmp, target)
                done.append(Path(target))
        journal.unlink()
    return done


def landed_rows(path: Path) -> int:
    """Rows of a landed file (0 when it does not exist or cannot be read)."""
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowInvalid):
        return 0


def shrink_problems(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """One line per table that would go to zero rows or lose more than half of them."""
    problems = []
    for table, old in sorted(before.items()):
        new = after.get(table, 0)
        if old > 0 and (new == 0 or 2 * new < old):
            problems.append(f"{table}: {old} -> {new} rows (drops {old - new})")
    return problems


@dataclass
class SourceCommit:
    """The staged tables of one landing of ``source`` (see the module docstring).

    ``claim_names`` are the names the landing holds (default: ``source``); a review import
    also holds the name of its rejects file. Use as a context manager, or call ``abort``:
    leaving the block with an exception removes the staged files.
    """

    wh: Warehouse
    source: str
    kind: str
    replace: bool = False
    origin: str | None = None
    claim_names: tuple[str, ...] = ()
    staged: dict[str, tuple[Path, Path, int]] = field(default_factory=dict)
    #: staged keys the shrink rule skips (derived copies re-made from the landing itself)
    unguarded: set[str] = field(default_factory=set)
    committed: bool = False

    def __post_init__(self) -> None:
        check_source_name(self.source)
        self.claim_names = self.claim_names or (self.source,)
        self.check()
        _open.append(self)

    def check(self) -> None:
        """Refuse now (nothing staged yet) when a name belongs to another kind or file
        (no check while the kind is not known yet: ``commit`` checks again)."""
        if not self.kind:
            return
        for name in self.claim_names:
            check_claim(self.wh, name, self.kind, self.origin, self.replace)

    def stage(self, table_name: str, rows: pa.Table, schema: pa.Schema, name: str | None = None,
              guard: bool = True) -> Path:
        """Write ``rows`` (cast to ``schema``) beside ``<table>/<name or source>.parquet``
        under a temporary name; returns the final path it will have after ``commit``.
        ``guard=False``: the shrink rule does not count this file."""
        stem = check_source_name(name or self.source)
        if not guard:
            self.unguarded.add(f"{table_name}/{stem}")
        rows = rows.select(schema.names).cast(schema)
        target = table_dir(self.wh, table_name) / f"{stem}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        key = f"{table_name}/{stem}"
        if key in self.staged:
            self.staged.pop(key)[1].unlink(missing_ok=True)
        tmp = temporary_sibling(target)
        try:
            pq.write_table(rows, tmp, compression="zstd")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.staged[key] = (target, tmp, rows.num_rows)
        return target

    def shrinkage(self) -> list[str]:
        """What the staged tables would drop (see ``shrink_problems``)."""
        before, after = {}, {}
        for key, (target, _, rows) in self.staged.items():
            table, stem = key.split("/")
            if table in UNGUARDED_TABLES or key in self.unguarded:
                continue
            label = table if stem == self.source else key
            before[label] = landed_rows(target)
            after[label] = rows
        return shrink_problems(before, after)

    def commit(self) -> list[Path]:
        """Check the claims and the shrink rule, then rename every staged file into place.
        Raises (and removes the staged files) when refused."""
        try:
            self.check()
            problems = [] if self.replace else self.shrinkage()
            if problems:
                raise WouldShrink(
                    f"refusing to land {self.source!r}: it would replace what already landed with "
                    f"much less ({'; '.join(problems)}). Nothing was changed; pass --replace to "
                    "land it anyway")
        except BaseException:
            self.abort()
            raise
        # the journal makes the renames one step: a run killed half-way through them is
        # rolled forward by the next writer (``roll_forward``), as every staged file is whole
        journal = write_journal(self.wh, self.source, [(tmp, target) for target, tmp, _ in self.staged.values()])
        for target, tmp, _ in self.staged.values():
            os.replace(tmp, target)
        for name in self.claim_names:
            write_claim(self.wh, Claim(name, self.kind, self.origin))
        journal.unlink()
        self.committed = True
        self._close()
        return [target for target, _, _ in self.staged.values()]

    def abort(self) -> None:
        """Remove every staged file; nothing landed is touched."""
        for _, tmp, _ in self.staged.values():
            tmp.unlink(missing_ok=True)
        self.staged.clear()
        self._close()

    def _close(self) -> None:
        if self in _open:
            _open.remove(self)

    def __enter__(self) -> SourceCommit:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.committed:
            self.abort()


#: the commits of this process that are neither committed nor aborted yet
_open: list[SourceCommit] = []

_F = TypeVar("_F", bound=Callable[..., Any])


def all_or_nothing(fn: _F) -> _F:
    """Decorate a landing function: when it raises, every ``SourceCommit`` it opened and
    did not commit is aborted (its staged files removed), so nothing of it lands."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark = len(_open)
        try:
            return fn(*args, **kwargs)
        except BaseException:
            for commit in list(_open[mark:]):
                commit.abort()
            raise

    return wrapper  # type: ignore[return-value]
