"""The sha256 of many files, kept between runs: a file the file system reports unchanged
since it was last hashed is not read again.

A kept digest is used again when the file has the same device, inode, size in bytes and
modification time (ns) as when it was hashed, as ``make``, ``rsync`` and git's index
judge a file unchanged; a hard link shares its file's inode, so the exported link and the
file it links to are one entry. A file modified less than ``RACY_NS`` before it was hashed
may have changed again within the same timestamp tick, so its digest is not used again
(git's "racily clean" rule) and it is hashed once more next time. An inode number that the
file system gives again to a new file comes with that file's own size and modification
time; a file system that reports no inode numbers (0) keeps nothing, and its files are
read every time.

In: paths and a cache file (Parquet, ``KEPT_SCHEMA``; missing or unreadable: every file
is read). Out: ``Digests`` (path -> hex sha256, how many files were read, and each file's
status as it was judged), and the cache rewritten, through a temporary file and a
rename, to the entries of these paths alone, so it never holds files a run no longer
asked about. ``KeptDigests`` does the same for the paths a run asks for a batch at a
time, and writes the cache once with every batch's entries. ``keep_digests`` adds the
entries of a reader of its own (the image landing hashes every file it lands, so the first
check after it reads none of them again). The cache only saves reading: a run that
cannot write it keeps nothing; two runs at once each write a whole cache.
``regular_file_status``: one ``stat`` that says whether a path is a regular file and gives
its status (the landing's and check 6's one look at a file).
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakehouse.hashing import sha256_files

KEPT_SCHEMA = pa.schema([
    pa.field("device", pa.uint64(), nullable=False),
    pa.field("inode", pa.uint64(), nullable=False),
    pa.field("size_bytes", pa.int64(), nullable=False),
    pa.field("modified_at_ns", pa.int64(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("hashed_at_ns", pa.int64(), nullable=False),
])
RACY_NS = 2_000_000_000
"""A file modified this close before it was hashed (or after) is read again next time:
more than the timestamp tick of any common file system (FAT's is 2 s)."""

class KeptDigest(NamedTuple):
    """One cache entry: a file's status when it was read, and the sha256 of what was read
    (``keep_digests`` adds such entries from a reader of its own, e.g. the image landing)."""

    device: int
    inode: int
    size_bytes: int
    modified_at_ns: int
    sha256: str
    hashed_at_ns: int

    @classmethod
    def of(cls, status: os.stat_result, sha256: str, hashed_at_ns: int) -> KeptDigest | None:
        """The entry for a file of ``status`` (taken before it was read from ``hashed_at_ns``
        on), or None on a file system without inode numbers."""
        if status.st_ino == 0:
            return None
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, sha256, hashed_at_ns)


