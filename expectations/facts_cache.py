"""What the checks read of a record, kept by the record's bytes: a build that adds 1% of
the records parses 1% of them.

A record's facts (``record_facts.FACTS_SCHEMA`` less where it is) depend only on its line,
the trainer profile whose file holds it and whether that profile carries boxes, and on
the code that reads it (record_facts.py and consumers/). So a JSONL line is parsed once
per (variant, XXH3-128 digest of its bytes, code version). A run with a cache only
digests the lines (``digest_lines``, on every core), parses the lines the cache lacks
(``parse_lines``) and joins the two in DuckDB into the facts file the checks read; a
run without one parses every line and digests it in the same pass.
A JSON array file laid out as the exports write it (DuckDB's ``COPY ... (ARRAY true)``:
``[``, then one element per line after a tab and, but for the last, before a comma, then
``]``) is read the same way, an element for a line (``array_elements``): its elements are
its records, in order. One that is not, or one with an element that does not parse by
itself or is no object (a record with a ``parse_error``), is parsed whole, as without a
cache (``spool_record_facts``), so its rows are always a whole parse's.

In: the JSONL segments of the record files (``record_facts.segments``) and a cache folder
``<warehouse>/checkpoints/record_facts/<code version>/`` (``cache_dir``; a takedown
removes it, releases/takedown.py). Out, in the spool
folder: the ``FACTS_SCHEMA`` files the checks read (``facts-lines.parquet``, or one
``facts-lines-*.parquet`` per segment from a run without a cache), and under ``by_digest/``
the work files ``lines-*.parquet`` (``LINES_SCHEMA``) and ``parsed-*.parquet``
(``CACHE_SCHEMA``, the cache's own schema). The cache gains this run's new entries as one
more file, and is rewritten to the entries this run used when it holds more than twice as
many; a run that found no cache it could read starts a new one. Runs read the cache under a shared lock and
change it only under an exclusive one they do not wait for, so two checks of one
warehouse at once never see a file half-written or removed, and no entry is held twice.
The cache only saves work: a run that cannot read it parses every line, and one that
cannot write it keeps nothing.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from expectations.record_facts import (
    FACTS_SCHEMA,
    SEGMENT_BYTES,
    Segment,
    executor_for,
    largest_first,
    parse_line,
    profile_of,
    record_row,
    split_of,
    spool_segments,
)
from lakehouse.settings import Warehouse
from lakehouse.stages import run_stage

POSITION_FIELDS = ("file_no", "file_path", "profile", "file_split", "line_no", "record_key")
CONTENT_FIELDS = [f for f in FACTS_SCHEMA if f.name not in POSITION_FIELDS]
DIGEST = "xxh3_128"
"""A line's digest: 128 bits, so that two lines of a corpus never share one by chance
(5M lines: odds ~1e-25), ~7x faster than blake2b on export lines (issue 12, session 33);
not a cryptographic digest: the cache is the warehouse's own, not a trust boundary."""
LINES_SCHEMA = pa.schema([pa.field("file_no", pa.int64()), pa.field("line_no", pa.int64()),
                          pa.field("digest", pa.binary())])
CACHE_SCHEMA = pa.schema([pa.field("variant", pa.string()), pa.field("digest", pa.binary()),
                          *CONTENT_FIELDS])
_WRITTEN = pa.schema([pa.field("path", pa.string()), pa.field("rows", pa.int64())])
# the code a record's facts come from: a change to any of it starts a new cache
_CODE = [Path(__file__).with_name("record_facts.py"),
         *sorted((Path(__file__).resolve().parents[1] / "consumers").glob("*.py"))]
# Fewer lines than this to parse are parsed here: a pool's start (~1 s a worker) costs more.
PARSE_POOL_MIN_LINES = 20_000
# What the spool's DuckDB may hold in memory before it spills to the spool folder, so the
# spool's memory has a bound whatever the corpus. Its largest join (``_assemble``) holds the
# lines: at 118,000 photos (5.2M lines) the process peaked at 1.3 GB.
SPOOL_MEMORY_LIMIT = "2GB"


def code_version() -> str:
    """A digest of the code that turns a record into its facts, and of the lines' digest."""
    h = hashlib.sha256(DIGEST.encode() + b"\0")
    for path in _CODE:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def cache_dir(wh: Warehouse) -> Path:
    """The warehouse's cache for this code version (one subfolder per version)."""
    return wh.record_facts_cache / code_version()


