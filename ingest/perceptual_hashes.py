"""Perceptual hashes (pHash, dHash) of every landed asset: the near-duplicate stage.

In: the landed ``assets`` (every source and asset type) and their files, found under each
source's images root (``asset_sources``). Out: rows of ``perceptual_hashes`` (one per
asset content, keyed by ``asset_id``) and a rejects file ``perceptual-hashes`` for files
that are missing, changed since landing, or cannot be decoded.

The decode mode is fixed (``DECODE_MODE``) because hashes are only comparable when every
image reaches the hasher the same way:

1. ``PIL.Image.open`` on the bytes; a JPEG is decoded by libjpeg straight to luminance at
   the largest DCT scale (1/2, 1/4, 1/8) that keeps both sides >= ``DRAFT_MIN_PX`` (128)
   pixels (Pillow's ``draft``), every other format fully. The hashes only ever see a
   32x32 (pHash) or 9x8 (dHash) resize, so the pixels the scaled decode skips never
   reach them: on COCO128 the scaled and the full decode agree on 117 of 128 pHashes
   (the others differ in 2 bits), and resized, re-encoded and cropped copies sit as close
   to their originals as with the full decode (BENCHMARKS.md, "The pHash decode"); it
   takes about half the full decode's time (0.47-0.57x measured);
2. ``ImageOps.exif_transpose``: the pixels as a viewer (and every trainer, through the
   exports) shows them; a copy re-saved by a tool that baked the rotation into the pixels
   then hashes like its original;
3. ``convert("L")``: 8-bit luminance (alpha dropped), what both hashes work on;
4. imagehash's own resize (LANCZOS to 32x32 for pHash, 9x8 for dHash), 64 bits each.

Every asset type is hashed (photos, real documents and charts, derived renders): the
table is cheap (~1.5-3 ms an image) and says what the data holds; which types are *paired*
is the SQL side's choice (``var('near_duplicate_asset_types')``).

Work runs through ``lakehouse.stages.run_stage`` (in-process, or a process pool); each
finished chunk lands at once as its own file, so a killed run keeps what it hashed and
the next run hashes only assets without a row (same decode mode and hasher version).
At the end the chunk files are compacted into one.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image, ImageOps

from ingest.asset_files import FileProblem, locate, read_checked
from lakehouse.landing import land_table, landed_files, new_run_id, utc_now
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.report import LandingReport
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_TABLE, resolve_root
from lakehouse.stages import run_stage
from lakehouse.tables.assets import ASSETS_TABLE
from lakehouse.tables.perceptual_hashes import (
    PERCEPTUAL_HASHES_SCHEMA,
    PERCEPTUAL_HASHES_TABLE,
)

DRAFT_MIN_PX = 128
DECODE_MODE = f"pillow-jpeg-draft-L-{DRAFT_MIN_PX}+exif_transpose+L+imagehash-resize"
DEFAULT_CHUNK_SIZE = 64
REJECTS_FILE = "perceptual-hashes"
COMPACT_FILE = "hashes"

_HASHED_SCHEMA = pa.schema([
    pa.field("asset_id", pa.string(), nullable=False),
    pa.field("item", pa.string(), nullable=False),
    pa.field("phash", pa.uint64()),
    pa.field("dhash", pa.uint64()),
    pa.field("hash_seconds", pa.float64()),
    pa.field("reject_reason", pa.string()),
    pa.field("reject_message", pa.string()),
])


def hasher_version() -> str:
    """The installed ``imagehash`` release (hashes of another release are recomputed)."""
    return metadata.version("imagehash")


def _as_uint64(bits: Any) -> int:
    """An ``imagehash.ImageHash`` (8x8 booleans, row-major) as an unsigned 64-bit int."""
    value = 0
    for bit in bits.hash.flatten():
        value = (value << 1) | int(bit)
    return value


def hash_image(data: bytes) -> tuple[int, int]:
    """(pHash, dHash) of an image's bytes, decoded as ``DECODE_MODE`` says."""
    import imagehash

    with Image.open(io.BytesIO(data)) as img:
        if img.format in ("JPEG", "MPO"):  # libjpeg scales in the DCT and skips the colour conversion
            img.draft("L", (DRAFT_MIN_PX, DRAFT_MIN_PX))
        img.load()
        gray = ImageOps.exif_transpose(img).convert("L")
    return _as_uint64(imagehash.phash(gray)), _as_uint64(imagehash.dhash(gray))


