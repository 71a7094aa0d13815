"""Benchmark: near-duplicate detection, the pHash stage and the band join.

1. The band join: the SQL of ``models/intermediate/int_asset_near_duplicates_paired.sql``
   (rendered from the model file itself with its refs and vars filled in) on N synthetic
   64-bit pHashes in DuckDB: N - P uniform random hashes plus P planted copies, each a
   random hash with 0..t random bits flipped, for each threshold t of ``--max-bits`` (7,
   the default; 3). Prints the band layout the query picks for N (or ``--layout``'s),
   the time (best of ``--repeat``), the pairs found and the recall of the planted pairs
   (must be 1.0: every layout is exact).
2. ``--decode``: the stage's decode mode (``ingest.perceptual_hashes.hash_image``: a JPEG
   decoded at a DCT scale, straight to luminance) against Pillow's full decode, on the
   COCO128 photos (``--images``): CPU ms per photo, how many bits the two modes' hashes
   differ by, and for crafted copies of every photo (half / double / quarter size,
   re-encoded at quality 40, 2% cropped from each side) the largest and mean distance to
   the original under each mode; the closest unrelated pair under each mode.
3. ``--stage``: the pHash stage (``ingest.perceptual_hashes.run_perceptual_hashes``)
   on every asset landed in ``--warehouse``'s landing, into a scratch warehouse, in-process
   (workers=1) and in a process pool through ``lakehouse.stages.run_stage`` (workers=N).

Usage::

    .venv/bin/python bench/bench_near_duplicates.py [--hashes 10000 100000] [--max-bits 7 3]
        [--layout 4_bands_even] [--decode] [--stage --warehouse warehouse --workers 2]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import jinja2
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "models" / "intermediate" / "int_asset_near_duplicates_paired.sql"
MAX_BITS = 7


MACROS = ROOT / "macros" / "near_duplicates.sql"


def model_sql(max_bits: int = MAX_BITS, layout: str = "") -> str:
    """The pairs model's SQL, rendered outside dbt with its macros (macros/near_duplicates.sql):
    refs are plain table names; ``layout`` "" lets the query pick its layout."""
    variables = {"near_duplicate_max_distance_bits": max_bits,
                 "near_duplicate_band_layout": layout,
                 "near_duplicate_asset_types": ["general_image"]}
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = environment.from_string(MACROS.read_text() + MODEL.read_text())
    return template.render(
        ref=lambda name: name, var=lambda name: variables[name],
        stable_id=lambda prefix, key: (
            f"('{prefix}' || left(sha256(cast({key} as varchar)), 20))"))


def chosen_layout_sql(sql: str) -> str:
    """The same query ending in the layout it picks instead of the pairs."""
    head, _ = sql.rsplit("select * from final", 1)
    return head + "select any_value(layout_id) from chosen_bands"


def synthetic(n: int, planted: int, max_bits: int = MAX_BITS,
              seed: int = 0) -> tuple[pa.Table, set[tuple[str, str]]]:
    """``n`` hashes of which ``planted`` are copies of others with 0..7 bits flipped;
    returns the table and the planted pairs (smaller id first)."""
    rng = random.Random(seed)
    hashes = [rng.getrandbits(64) for _ in range(n - planted)]
    pairs = set()
    for i in range(planted):
        base = rng.randrange(n - planted)
        value = hashes[base]
        for bit in rng.sample(range(64), rng.randint(0, max_bits)):
            value ^= 1 << bit
        hashes.append(value)
        a, b = f"h{base:08d}", f"h{n - planted + i:08d}"
        pairs.add((min(a, b), max(a, b)))
    ids = [f"h{i:08d}" for i in range(n)]
    table = pa.table({"asset_id": ids, "phash": pa.array(hashes, pa.uint64()),
                      "dhash": pa.array(hashes, pa.uint64()),
                      "asset_type": ["general_image"] * n})
    return table, pairs


def bench_join(n: int, threads: int, repeat: int, max_bits: int = MAX_BITS,
               layout: str = "") -> dict:
    table, planted = synthetic(n, max(1, n // 100), max_bits)
    con = duckdb.connect()
    con.execute(f"set threads = {threads}")
    con.register("synthetic", table)
    con.execute("create table stg_landing__perceptual_hashes as "
                "select asset_id, phash, dhash from synthetic")
    con.execute("create table stg_landing__assets as select asset_id, asset_type from synthetic")
    con.execute("create table stg_landing__asset_lineage "
                "(asset_id varchar, parent_asset_id varchar)")
    sql = model_sql(max_bits, layout)
    [(chosen,)] = con.execute(chosen_layout_sql(sql)).fetchall()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        found = con.execute(
            f"select asset_id, near_duplicate_asset_id from ({sql})").fetchall()
        best = min(best, time.perf_counter() - started)
    found_set = set(found)
    recall = len(planted & found_set) / len(planted)
    return {"max_bits": max_bits, "layout": chosen, "hashes": n, "planted_pairs": len(planted),
            "pairs_found": len(found_set),
            "recall": recall, "seconds": round(best, 3)}


def bench_stage(source: Path, workers: int) -> list[dict]:
    from ingest.perceptual_hashes import run_perceptual_hashes
    from lakehouse.catalog import ensure_landing
    from lakehouse.settings import Warehouse

    results = []
    for w in (1, workers):
        with tempfile.TemporaryDirectory() as tmp:
            wh = Warehouse(Path(tmp) / "warehouse")
            for table in ("assets", "asset_sources"):
                shutil.copytree(source / "landing" / table, wh.landing / table)
            ensure_landing(wh)
            started = time.perf_counter()
            report = run_perceptual_hashes(wh, workers=w)
            seconds = time.perf_counter() - started
            n = report.rows_landed["perceptual_hashes"]
            results.append({"workers": w, "images": n, "seconds": round(seconds, 2),
                            "images_per_s": round(n / seconds, 1)})
    return results


def _full_decode_hashes(data: bytes) -> tuple[int, int]:
    """(pHash, dHash) through Pillow's full decode (the stage's mode before session 7)."""
    import io

    import imagehash
    from PIL import Image, ImageOps

    from ingest.perceptual_hashes import _as_uint64

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        gray = ImageOps.exif_transpose(img).convert("L")
    return _as_uint64(imagehash.phash(gray)), _as_uint64(imagehash.dhash(gray))


def _copies(data: bytes) -> dict[str, bytes]:
    import io

    from PIL import Image

    def jpeg(img: Image.Image, quality: int) -> bytes:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality)
        return out.getvalue()

    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    return {"half": jpeg(img.resize((w // 2, h // 2), Image.LANCZOS), 90),
            "double": jpeg(img.resize((w * 2, h * 2), Image.LANCZOS), 90),
            "quarter": jpeg(img.resize((w // 4, h // 4), Image.LANCZOS), 85),
            "q40": jpeg(img, 40),
            "crop2pct": jpeg(img.crop((w // 50, h // 50, w - w // 50, h - h // 50)), 90)}


def bench_decode(images: Path) -> None:
    import itertools
    import statistics

    from ingest.perceptual_hashes import DECODE_MODE, hash_image

    photos = [p.read_bytes() for p in sorted(images.rglob("*.jpg"))]
    copies = [_copies(d) for d in photos]
    bits = lambda a, b: bin(a ^ b).count("1")  # noqa: E731
    hashed = {}
    for mode, fn in (("full decode", _full_decode_hashes), (DECODE_MODE, hash_image)):
        fn(photos[0])  # imports and first-call costs out of the timing
        started = time.process_time()
        hashed[mode] = [fn(d) for d in photos]
        ms = (time.process_time() - started) / len(photos) * 1000
        for k, name in ((0, "pHash"), (1, "dHash")):
            dist = {c: [bits(fn(copies[i][c])[k], hashed[mode][i][k]) for i in range(len(photos))]
                    for c in copies[0]}
            unrelated = min(bits(a[k], b[k]) for a, b in itertools.combinations(hashed[mode], 2))
            print(f"decode: {mode} {name}: {ms:.2f} CPU ms/photo; copies max/mean bits "
                  + " ".join(f"{c} {max(v)}/{statistics.mean(v):.1f}" for c, v in dist.items())
                  + f"; closest unrelated pair {unrelated} bits", flush=True)
    full, ours = hashed["full decode"], hashed[DECODE_MODE]
    for k, name in ((0, "pHash"), (1, "dHash")):
        counts: dict[int, int] = {}
        for a, b in zip(full, ours, strict=True):
            counts[bits(a[k], b[k])] = counts.get(bits(a[k], b[k]), 0) + 1
        print(f"decode: {name} full vs {DECODE_MODE}, photos by bits apart: {dict(sorted(counts.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-bits", type=int, nargs="+", default=[7, 3],
                        help="thresholds (7: one-bit probes; <= 3: plain band equi-join)")
    parser.add_argument("--layout", default="",
                        help="force a band layout, e.g. 4_bands_even (default: the model's choice)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--decode", action="store_true",
                        help="compare the stage's decode mode with a full decode")
    parser.add_argument("--images", type=Path,
                        default=ROOT.parent / "shared" / "datasets" / "coco128" / "train2017")
    parser.add_argument("--stage", action="store_true", help="also time the pHash stage")
    parser.add_argument("--warehouse", type=Path, default=ROOT / "warehouse")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for bits in args.max_bits:
        for n in args.hashes:
            print("band join:", bench_join(n, args.threads, args.repeat, bits,
                                                args.layout), flush=True)
    if args.decode:
        bench_decode(args.images)
    if args.stage:
        for row in bench_stage(args.warehouse, args.workers):
            print("pHash stage:", row, flush=True)


if __name__ == "__main__":
    main()