def variant_of(seg: Segment) -> str:
    """What besides its bytes a record's facts depend on: its profile and whether it is
    read for boxes."""
    return f"{profile_of(seg.rel)}|{int(seg.has_boxes)}"


# ---- JSON array files read an element for a line -------------------------------------
_NOT_AN_ELEMENT = b","
"""What stands for a line out of the array layout: it never parses, so its file is parsed
whole (``spool_record_facts``)."""


def in_array_layout(seg: Segment) -> bool:
    """Whether the JSON array file of ``seg`` (always whole) opens with ``[`` on a line of
    its own and closes with ``]`` on a line of its own; the lines between are checked as
    they are read (``array_elements``)."""
    if seg.end - seg.start < 4:
        return False
    with open(seg.path, "rb") as fh:
        head = fh.read(2)
        fh.seek(seg.end - 3)
        tail = fh.read(3)
    return head == b"[\n" and (tail.endswith(b"\n]") or tail == b"\n]\n")


def array_elements(data: bytes) -> list[bytes]:
    """The element texts of a JSON array file in the exports' layout, one per line between
    the ``[`` and ``]`` lines: the line less its leading tab and (but for the last) its
    trailing comma. A line that does not have them, or holds only white space, gives
    ``_NOT_AN_ELEMENT``."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    body = lines[1:-1]
    out = []
    for i, line in enumerate(body):
        last = i == len(body) - 1
        text = line[1:] if last else line[1:-1]
        fits = line.startswith(b"\t") and line.endswith(b",") != last and text.strip()
        out.append(text if fits else _NOT_AN_ELEMENT)
    return out


# ---- the two passes (stage work: importable, picklable items) -------------------------
def _lines(seg: Segment) -> list[bytes]:
    """The lines of a JSONL segment; the element texts of a JSON array file (its element
    n is "line" n, its position)."""
    with open(seg.path, "rb") as fh:
        fh.seek(seg.start)
        data = fh.read(seg.end - seg.start)
    return array_elements(data) if seg.is_array else data.split(b"\n")


_digest = xxhash.xxh3_128_digest


def digest_lines(items: list[tuple[Segment, str]]) -> pa.RecordBatch:
    """(file_no, line_no, digest) of every non-empty line of each segment, written to its
    Parquet path (uncompressed: digests do not compress); returns (path, rows) per
    segment."""
    out = []
    for seg, path in items:
        lines = _lines(seg)
        kept = [i for i, line in enumerate(lines) if line.strip()]
        if len(kept) < len(lines):
            lines = [lines[i] for i in kept]
        line_nos = pc.add(pa.array(kept, pa.int64()), seg.first_line)
        pq.write_table(pa.table({"file_no": pa.repeat(pa.scalar(seg.file_no, pa.int64()), len(kept)),
                                 "line_no": line_nos,
                                 "digest": pa.array(list(map(_digest, lines)), pa.binary())},
                                schema=LINES_SCHEMA), path, compression="none")
        out.append({"path": path, "rows": len(kept)})
    return pa.RecordBatch.from_pylist(out, schema=_WRITTEN)


def parse_lines(items: list[tuple[Segment, list[int] | None, str, str | None]]) -> pa.RecordBatch:
    """The ``CACHE_SCHEMA`` rows of the given lines of each segment, written to its Parquet
    path; with None for the lines, every non-empty line, and their ``FACTS_SCHEMA`` rows
    written to the last path as well (a run without a cache: no digest pass, no join).
    Returns (path, rows) per segment."""
    from consumers.registry import consumer

    out = []
    for seg, wanted, path, facts_path in items:
        lines = _lines(seg)
        if wanted is None:
            wanted = [seg.first_line + i for i, line in enumerate(lines) if line.strip()]
        profile = profile_of(seg.rel)
        reader, file_split = consumer(profile), split_of(seg.rel)
        rows = [record_row(seg, profile, file_split, reader, n, *parse_line(lines[n - seg.first_line]))
                for n in wanted]
        facts = pa.Table.from_pylist(rows, schema=FACTS_SCHEMA)
        keyed = pa.Table.from_arrays(
            [pa.array([variant_of(seg)] * len(rows), pa.string()),
             pa.array([_digest(lines[n - seg.first_line]) for n in wanted], pa.binary()),
             *(facts.column(f.name) for f in CONTENT_FIELDS)], schema=CACHE_SCHEMA)
        pq.write_table(keyed, path)
        if facts_path is not None:
            pq.write_table(facts, facts_path)
        out.append({"path": path, "rows": len(rows)})
    return pa.RecordBatch.from_pylist(out, schema=_WRITTEN)


# ---- the cache ------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(cache: Path, mode: int) -> Iterator[bool]:
    """Hold the lock of ``cache``'s parent (which also holds the other code versions'
    caches) in ``mode``; yields False when a non-blocking mode could not get it."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.parent / ".lock", "a+b") as fh:
        try:
            fcntl.flock(fh, mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _read(paths: list[Path]) -> str:
    """DuckDB's read of exactly these Parquet files."""
    return "read_parquet([" + ", ".join(f"'{_quoted(p)}'" for p in paths) + "])"


def _register_files(con: duckdb.DuckDBPyConnection, segs: list[Segment]) -> None:
    files = {s.file_no: (s.rel, profile_of(s.rel), split_of(s.rel), variant_of(s)) for s in segs}
    con.register("x_files_arrow", pa.table({
        "file_no": pa.array(list(files), pa.int64()),
        "file_path": pa.array([v[0] for v in files.values()], pa.string()),
        "profile": pa.array([v[1] for v in files.values()], pa.string()),
        "file_split": pa.array([v[2] for v in files.values()], pa.string()),
        "variant": pa.array([v[3] for v in files.values()], pa.string())}))
    con.execute("create or replace temp table x_files as select * from x_files_arrow")
    con.unregister("x_files_arrow")


def _missing(con: duckdb.DuckDBPyConnection, cached: list[Path],
             segs: list[Segment]) -> list[tuple[Segment, list[int]]]:
    """The lines of ``segs`` (``x_lines``) whose (variant, digest) none of the files
    ``cached`` holds, one line per (variant, digest), by segment."""
    con.execute(f"create or replace temp view x_cached as select variant, digest from {_read(cached)}")
    wanted = con.execute("""
        select file_no, list(line_no order by line_no)
        from (
            select
                l.file_no,
                l.line_no,
                row_number() over (partition by f.variant, l.digest order by l.file_no, l.line_no) as nth
            from x_lines as l
            inner join x_files as f on f.file_no = l.file_no
            anti join x_cached as c on c.variant = f.variant and c.digest = l.digest
        )
        where nth = 1
        group by file_no""").fetchall()
    by_file: dict[int, list[Segment]] = {}
    for seg in sorted(segs, key=lambda s: s.first_line):
        by_file.setdefault(seg.file_no, []).append(seg)
    out: dict[tuple[int, int], list[int]] = {}
    for file_no, line_nos in wanted:
        starts = [s.first_line for s in by_file[file_no]]
        for line_no in line_nos:
            out.setdefault((file_no, bisect.bisect_right(starts, line_no) - 1), []).append(line_no)
    return [(by_file[f][i], line_nos) for (f, i), line_nos in sorted(out.items())]


def _assemble(con: duckdb.DuckDBPyConnection, spool: Path, cached: list[Path]) -> int:
    """``facts-lines.parquet`` in ``spool``: every digested line with its facts, from the
    cache files ``cached`` or newly parsed, and its place; returns its rows.

    The join holds the lines (file, line, variant, digest) in memory and streams the facts
    past them (``_held_on_the_right``): the facts carry each record's first turn and last
    answer, ~2 KB a line. Left to its estimates, DuckDB held the facts: it estimates a
    list of Parquet files from the first one, and the cache's first file is often a small
    one of new entries (the process peaked at 10.1 GB at 118,000 photos, 1.3 GB with the
    lines held; BENCHMARKS.md, issue 12 session 27)."""
    known = "select * from parsed"
    if cached:
        known += f" union all by name select * from {_read(cached)}"
    content = ", ".join(f"c.{f.name}" for f in CONTENT_FIELDS)
    out = _quoted(spool / "facts-lines.parquet")
    with _held_on_the_right(con):
        [(rows,)] = con.execute(f"""
            copy (
                select
                    l.file_no, f.file_path, f.profile, f.file_split, l.line_no,
                    f.file_path || ':' || coalesce(c.id, 'line ' || l.line_no) as record_key,
                    {content}
                from ({known}) as c
                inner join (
                    select l.file_no, l.line_no, l.digest, f.variant
                    from x_lines as l
                    inner join x_files as f on f.file_no = l.file_no
                ) as l on l.variant = c.variant and l.digest = c.digest
                inner join x_files as f on f.file_no = l.file_no
            ) to '{out}' (format parquet)""").fetchall()
    return rows


@contextlib.contextmanager
def _held_on_the_right(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While in it, each join of ``con``'s queries holds its right-hand side in memory (the
    build side of DuckDB's hash join) and streams the left past it, as the query is written:
    the optimizers that reorder joins and choose the build side by estimated size are off."""
    con.execute("set disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        yield
    finally:
        con.execute("reset disabled_optimizers")


def _write(con: duckdb.DuckDBPyConnection, query: str, cache: Path) -> Path:
    """``query``'s rows as a new cache file, written under a temporary name and renamed."""
    name = f"{uuid.uuid4().hex}.parquet"
    con.execute(f"copy ({query}) to '{_quoted(cache / ('.' + name))}' (format parquet)")
    (cache / f".{name}").rename(cache / name)
    return cache / name


def _keep(con: duckdb.DuckDBPyConnection, cache: Path, parsed: list[Path], cold: bool,
          unique: bool) -> None:
    """Under the exclusive lock: this run's parsed entries (the files ``parsed``; ``unique``:
    no entry twice) that no cache file holds become one more file; a cache holding more
    than twice the entries this run used (``x_lines``) is rewritten to those. ``cold``: the
    run read no cache and parsed every line."""
    for old in cache.parent.iterdir():  # caches of other code versions are of no use
        if old != cache and old.is_dir():
            for path in old.glob("*"):
                path.unlink(missing_ok=True)
            old.rmdir()
    cache.mkdir(parents=True, exist_ok=True)
    files = sorted(cache.glob("*.parquet"))
    if cold:  # this run found no cache it could read: it starts a new one
        for path in files:
            path.unlink(missing_ok=True)
        files = []
    if cold and unique:  # the parsed files as they are: moved in (this run is done with
        for path in parsed:  # them), copied where the cache is on another file system
            name = f"{uuid.uuid4().hex}.parquet"
            try:
                os.replace(path, cache / name)
            except OSError:
                shutil.copyfile(path, cache / f".{name}")
                (cache / f".{name}").rename(cache / name)
        return
    new = "select * from parsed"
    if files:
        new += f" anti join {_read(files)} as c using (variant, digest)"
    if con.execute(f"select count(*) from ({new})").fetchone()[0]:
        files.append(_write(con, new, cache))
    if cold:  # every entry held was used this run
        return
    used = ("select distinct f.variant, l.digest from x_lines as l "
            "inner join x_files as f on f.file_no = l.file_no")
    held, in_use = con.execute(f"select (select count(*) from {_read(files)}), "
                               f"(select count(*) from ({used}))").fetchone()
    if held > 2 * in_use:
        _write(con, f"select c.* from {_read(files)} as c "
                    f"semi join ({used}) as u using (variant, digest)", cache)
        for path in files:
            path.unlink(missing_ok=True)


def spool_by_digest(segs: list[Segment], folder: Path, cache: Path,
                    executor: str | None, parse_executor: str | None) -> int:
    """The facts of every record of the JSONL segments ``segs`` in ``folder``, from
    ``cache`` where it holds their lines (see the module doc); ``executor`` runs the digests
    (and a cold run's parse), ``parse_executor`` None picks this process for few lines.
    Returns the rows written."""
    scratch = folder / "by_digest"  # beside the facts files, which the checks read as *.parquet
    scratch.mkdir(exist_ok=True)
    pq.write_table(CACHE_SCHEMA.empty_table(), scratch / "parsed-empty.parquet")
    pq.write_table(LINES_SCHEMA.empty_table(), scratch / "lines-empty.parquet")
    parsed = [str(scratch / f"parsed-{i:06d}.parquet") for i in range(len(segs))]
    with duckdb.connect(config={"memory_limit": SPOOL_MEMORY_LIMIT,
                                "temp_directory": str(scratch / "spill")}) as con:
        _register_files(con, segs)
        with _locked(cache, fcntl.LOCK_SH):
            cached = sorted(cache.glob("*.parquet")) if cache.is_dir() else []
            missing = None
            if cached:
                lines = [str(scratch / f"lines-{i:06d}.parquet") for i in range(len(segs))]
                for _ in run_stage(digest_lines, list(zip(segs, lines)), chunk_size=1, executor=executor):
                    pass
                con.execute(f"create or replace temp view x_lines as select * from "
                            f"read_parquet('{_quoted(scratch / 'lines-*.parquet')}')")
                with contextlib.suppress(duckdb.Error):  # an unreadable cache: parse every line
                    missing = _missing(con, cached, segs)
            if missing is None:  # no cache: parse every line, its facts written at once
                cached = []
                work = [(seg, None, parsed[i], str(folder / f"facts-lines-{i:06d}.parquet"))
                        for i, seg in enumerate(segs)]
                run_on = executor
            else:
                work = [(seg, wanted, parsed[i], None) for i, (seg, wanted) in enumerate(missing)]
                few = sum(len(wanted) for _, wanted, _, _ in work) < PARSE_POOL_MIN_LINES
                run_on = parse_executor or ("inprocess" if few else executor)
            rows = 0
            for _, batch in run_stage(parse_lines, work, chunk_size=1, executor=run_on):
                rows += sum(batch.column("rows").to_pylist())
            # one entry per (variant, digest): the same line twice in one run is parsed
            # twice only when there was no cache to digest it against
            parsed_glob = _quoted(scratch / "parsed-*.parquet")
            twice = con.execute(f"select count(*) from (select 1 from read_parquet('{parsed_glob}') "
                                "group by variant, digest having count(*) > 1)").fetchone()[0]
            con.execute(f"create or replace temp view parsed as select * from read_parquet('{parsed_glob}')"
                        + (" qualify row_number() over (partition by variant, digest) = 1" if twice else ""))
            if missing is not None:
                rows = _assemble(con, folder, cached)
        with contextlib.suppress(OSError, duckdb.Error), _locked(cache, fcntl.LOCK_EX | fcntl.LOCK_NB) as locked:
            if locked:  # else another run is reading or keeping: it keeps the same lines
                _keep(con, cache, [Path(path) for _, _, path, _ in work],
                      cold=missing is None, unique=not twice)
    return rows


def spool_record_facts(files: list[tuple[Path, str, bool]], folder: Path, cache: Path,
                       target_bytes: int = SEGMENT_BYTES, executor: str | None = None) -> int:
    """``record_facts.spool_record_facts`` with ``cache``: the same Parquet files of
    ``FACTS_SCHEMA`` rows in ``folder`` (JSONL records, and the elements of JSON array
    files in the exports' layout, from the cache where it holds their lines, see the module
    doc; any other JSON array file parsed whole, as there), and the cache kept up to date.
    Returns the number of records."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(FACTS_SCHEMA.empty_table(), folder / "facts-empty.parquet")
    segs = largest_first(files, target_bytes)
    whole = [s for s in segs if s.is_array and not in_array_layout(s)]
    by_line = [s for s in segs if s not in whole]
    rows = spool_by_digest(by_line, folder, cache, executor_for(by_line, executor), executor)
    arrays = sorted({s.file_no for s in by_line if s.is_array})
    unparsed = _files_with_unparsed_lines(folder, arrays) if arrays else []
    if unparsed:  # an element that did not parse (or is no object): parse the file whole
        rows -= _drop_files(folder, unparsed)
        whole += [s for s in by_line if s.file_no in unparsed]
    return rows + spool_segments(whole, folder, executor)


def _files_with_unparsed_lines(folder: Path, file_nos: list[int]) -> list[int]:
    """Which of the files ``file_nos`` have a record with a ``parse_error``."""
    with duckdb.connect() as con:
        found = con.execute(
            f"select distinct file_no from read_parquet('{_quoted(folder / 'facts-*.parquet')}') "
            "where parse_error is not null and file_no in (select unnest(?::bigint[])) order by 1",
            [file_nos]).fetchall()
    return [file_no for (file_no,) in found]


def _drop_files(folder: Path, file_nos: list[int]) -> int:
    """Take the rows of the files ``file_nos`` out of the facts files in ``folder``;
    returns how many rows were taken out."""
    dropped = 0
    with duckdb.connect() as con:
        for path in sorted(folder.glob("facts-*.parquet")):
            source = f"read_parquet('{_quoted(path)}')"
            where = "file_no in (select unnest(?::bigint[]))"
            [(count,)] = con.execute(f"select count(*) from {source} where {where}", [file_nos]).fetchall()
            if count:
                kept = path.with_name(f".{path.name}")
                con.execute(f"copy (select * from {source} where not ({where})) to '{_quoted(kept)}' "
                            "(format parquet)", [file_nos])
                kept.replace(path)
                dropped += count
    return dropped
