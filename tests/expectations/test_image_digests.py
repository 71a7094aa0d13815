"""Check 6 with the image digests kept between runs (lakehouse/file_digests.py): a second
check reads no unchanged image, and still fails on an image whose bytes changed; an image
changed with its size and date put back is trusted, and ``hash_every_image`` (the
command's ``--hash-every-image``) catches it."""

from __future__ import annotations

import os
from dataclasses import replace

import pyarrow.parquet as pq
import typer
from typer.testing import CliRunner

from expectations.config import DEFAULT_CONFIG
from expectations.runner import run_checks
from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from mmfactory.check_cli import check
from tests.expectations.corrupt import FINAL, read_jsonl

CHECK = "image_integrity"


def _check(wh: Warehouse, every_image: bool = False):
    config = replace(DEFAULT_CONFIG, hash_every_image=every_image)
    return run_checks(wh, only=[CHECK], config=config, helpers=0).by_name()[CHECK]


def test_kept_digests_and_a_changed_image(fresh_copy: Warehouse, monkeypatch) -> None:
    import lakehouse.file_digests as kept_module

    reads: list[int] = []
    original = kept_module.sha256_files_kept

    def counted(paths, cache, workers=None, **options):
        found = original(paths, cache, workers, **options)
        reads.append(found.files_read)
        return found

    monkeypatch.setattr("expectations.inputs.sha256_files_kept", counted)
    first = _check(fresh_copy)
    assert first.success, first.observed
    images = pq.read_table(fresh_copy.image_digest_cache).num_rows
    assert reads == [images] and images > 100
    assert _check(fresh_copy).success and reads[-1] == 0  # nothing read the second time

    name = read_jsonl(fresh_copy.exports / FINAL)[0]["image"][0]
    image = fresh_copy.exports / "images" / name
    before, original_bytes = os.stat(image), image.read_bytes()
    data = bytearray(original_bytes)
    data[len(data) // 2] ^= 0xFF  # the same size, other bytes, modified now
    image.write_bytes(bytes(data))
    changed = _check(fresh_copy)
    assert reads[-1] == 1
    assert not changed.success and {item for _, item in changed.problems()} == {name}, changed.observed

    image.write_bytes(original_bytes)  # mended, its date put back: read again, then kept
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _check(fresh_copy).success and reads[-1] == 1

    image.write_bytes(bytes(data))  # changed again, size and date as they were
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    trusted = _check(fresh_copy)
    assert trusted.success and reads[-1] == 0  # what the file system says is all it reads
    every = _check(fresh_copy, every_image=True)
    assert len(reads) == 5  # this one read every image, past the cache
    assert not every.success and every.problems() == changed.problems()

    monkeypatch.setenv(WAREHOUSE_ENV, str(fresh_copy.root))  # the command's flag says the same
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()
    app.command()(check)
    out = CliRunner().invoke(app, ["--only", CHECK, "--hash-every-image"])
    assert out.exit_code == 1 and "Project checks: 0 / 1 FAIL" in out.output, out.output
    assert len(reads) == 5  # it read past the cache