def regular_file_status(path: str | os.PathLike[str]) -> os.stat_result | None:
    """The status (``os.stat``, links followed) of the regular file at ``path``; None when
    there is none (missing, unreadable, a folder, a FIFO): one ``stat`` answers both."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status if stat.S_ISREG(status.st_mode) else None


# where a kept row (a tuple in KeptDigest's field order) holds each field
_SIZE, _MODIFIED, _SHA256, _HASHED_AT = (KeptDigest._fields.index(name) for name in (
    "size_bytes", "modified_at_ns", "sha256", "hashed_at_ns"))


@dataclass(frozen=True)
class Digests:
    """What ``sha256_files_kept`` found: the digest of every path, how many of the files
    it read (the rest were unchanged since the cache's run hashed them), and the status
    (``os.stat``, links followed) each file had when it was looked at, so that a caller
    needs no ``stat`` of its own."""

    by_path: dict[str | Path, str]
    files_read: int
    status: dict[str | Path, os.stat_result]


def _read_kept(cache: Path) -> pa.Table:
    """The entries of ``cache`` as a ``KEPT_SCHEMA`` table (Arrow columns, no Python object
    per entry); none when it cannot be read."""
    try:
        return pq.read_table(cache, schema=KEPT_SCHEMA)
    except (OSError, ValueError, pa.ArrowException):
        return KEPT_SCHEMA.empty_table()


def _entries_of(kept: pa.Table, inodes: list[int]) -> dict[tuple[int, int], tuple]:
    """The entries of ``kept`` whose inode is one of ``inodes``, by (device, inode), as
    plain tuples in ``KeptDigest``'s field order (a NamedTuple per entry made the lookup of
    118,000 2.7x slower)."""
    if not inodes or kept.num_rows == 0:
        return {}
    found = kept.filter(pc.is_in(kept.column("inode"), value_set=pa.array(inodes, pa.uint64())))
    columns = [found.column(name).to_pylist() for name in KEPT_SCHEMA.names]
    return {(row[0], row[1]): row for row in zip(*columns)}


def _table(digests: list[tuple]) -> pa.Table:
    """``KeptDigest``s (or tuples in their field order) as a ``KEPT_SCHEMA`` table."""
    columns = list(zip(*digests)) or [[] for _ in KEPT_SCHEMA]
    return pa.Table.from_arrays([pa.array(column, type=field.type) for column, field in
                                 zip(columns, KEPT_SCHEMA, strict=True)], schema=KEPT_SCHEMA)


def _write_table(cache: Path, table: pa.Table) -> None:
    temporary = cache.with_name(f".{cache.name}.{uuid.uuid4().hex[:8]}")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, temporary)
        os.replace(temporary, cache)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


class KeptDigests:
    """One run's digests of many files from ``cache``, asked for a batch of paths at a time
    (``digests``), then the cache written once (``save``) with the entries of every path
    asked for, so it never holds files the run no longer asked about. What it holds grows
    by an Arrow row per file (~50 bytes), not by the batches' Python objects: check 6 reads
    the images of a corpus a batch at a time (expectations/suites/images.py)."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self._kept = _read_kept(cache)
        self._started = time.time_ns()
        self._entries: list[pa.Table] = []
        self._read = 0

    def digests(self, paths: Iterable[str | Path], workers: int | None = None,
                regular_only: bool = False) -> Digests:
        """Hex sha256 of every file in ``paths``: kept for a file unchanged since it was
        hashed, else read on ``workers`` threads (``hashing.sha256_files``). A file that
        cannot be read raises, as ``sha256_files`` does; ``regular_only``: a path that is no
        regular file (missing, a folder) is left out of the result instead, unread."""
        unique = list(dict.fromkeys(paths))
        status: dict[str | Path, os.stat_result] = {}
        for path in unique:
            try:
                st = os.stat(path)
            except OSError:
                continue  # left out, or hashed below, which raises for it
            if regular_only and not stat.S_ISREG(st.st_mode):
                continue
            status[path] = st
        kept = _entries_of(self._kept, list({st.st_ino for st in status.values()}))
        found: dict[str | Path, str] = {}
        for path, st in status.items():
            entry = kept.get((st.st_dev, st.st_ino))
            if entry is not None and entry[_SIZE] == st.st_size and entry[_MODIFIED] == st.st_mtime_ns \
                    and st.st_mtime_ns < entry[_HASHED_AT] - RACY_NS:
                found[path] = entry[_SHA256]
        answered = list(status) if regular_only else unique  # the paths the result gives
        to_read = [p for p in answered if p not in found]
        read = sha256_files(to_read, workers)
        entries = []
        for path, st in status.items():
            # an entry found again stays as it was; KeptDigest.of keys nothing without an inode
            entry = kept[(st.st_dev, st.st_ino)] if path in found else KeptDigest.of(st, read[path], self._started)
            if entry is not None:
                entries.append(entry)
        self._entries.append(_table(entries))
        self._read += len(to_read)
        return Digests({p: found[p] if p in found else read[p] for p in answered}, len(to_read), status)

    def save(self) -> None:
        """Write the cache with the entries of every path asked for (one per inode), unless
        nothing was read and they are the entries it holds already."""
        table = pa.concat_tables([KEPT_SCHEMA.empty_table(), *self._entries])
        if table.num_rows:  # one entry per (device, inode): a file asked for twice, or by two links
            rest = KEPT_SCHEMA.names[2:]
            last = table.group_by(["device", "inode"], use_threads=False).aggregate(
                [(name, "last") for name in rest])
            columns = {"device": last.column("device"), "inode": last.column("inode"),
                       **{name: last.column(f"{name}_last") for name in rest}}
            table = pa.Table.from_arrays([columns[name] for name in KEPT_SCHEMA.names], schema=KEPT_SCHEMA)
        if self._read or table.num_rows != self._kept.num_rows:
            _write_table(self.cache, table)


def sha256_files_kept(paths: Iterable[str | Path], cache: Path, workers: int | None = None,
                      regular_only: bool = False) -> Digests:
    """Hex sha256 of every file in ``paths`` (str or Path): from ``cache`` for a file
    unchanged since it was hashed (see the module doc), else read on ``workers`` threads
    (``hashing.sha256_files``); then the cache holds these files' digests. A file that
    cannot be read raises, as ``sha256_files`` does, and the cache is left as it was;
    ``regular_only``: a path that is no regular file (missing, a folder) is left out of the
    result instead, unread. ``KeptDigests`` does the same a batch of paths at a time."""
    run = KeptDigests(cache)
    found = run.digests(paths, workers, regular_only)
    run.save()
    return found


def keep_digests(cache: Path, digests: Iterable[KeptDigest]) -> None:
    """Add ``digests`` (files another reader hashed) to ``cache``, replacing the entries of
    the same inode numbers; the others stay, untouched in Arrow (a landing of 1,000 files
    beside 118,000 kept ones: no Python object per kept entry). Only saves reading: a
    cache that cannot be read or written is left to the next run."""
    new = _table(list(digests))
    if new.num_rows == 0:
        return
    try:
        old = pq.read_table(cache, schema=KEPT_SCHEMA)
        old = old.filter(pc.invert(pc.is_in(old.column("inode"), value_set=new.column("inode"))))
        table = pa.concat_tables([old, new])
    except (OSError, ValueError, pa.ArrowException):
        table = new
    _write_table(cache, table)
