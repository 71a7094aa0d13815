"""Digests kept between runs (lakehouse/file_digests.py), on real image files: a file the
file system reports unchanged is not read again and keeps its digest; a changed, racy,
new or unreadable-cache file is read; the cache holds only the files last asked about."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lakehouse.file_digests import RACY_NS, KeptDigest, KeptDigests, keep_digests, sha256_files_kept
from lakehouse.hashing import sha256_files
from tests.conftest import COCO128

HOUR_NS = 3600 * 10**9


def _photos(folder: Path, n: int, age_ns: int = HOUR_NS) -> list[Path]:
    """``n`` COCO128 photos copied into ``folder``, last modified ``age_ns`` ago."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for src in sorted((COCO128 / "train2017").glob("*.jpg"))[:n]:
        dst = folder / src.name
        shutil.copyfile(src, dst)
        _age(dst, age_ns)
        out.append(dst)
    return out


def _age(path: Path, age_ns: int) -> None:
    stamp = os.stat(path).st_mtime_ns - age_ns
    os.utime(path, ns=(stamp, stamp))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 12)
    cache = tmp_path / "kept" / "sha.parquet"
    first = sha256_files_kept(photos, cache, workers=2)
    assert first.files_read == 12
    assert first.by_path == sha256_files(photos)
    second = sha256_files_kept([*photos, photos[0]], cache, workers=2)
    assert second.files_read == 0
    assert second.by_path == first.by_path


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 4)
    cache = tmp_path / "sha.parquet"
    sha256_files_kept(photos, cache)
    data = bytearray(photos[1].read_bytes())
    data[100] ^= 0xFF  # same size, new bytes, modified now
    photos[1].write_bytes(bytes(data))
    dated = os.stat(photos[2])
    photos[2].write_bytes(photos[2].read_bytes() + b"\0")  # one byte longer
    os.utime(photos[2], ns=(dated.st_atime_ns, dated.st_mtime_ns))  # its date put back
    again = sha256_files_kept(photos, cache)
    assert again.files_read == 2
    assert again.by_path[photos[1]] == _sha(photos[1]) != _sha(photos[0])
    assert again.by_path[photos[2]] == _sha(photos[2])
    # the new digests are kept, but for the file modified just now (read until a hash
    # comes more than RACY_NS after its date)
    assert sha256_files_kept(photos, cache).files_read == 1


