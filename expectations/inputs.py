"""What the checks read: the lakehouse (read-only) and the exported files, loaded once.

In: a warehouse (``lakehouse.duckdb`` and ``exports/``). Out: one DuckDB connection on
which every record file under exports/ is a table ``x_records`` (one row per record: what
``expectations.record_facts`` takes of it in one pass on every core), the packed set's
records and the asset manifest's lines, taken in the same pass, are ``x_packed`` and
``x_assets``, and
helpers that say what is missing instead of raising: ``missing_relations``,
``missing_columns``, ``missing_files``. The checks turn those answers into failures
with a clear observed value, so a relation that is not built yet fails its check rather
than crashing the run.

The tables are views of Parquet files in a spool folder, so a helper process that runs
some of the checks (expectations.sharing) opens the same inputs from that folder
(``CheckInputs(wh, spool=...)``) without reading the exports again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations import config as C
from expectations.facts_cache import cache_dir, spool_record_facts
from expectations.record_facts import ASSETS_PROFILE, PACKED_PROFILE, profile_of
from lakehouse.file_digests import Digests, KeptDigests, regular_file_status
from lakehouse.hashing import sha256_file, sha256_files
from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.sources import resolve_root

RECORD_NO = "(file_no * 4294967296 + line_no)"
"""One number per ``x_records`` row (its file and line), for frames that name rows by it
(``CheckInputs.record_keys`` gives their record keys)."""
PACKED_VIEW = f"""
    select {RECORD_NO} as record_no, record_key, file_split, turn_problems, image_count,
           first_turn_image_tokens, later_human_image_tokens + answer_image_tokens as later_image_tokens,
           len(turns) = 2 * len(sample_ids) and len(sample_ids) > 0 as turns_for_samples,
           sample_ids, images, turns
    from {{facts}}
    where profile = '{PACKED_PROFILE}'
"""
"""The packed records (``record_facts._packed_facts``) as the packed checks read them, one
row each (``record_no`` in file and line order): ``{facts}`` is the spool's facts."""
ASSETS_VIEW = f"""
    select line_no, parse_error, asset.asset_id, asset.image, asset.asset_type, asset.source
    from {{facts}}
    where profile = '{ASSETS_PROFILE}'
"""
"""The asset manifest's lines (``record_facts._asset``), as ``PACKED_VIEW`` the packed records."""
QUERY_MEMORY_LIMIT = "2GB"
"""What DuckDB may hold for the checks' queries in one process (it spills the rest to the
spool); the frames they give are read in batches (``expectations.batched``)."""


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Pandas nullable dtypes (Int64, boolean, string) as object columns holding None:
    Great Expectations' pair expectations fail on ``pd.NA``."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.api.extensions.ExtensionDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def count_file_rows(path: Path) -> int:
    """Rows as the manifest counts them: records of a JSONL / JSON-array file, keys of a
    JSON object file."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return len(data)
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def list_record_files(exports: Path) -> list[tuple[Path, str, bool]]:
    """The record files under ``exports`` as (path, path relative to it, is a box profile's
    file): the canonical ones at the top and every JSON / JSONL file in a trainer
    profile's folder (other files are not records)."""
    found = [rel for rel in C.CANONICAL_FILES if (exports / rel).is_file()]
    for profile in C.PROFILE_DIRS:
        folder = exports / profile
        if folder.is_dir():
            found += sorted(f"{profile}/{p.name}" for p in folder.iterdir()
                            if p.is_file() and not p.name.startswith(".")
                            and p.suffix in (".json", ".jsonl")
                            and f"{profile}/{p.name}" not in C.NON_RECORD_FILES)
    box_profiles = set(C.PROFILE_DIRS)
    return [(exports / rel, rel, profile_of(rel) in box_profiles) for rel in found]


def list_line_files(exports: Path) -> list[tuple[Path, str, bool]]:
    """The files under ``exports`` whose lines the checks read besides the records (the
    packed set's and the asset manifest, those that exist), as ``list_record_files``
    gives a record file (no box profile's)."""
    return [(exports / rel, rel, False) for rel in (*C.PACKED_FILES, C.ASSET_MANIFEST_FILE)
            if (exports / rel).is_file()]


def list_read_files(exports: Path) -> list[tuple[Path, str, bool]]:
    """Every file under ``exports`` whose lines the checks read: the record files, then the
    packed set's and the asset manifest (``list_record_files``, ``list_line_files``)."""
    return [*list_record_files(exports), *list_line_files(exports)]


def record_file_bytes(exports: Path) -> int:
    """Bytes of the files under ``exports`` whose lines the checks read (``list_read_files``)."""
    return sum(path.stat().st_size for path, _, _ in list_read_files(exports))


