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


def _files_read(monkeypatch) -> list[int]:
    """The files each lookup of the image digest cache reads from now on (appended)."""
    from lakehouse.file_digests import KeptDigests

    reads: list[int] = []
    original = KeptDigests.digests

    def counted(self, paths, workers=None, regular_only=False):
        found = original(self, paths, workers, regular_only)
        reads.append(found.files_read)
        return found

    monkeypatch.setattr(KeptDigests, "digests", counted)
    return reads


def test_kept_digests_and_a_changed_image(fresh_copy: Warehouse, monkeypatch) -> None:
    reads = _files_read(monkeypatch)  # by each check: COCO128's images are one batch
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


def test_the_images_read_in_batches_give_the_check_of_one_batch(fresh_copy: Warehouse, monkeypatch) -> None:
    """Check 6 looks at its images a batch at a time (a corpus's 100,000s): cut into
    batches of 50, the run gives the result of one batch, with a changed image and a
    missing one among them, reads each image once and keeps the digest of every one."""
    from expectations import batched

    names = sorted({image for record in read_jsonl(fresh_copy.exports / FINAL) for image in record["image"]})
    changed = fresh_copy.exports / "images" / names[0]
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    changed.write_bytes(bytes(data))
    (fresh_copy.exports / "images" / names[-1]).unlink()
    whole = _check(fresh_copy)
    assert not whole.success and {item for _, item in whole.problems()} == {names[0], names[-1]}

    fresh_copy.image_digest_cache.unlink()
    original = batched.batches

    def small(query, vectors):  # each batch cut in 50s, the transform applied to each
        for batch in original(replace(query, transform=None), vectors):
            for start in range(0, max(len(batch), 1), 50):
                part = batch.iloc[start:start + 50].reset_index(drop=True)
                yield query.transform(part) if query.transform is not None else part

    monkeypatch.setattr(batched, "batches", small)
    reads = _files_read(monkeypatch)
    in_batches = _check(fresh_copy)

    def result(check):
        return {k: v for k, v in check.to_dict(max_offending=10_000).items() if k != "duration_s"}

    assert len(reads) > 5 and sum(reads) == pq.read_table(fresh_copy.image_digest_cache).num_rows
    assert result(in_batches) == result(whole)