def test_what_the_cache_trusts(tmp_path: Path) -> None:
    """Same inode, size and modification time: the kept digest stands (as for make, rsync
    and git); that is why check 6 has --hash-every-image. A file replaced through a rename
    (a new inode, as editors and rsync write) is read, whatever its dates."""
    photos = _photos(tmp_path / "img", 3)
    cache = tmp_path / "sha.parquet"
    before = sha256_files_kept(photos, cache).by_path
    st = os.stat(photos[0])
    data = bytearray(photos[0].read_bytes())
    data[50] ^= 0xFF
    photos[0].write_bytes(bytes(data))
    os.utime(photos[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    trusted = sha256_files_kept(photos, cache)
    assert trusted.files_read == 0 and trusted.by_path[photos[0]] == before[photos[0]] != _sha(photos[0])
    st = os.stat(photos[1])
    replacement = photos[1].with_name("new.tmp")
    replacement.write_bytes(photos[2].read_bytes()[: st.st_size].ljust(st.st_size, b"\0"))
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    replacement.replace(photos[1])
    replaced = sha256_files_kept(photos[1:], cache)
    assert replaced.files_read == 1 and replaced.by_path[photos[1]] == _sha(photos[1]) != before[photos[1]]


def test_a_file_modified_just_before_hashing_is_read_again(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 3)
    fresh = _photos(tmp_path / "fresh", 1, age_ns=0)[0]  # modified now: within RACY_NS
    cache = tmp_path / "sha.parquet"
    assert sha256_files_kept([*photos, fresh], cache).files_read == 4
    assert sha256_files_kept([*photos, fresh], cache).files_read == 1
    _age(fresh, RACY_NS + 10**9)  # a date far enough before the hash: kept from then on
    assert sha256_files_kept([*photos, fresh], cache).files_read == 1
    assert sha256_files_kept([*photos, fresh], cache).files_read == 0


def test_a_hard_link_is_its_file(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 2)
    link = tmp_path / "exports" / "a.jpg"
    link.parent.mkdir()
    os.link(photos[0], link)
    cache = tmp_path / "sha.parquet"
    first = sha256_files_kept([photos[0], photos[1]], cache)
    assert first.files_read == 2
    linked = sha256_files_kept([link, photos[1]], cache)
    assert linked.files_read == 0 and linked.by_path[link] == first.by_path[photos[0]]
    assert pq.read_table(cache).num_rows == 2


def test_the_cache_holds_only_the_files_last_asked_about(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 6)
    cache = tmp_path / "sha.parquet"
    sha256_files_kept(photos, cache)
    assert pq.read_table(cache).num_rows == 6
    assert sha256_files_kept(photos[:2], cache).files_read == 0
    assert pq.read_table(cache).num_rows == 2
    assert sha256_files_kept(photos, cache).files_read == 4


def test_an_unreadable_cache_reads_every_file(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 3)
    cache = tmp_path / "sha.parquet"
    cache.write_bytes(b"not parquet")
    found = sha256_files_kept(photos, cache)
    assert found.files_read == 3 and found.by_path == sha256_files(photos)
    assert sha256_files_kept(photos, cache).files_read == 0


def test_a_missing_file_raises_and_leaves_the_cache(tmp_path: Path) -> None:
    photos = _photos(tmp_path / "img", 2)
    cache = tmp_path / "sha.parquet"
    sha256_files_kept(photos, cache)
    kept = cache.read_bytes()
    with pytest.raises(FileNotFoundError):
        sha256_files_kept([*photos, tmp_path / "gone.jpg"], cache)
    assert cache.read_bytes() == kept
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(".")]


def test_without_inode_numbers_every_file_is_read(tmp_path: Path, monkeypatch) -> None:
    """A file system that reports inode 0 for every file (some FAT and network mounts):
    two different files of the same size and date must not share one kept digest."""
    import lakehouse.file_digests as kept_module

    photos = _photos(tmp_path / "img", 1)
    twin = tmp_path / "img" / "twin.jpg"
    twin.write_bytes(bytes(b ^ 0xFF for b in photos[0].read_bytes()))  # same size, other bytes
    st = os.stat(photos[0])
    os.utime(twin, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same date
    real_stat = os.stat

    def no_inodes(path, *args, **kwargs):
        found = real_stat(path, *args, **kwargs)
        return os.stat_result((found.st_mode, 0, *tuple(found)[2:]))

    monkeypatch.setattr(kept_module.os, "stat", no_inodes)
    cache = tmp_path / "sha.parquet"
    assert sha256_files_kept([photos[0]], cache).files_read == 1
    found = sha256_files_kept([twin], cache)
    assert found.files_read == 1 and found.by_path[twin] == _sha(twin) != _sha(photos[0])


def test_digests_kept_by_another_reader_are_merged_in(tmp_path: Path) -> None:
    """keep_digests (what the image landing calls): entries of the files another reader
    hashed join the kept ones, replacing those of the same files; the next run reads none."""
    photos = _photos(tmp_path / "img", 4)
    cache = tmp_path / "sha.parquet"
    sha256_files_kept(photos[:2], cache)
    hashed_at = time.time_ns()
    wrong = KeptDigest.of(os.stat(photos[1]), "0" * 64, hashed_at)  # replaced below
    keep_digests(cache, [wrong])
    keep_digests(cache, [KeptDigest.of(os.stat(p), _sha(p), hashed_at) for p in photos[1:]])
    assert pq.read_table(cache).num_rows == 4
    found = sha256_files_kept(photos, cache)
    assert found.files_read == 0 and found.by_path == {p: _sha(p) for p in photos}
    keep_digests(cache, [])  # nothing to add: the cache stays as it is
    assert pq.read_table(cache).num_rows == 4


def test_regular_only_leaves_out_what_is_no_file_and_gives_each_files_status(tmp_path: Path) -> None:
    photo, other = _photos(tmp_path / "images", 2)
    folder, missing = tmp_path / "images" / "a_folder.jpg", tmp_path / "images" / "missing.jpg"
    folder.mkdir()
    cache = tmp_path / "kept.parquet"
    wanted = [str(photo), folder, missing, other]  # a str and Paths alike
    with pytest.raises(OSError):  # without it, as sha256_files: what cannot be read raises
        sha256_files_kept(wanted, cache)
    found = sha256_files_kept(wanted, cache, regular_only=True)
    assert found.by_path == {str(photo): _sha(photo), other: _sha(other)} and found.files_read == 2
    assert set(found.status) == {str(photo), other}
    assert (found.status[other].st_ino, found.status[other].st_mtime_ns) == \
        (os.stat(other).st_ino, os.stat(other).st_mtime_ns)
    again = sha256_files_kept(wanted, cache, regular_only=True)  # kept: nothing read
    assert again.by_path == found.by_path and again.files_read == 0


def test_a_run_asked_in_batches_keeps_every_batch(tmp_path: Path) -> None:
    """``KeptDigests``: the digests of a run asked a batch at a time are those of one call,
    and the cache it saves holds the files of every batch, once each (a file asked for in
    two batches, or through a hard link): the next run, in other batches, reads nothing."""
    photos = _photos(tmp_path / "img", 9)
    link = tmp_path / "img" / "linked.jpg"
    os.link(photos[0], link)
    cache = tmp_path / "sha.parquet"
    run = KeptDigests(cache)
    batches = [run.digests(photos[:4], workers=2), run.digests([*photos[4:], photos[3], link], workers=2)]
    run.save()
    assert sum(b.files_read for b in batches) == 11  # nothing kept yet: each path read
    assert {p: d for b in batches for p, d in b.by_path.items()} == sha256_files([*photos, link])
    assert pq.read_table(cache).num_rows == 9  # one entry per file: the link is photos[0]

    again = KeptDigests(cache)
    found = [again.digests(photos[i:i + 2]) for i in range(0, 9, 2)] + [again.digests([link])]
    again.save()
    assert [b.files_read for b in found] == [0] * 6
    assert pq.read_table(cache).num_rows == 9

    fewer = KeptDigests(cache)  # a run that asks for fewer files keeps only those
    assert fewer.digests(photos[:3]).files_read == 0
    fewer.save()
    assert pq.read_table(cache).num_rows == 3