def hash_chunk(items: list[dict]) -> pa.RecordBatch:
    """Stage work (``lakehouse.stages``): hash the files of ``items`` (asset_id, item,
    path, root). A file that is missing, no longer hashes to its asset id, or cannot be
    decoded gets a reject reason and message instead of hashes."""
    rows = []
    for it in items:
        row = {"asset_id": it["asset_id"], "item": it["item"], "phash": None, "dhash": None,
               "hash_seconds": None, "reject_reason": None, "reject_message": None}
        started = time.perf_counter()
        data = read_checked(it)
        if isinstance(data, FileProblem):
            row.update(reject_reason=data.reason, reject_message=data.message)
            rows.append(row)
            continue
        try:
            phash, dhash = hash_image(data)
        except Exception as exc:  # one undecodable image must not stop the stage
            row.update(reject_reason=str(Reason.CORRUPT_IMAGE),
                       reject_message=f"{it['item']}: cannot be decoded for hashing "
                                      f"({type(exc).__name__}: {exc})")
            rows.append(row)
            continue
        row.update(phash=phash, dhash=dhash, hash_seconds=time.perf_counter() - started)
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=_HASHED_SCHEMA)


def _read(wh: Warehouse, table: str, columns: list[str]) -> list[dict]:
    rows: list[dict] = []
    for path in landed_files(wh, table):
        t = pq.read_table(path)
        if all(c in t.column_names for c in columns):
            rows += t.select(columns).to_pylist()
    return rows


def _hashed(wh: Warehouse, version: str) -> pa.Table:
    """Landed hash rows of this decode mode and hasher version, one per asset id."""
    tables = [pq.read_table(p, schema=PERCEPTUAL_HASHES_SCHEMA)
              for p in landed_files(wh, PERCEPTUAL_HASHES_TABLE)]
    if not tables:
        return PERCEPTUAL_HASHES_SCHEMA.empty_table()
    t = pa.concat_tables(tables)
    t = t.filter(pc.and_(pc.equal(t["decode_mode"], DECODE_MODE),
                         pc.equal(t["hasher_version"], version)))
    seen: set[str] = set()
    keep = []
    for i, aid in enumerate(t.column("asset_id").to_pylist()):
        if aid not in seen:
            seen.add(aid)
            keep.append(i)
    return t.take(keep)


def _work_items(wh: Warehouse, done: set[str],
                roots_override: Mapping[str, Path] | None) -> tuple[list[dict], list[Reject], int]:
    """(work items for assets not hashed yet, rejects of assets whose file cannot be
    located, number of distinct landed assets). An asset under several sources is hashed
    once, from its first location by (source, path)."""
    roots = {r["source"]: resolve_root(r["images_root"], wh)
             for r in _read(wh, ASSET_SOURCES_TABLE, ["source", "images_root"])}
    roots.update({k: Path(v) for k, v in (roots_override or {}).items()})
    first: dict[str, dict] = {}
    for a in sorted(_read(wh, ASSETS_TABLE, ["asset_id", "source", "relative_path"]),
                    key=lambda a: (a["source"], a["relative_path"])):
        first.setdefault(a["asset_id"], a)
    items, rejects = [], []
    for aid, a in sorted(first.items(), key=lambda kv: (kv[1]["source"], kv[1]["relative_path"])):
        if aid in done:
            continue
        item = f"{a['source']}/{a['relative_path']} (asset {aid[:12]})"
        located = locate(a, item, roots, PERCEPTUAL_HASHES_TABLE)
        (rejects if isinstance(located, Reject) else items).append(located)
    return items, rejects, len(first)


