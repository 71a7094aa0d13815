"""Benchmark: check 6's image hashing, every file read against digests kept between runs
(``lakehouse.file_digests``).

For each ``--images`` N: N photo files of COCO's real sizes (the COCO128 photos, 172 KB on
average, copied in turn, each with its number appended so that no two are the same file
or the same bytes) in a scratch folder, then, each best of ``--repeat``:

- ``read every file``: ``lakehouse.hashing.sha256_files`` (what check 6 did before, and
  does with ``--hash-every-image``), from the page cache (the files were just written),
  or with ``--cold`` from the disk (the page cache dropped before each run: root only);
- ``first kept run``: ``sha256_files_kept`` with no cache (reads every file, writes the
  cache), the files dated an hour back so that the digests are kept;
- ``next run``: the same with the cache (reads none);
- ``+1%``: the same after N / 100 new files are added (reads those).

Usage::

    .venv/bin/python bench/bench_image_digests.py [--images 5000 20000] [--repeat 3] [--cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lakehouse.file_digests import sha256_files_kept  # noqa: E402
from lakehouse.hashing import sha256_files  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "datasets" / "coco128" / "train2017"
HOUR_NS = 3600 * 10**9


def make_files(folder: Path, first: int, n: int, photos: list[bytes]) -> list[Path]:
    """Files ``first`` .. ``first + n - 1`` in ``folder``: photo ``i % len(photos)`` with
    ``i`` appended, last modified an hour ago."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(first, first + n):
        path = folder / f"{i:09d}.jpg"
        path.write_bytes(photos[i % len(photos)] + i.to_bytes(8, "little"))
        stamp = time.time_ns() - HOUR_NS
        os.utime(path, ns=(stamp, stamp))
        out.append(path)
    return out


def drop_page_cache() -> None:
    """Write out and drop the kernel's page cache (root only), so files are read from disk."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def best(repeat: int, run, cold: bool = False) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        if cold:
            drop_page_cache()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each full read")
    args = parser.parse_args()
    photos = [p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))]
    print(("cold (page cache dropped before each full read); " if args.cold else "")
          + f"{len(photos)} photos, {sum(map(len, photos)) / len(photos) / 1024:.0f} KB on average; "
          f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    for n in args.images:
        work = Path(tempfile.mkdtemp(prefix="bench-image-digests-", dir=args.workdir))
        try:
            files = make_files(work / "images", 0, n, photos)
            size_gb = sum(f.stat().st_size for f in files) / 1e9
            cache = work / "image_sha256.parquet"
            every, _ = best(args.repeat, lambda: sha256_files(files), args.cold)

            def first_run():
                cache.unlink(missing_ok=True)
                return sha256_files_kept(files, cache)

            first, found = best(args.repeat, first_run, args.cold)
            assert found.files_read == n
            warm, found = best(args.repeat, lambda: sha256_files_kept(files, cache))
            assert found.files_read == 0
            more = files + make_files(work / "images", n, n // 100, photos)
            grown, found = best(1, lambda: sha256_files_kept(more, cache))
            assert found.files_read == n // 100
            print(f"{n:>8,} files ({size_gb:.2f} GB): read every file {every:.2f} s "
                  f"({size_gb / every:.2f} GB/s); first kept run {first:.2f} s; next run {warm:.2f} s "
                  f"({every / warm:.0f}x less); +1% ({n // 100:,} new files) {grown:.2f} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