class CheckInputs:
    """The lakehouse and the exports of one warehouse, opened read-only for one run.

    Without ``spool``, the exports are read into a new spool folder, which ``close``
    removes; with the ``spool`` folder of another ``CheckInputs`` of the same warehouse
    (still open), its tables are opened as they are, and ``close`` leaves the folder."""

    def __init__(self, wh: Warehouse, spool: Path | None = None) -> None:
        self.wh = wh
        self.exports = wh.exports
        self.has_database = wh.database.is_file()
        self.con = duckdb.connect(str(wh.database), read_only=True) if self.has_database else duckdb.connect()
        # staging views read landed Parquet by a path that may be relative to the project
        self.con.execute(f"SET file_search_path = '{str(PROJECT_ROOT).replace(chr(39), chr(39) * 2)}'")
        self.con.execute("SET enable_progress_bar = false")  # a helper process's long query drew one
        self._columns: dict[str, dict[str, str]] = {}
        for table, column, dtype in self.con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'main'"
        ).fetchall():
            self._columns.setdefault(table, {})[column] = dtype
        self._readable: dict[str, str | None] = {}
        self._json: dict[str, tuple[Any, str | None]] = {}
        self._sha: dict[str | Path, str] = {}
        self._status: dict[str | Path, os.stat_result | None] = {}
        self._kept: dict[Path, KeptDigests] = {}
        files = list_record_files(self.exports)
        self.record_files = [rel for _, rel, _ in files]
        self._owns_spool = spool is None
        self.spool = Path(tempfile.mkdtemp(prefix="mmfactory-check-records-")) if spool is None else spool
        # the checks' queries spill past a bound instead of growing with the corpus; each
        # process to a folder of its own (DuckDB names its spill files the same in each)
        spill_dir = self.spool / "spill" / str(os.getpid())
        spill_dir.mkdir(parents=True, exist_ok=True)
        spill = str(spill_dir).replace("'", "''")
        self.con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{spill}'")
        self._record_rows: dict[str, int | None] = {}
        try:
            if self._owns_spool:
                spool_record_facts([*files, *list_line_files(self.exports)], self.spool, cache_dir(self.wh))
            self._open_spool()
        except BaseException:  # no caller holds these inputs yet to close them
            self.close()
            raise

    def close(self) -> None:
        for kept in self._kept.values():  # the digests asked for in batches (file_digests)
            kept.save()
        self.con.close()
        if self._owns_spool:
            shutil.rmtree(self.spool, ignore_errors=True)

    # ---- the lakehouse -------------------------------------------------------------
    def columns(self, relation: str) -> dict[str, str] | None:
        return self._columns.get(relation)

    def relation_error(self, relation: str) -> str | None:
        """None when ``relation`` exists and can be read, else why not."""
        if not self.has_database:
            return f"no lakehouse file at {self.wh.database}"
        if relation not in self._columns:
            return f"relation {relation} does not exist"
        if relation not in self._readable:
            try:
                self.con.execute(f'select 1 from "{relation}" limit 1').fetchall()
                self._readable[relation] = None
            except duckdb.Error as exc:
                self._readable[relation] = f"relation {relation} cannot be read ({str(exc).splitlines()[0]})"
        return self._readable[relation]

    def missing(self, relations: dict[str, tuple[str, ...]] | None = None,
                files: tuple[str, ...] = ()) -> list[str]:
        """Why the given relations (with the given columns) and files cannot be used; empty
        when all are there."""
        reasons = []
        for relation, cols in (relations or {}).items():
            error = self.relation_error(relation)
            if error:
                reasons.append(error)
                continue
            have = self._columns[relation]
            reasons += [f"column {relation}.{c} does not exist" for c in cols if c not in have]
        for rel in files:
            path = self.exports / rel
            if not path.is_file():
                reasons.append(f"file exports/{rel} does not exist")
        return reasons

    def relation_rows(self, relation: str) -> int:
        return self.con.execute(f'select count(*) from "{relation}"').fetchone()[0]

    def df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return plain(self.con.execute(sql, params or []).df())

    # ---- the exports ---------------------------------------------------------------
    def _open_spool(self) -> None:
        """``x_records``: the facts of every record of every record file
        (``expectations.record_facts``), written as Parquet to the spool by the workers that
        parse them; a record line the warehouse's facts cache holds is digested, not parsed
        (``expectations.facts_cache``). Sending the batches back to be inserted here cost
        45 s of this process's CPU at 5M records (118k images), taken from the workers on a
        2-core machine; holding them all in memory instead, ~1 KB a row. The packed
        set's records (``x_packed``, ``PACKED_VIEW``) and the asset manifest's lines
        (``x_assets``, ``ASSETS_VIEW``) are read in the same pass, through the same cache."""
        facts = "read_parquet('{}')".format(str(self.spool / "*.parquet").replace("'", "''"))
        self.con.execute(f"create or replace temp view x_records as select * from {facts} "
                         f"where profile not in ('{PACKED_PROFILE}', '{ASSETS_PROFILE}')")
        self.con.execute(f"create or replace temp view x_packed as {PACKED_VIEW.format(facts=facts)}")
        self.con.execute(f"create or replace temp view x_assets as {ASSETS_VIEW.format(facts=facts)}")
        for rel, rows, whole_file_failed in self.con.execute(
            f"select file_path, count(*), bool_or(line_no = 0) from {facts} group by file_path"
        ).fetchall():
            self._record_rows[rel] = None if whole_file_failed else rows
        self._record_rows.update({rel: 0 for rel in self.record_files if rel not in self._record_rows})

    def record_keys(self, record_nos: list[int]) -> dict[int, str]:
        """The ``record_key`` of each ``x_records`` row numbered ``record_nos`` (``RECORD_NO``)."""
        return dict(self.con.execute(
            f"select {RECORD_NO}, record_key from x_records "
            f"where {RECORD_NO} in (select unnest(?::bigint[]))", [record_nos]).fetchall())

    def files_with_records(self, among: Iterable[str] | None = None) -> int:
        """How many record files (of ``among``, None: of all) hold a row of ``x_records``
        (counted when it was opened)."""
        wanted = set(self.record_files if among is None else among)
        return sum(1 for rel, rows in self._record_rows.items() if rows != 0 and rel in wanted)

    def file_rows(self, rel: str) -> int:
        """Rows as the manifest counts them (``count_file_rows``); a record file's, the
        packed set's and the asset manifest's from the spool (their lines as parsed,
        without reading them again). Raises ValueError when a JSON record file is not one
        array."""
        if rel in self._record_rows:
            rows = self._record_rows[rel]
            if rows is None:
                raise ValueError(f"exports/{rel} is not one JSON array")
            return rows
        return count_file_rows(self.exports / rel)

    def has_file(self, rel: str) -> bool:
        return (self.exports / rel).is_file()

    def json_file(self, rel: str) -> tuple[Any, str | None]:
        """(parsed JSON, None) or (None, why not) for a JSON document under exports/; a
        one-line JSONL object (DuckDB's COPY ... FORMAT json of one row) counts."""
        if rel not in self._json:
            path = self.exports / rel
            if not path.is_file():
                self._json[rel] = (None, f"file exports/{rel} does not exist")
            else:
                text = path.read_text(encoding="utf-8")
                try:
                    self._json[rel] = (json.loads(text), None)
                except json.JSONDecodeError as exc:
                    self._json[rel] = (None, f"file exports/{rel} is not JSON ({exc.msg})")
        return self._json[rel]

    def sha256(self, path: str | Path) -> str:
        if path not in self._sha:
            self._sha[path] = sha256_file(path)
        return self._sha[path]

    def regular_file(self, path: str | Path) -> os.stat_result | None:
        """The status of the regular file at ``path`` (links followed), or None when there
        is none: as ``hash_ahead`` found it, else looked up now (once per path)."""
        if path not in self._status:
            self._status[path] = regular_file_status(path)
        return self._status[path]

    def hash_ahead(self, paths: list[str | Path]) -> None:
        """Hash the regular files of ``paths`` (str or Path) on every core now, so that
        ``sha256`` and ``regular_file`` answer them from memory (a few files: the exports')."""
        todo = [p for p in dict.fromkeys(paths) if p not in self._sha]
        self._sha.update(sha256_files([p for p in todo if self.regular_file(p) is not None]))

    def file_digests(self, paths: list[str], kept_in: Path | None = None) -> Digests:
        """The sha256 and status of the regular files among ``paths``, read on every core,
        for one batch of files: none of it is held by these inputs (check 6 asks for the
        images of a corpus a batch at a time). With ``kept_in`` (a cache file), a file
        unchanged since the run that last kept it there (same device, inode, size and
        modification time) keeps that digest unread, and its status is the one that
        decided it: one ``stat`` per file in all (``lakehouse.file_digests.KeptDigests``).
        That cache is written when the inputs close, with the entries of every file asked
        for in the run."""
        if kept_in is None:
            status = {p: s for p in dict.fromkeys(paths) if (s := regular_file_status(p)) is not None}
            return Digests(sha256_files(list(status)), len(status), status)
        if kept_in not in self._kept:
            self._kept[kept_in] = KeptDigests(kept_in)
        return self._kept[kept_in].digests(paths, regular_only=True)

    def registered_root(self, images_root: str) -> Path:
        return resolve_root(images_root, self.wh)