def _chunk_file(ids: list[str]) -> str:
    return "chunk-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]


def run_perceptual_hashes(
    wh: Warehouse,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    images_roots: Mapping[str, Path] | None = None,
    progress: Callable[[str, int, int], Any] | None = None,
) -> LandingReport:
    """Hash every landed asset that has no ``perceptual_hashes`` row of this decode mode and
    hasher version, in ``run_stage`` chunks of ``chunk_size`` over ``workers`` processes
    (default: every core; 1 = in-process). Lands each chunk as it finishes, then compacts
    the table into one file (rows of assets no longer landed are kept: a hash is a fact
    about bytes). Rejects replace the ``perceptual-hashes`` rejects file."""
    version = hasher_version()
    run_id, at = new_run_id(), utc_now()
    report = LandingReport(source="perceptual_hashes")
    done = _hashed(wh, version)
    items, rejects, total = _work_items(wh, set(done.column("asset_id").to_pylist()),
                                        images_roots)
    report.rows_in[PERCEPTUAL_HASHES_TABLE] = len(items) + len(rejects)
    landed = 0
    if progress is not None:
        progress("perceptual hashes", total - len(items), total)
    stamp = {"decode_mode": DECODE_MODE, "hasher_version": version,
             "ingested_at": at, "ingest_run_id": run_id}
    for chunk, batch in run_stage(hash_chunk, items, chunk_size, workers, start_method="fork"):
        ok = [r for r in batch.to_pylist() if r["reject_reason"] is None]
        rejects += [Reject(PERCEPTUAL_HASHES_TABLE, r["item"], Reason(r["reject_reason"]),
                           r["reject_message"])
                    for r in batch.to_pylist() if r["reject_reason"] is not None]
        if ok:
            rows = pa.Table.from_pylist([{**r, **stamp} for r in ok],
                                        schema=PERCEPTUAL_HASHES_SCHEMA)
            land_table(wh, PERCEPTUAL_HASHES_TABLE, _chunk_file([r["asset_id"] for r in ok]),
                       rows, PERCEPTUAL_HASHES_SCHEMA)
            landed += len(ok)
        if progress is not None:
            progress("perceptual hashes", total - len(items) + landed, total)
    report.rows_landed[PERCEPTUAL_HASHES_TABLE] = landed
    report.rejects.extend(rejects)
    report.files.append(_compact(wh))
    report.files.append(land_table(wh, REJECTS_TABLE, REJECTS_FILE,
                                   rejects_table(rejects, REJECTS_FILE, run_id, at),
                                   REJECTS_SCHEMA))
    report.notes.append(f"perceptual hashes: {landed} asset(s) hashed, "
                        f"{len(done)} already hashed, {len(rejects)} rejected")
    return report


def _compact(wh: Warehouse) -> Path:
    """Merge every file of the table into ``hashes.parquet`` (one row per asset id and
    decode mode, the newest kept), then delete the merged chunk files. Written first and
    renamed into place, so a kill leaves duplicates at worst (staging keeps one)."""
    files = landed_files(wh, PERCEPTUAL_HASHES_TABLE)
    tables = [pq.read_table(p, schema=PERCEPTUAL_HASHES_SCHEMA) for p in files]
    merged = pa.concat_tables(tables) if tables else PERCEPTUAL_HASHES_SCHEMA.empty_table()
    order = merged.sort_by([("asset_id", "ascending"), ("ingested_at", "descending")])
    seen: set[tuple[str, str, str]] = set()
    keep = []
    for i, key in enumerate(zip(order.column("asset_id").to_pylist(),
                                order.column("decode_mode").to_pylist(),
                                order.column("hasher_version").to_pylist())):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    path = land_table(wh, PERCEPTUAL_HASHES_TABLE, COMPACT_FILE, order.take(keep),
                      PERCEPTUAL_HASHES_SCHEMA)
    for p in files:
        if p != path:
            p.unlink(missing_ok=True)
    return path
