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
status as it was judged), and the
cache rewritten, through a temporary file and a rename, to the entries of these paths
alone, so it never holds files a run no longer asked about. ``keep_digests`` adds the
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


def _read_kept(cache: Path) -> dict[tuple[int, int], tuple]:
    """The entries of ``cache`` by (device, inode), as plain tuples in ``KeptDigest``'s
    field order (a NamedTuple per entry made this 2.7x slower: 0.32 s for 118,000); none
    when it cannot be read."""
    try:
        table = pq.read_table(cache, schema=KEPT_SCHEMA)
    except (OSError, ValueError, pa.ArrowException):
        return {}
    columns = [table.column(name).to_pylist() for name in KEPT_SCHEMA.names]
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


def sha256_files_kept(paths: Iterable[str | Path], cache: Path, workers: int | None = None,
                      regular_only: bool = False) -> Digests:
    """Hex sha256 of every file in ``paths`` (str or Path): from ``cache`` for a file
    unchanged since it was hashed (see the module doc), else read on ``workers`` threads
    (``hashing.sha256_files``); then the cache holds these files' digests. A file that
    cannot be read raises, as ``sha256_files`` does, and the cache is left as it was;
    ``regular_only``: a path that is no regular file (missing, a folder) is left out of the
    result instead, unread."""
    unique = list(dict.fromkeys(paths))
    kept = _read_kept(cache)
    started = time.time_ns()
    status: dict[str | Path, os.stat_result] = {}
    found: dict[str | Path, str] = {}
    for path in unique:
        try:
            st = os.stat(path)
        except OSError:
            continue  # left out, or hashed below, which raises for it
        if regular_only and not stat.S_ISREG(st.st_mode):
            continue
        status[path] = st
        entry = kept.get((st.st_dev, st.st_ino))
        if entry is not None and entry[_SIZE] == st.st_size and entry[_MODIFIED] == st.st_mtime_ns \
                and st.st_mtime_ns < entry[_HASHED_AT] - RACY_NS:
            found[path] = entry[_SHA256]
    answered = list(status) if regular_only else unique  # the paths the result gives
    to_read = [p for p in answered if p not in found]
    read = sha256_files(to_read, workers)
    entries: dict[tuple[int, int], tuple] = {}
    for path, st in status.items():
        # an entry found again stays as it was; KeptDigest.of keys nothing without an inode
        entry = kept[(st.st_dev, st.st_ino)] if path in found else KeptDigest.of(st, read[path], started)
        if entry is not None:
            entries[(entry[0], entry[1])] = entry
    if to_read or entries.keys() != kept.keys():
        _write_table(cache, _table(list(entries.values())))
    return Digests({p: found[p] if p in found else read[p] for p in answered}, len(to_read), status)


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
