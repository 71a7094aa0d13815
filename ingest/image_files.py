"""Image files -> rows of the ``assets`` table (one row per file), or rejects.

In: an images root directory and the paths of the files to land, relative to that root
(found by walking the root, or listed by an annotation file). Out: an ``assets`` table
whose ``asset_id`` is the sha256 of the bytes, and a list of rejects.

Only the header is parsed (size, format, EXIF orientation); the bytes are read once, for
the hash and for the end-of-image marker that tells a truncated JPEG or PNG apart.
``verify=True`` adds a full decode of each image.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import pyarrow as pa
from PIL import Image, UnidentifiedImageError

from lakehouse.file_digests import KeptDigest, regular_file_status
from lakehouse.rejects import Reason, Reject
from lakehouse.tables.assets import (
    ASSETS_SCHEMA,
    ASSETS_TABLE,
)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "MPO"})
EXIF_ORIENTATION_TAG = 0x0112
# Orientations 5-8 rotate by 90 degrees: the displayed width is the stored height.
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class ImageFile:
    """What landing learned about one readable image file."""

    relative_path: str
    asset_id: str
    format: str
    width_px: int
    height_px: int
    exif_orientation: int | None
    size_bytes: int
    #: the file's status as read, for the contracts' kept image digests (None: not keyable);
    #: not part of what the image is (it holds when it was read)
    kept: KeptDigest | None = field(default=None, compare=False)

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as a viewer that applies EXIF orientation shows the image."""
        if self.exif_orientation in _SWAPPING_ORIENTATIONS:
            return self.height_px, self.width_px
        return self.width_px, self.height_px

    @property
    def is_reoriented(self) -> bool:
        """True when EXIF asks viewers to rotate or mirror the stored pixels."""
        return self.exif_orientation is not None and self.exif_orientation != 1


def printable(text: str) -> str:
    """``text`` with characters UTF-8 cannot hold (file names that were not UTF-8 come in
    as lone surrogates) written as ``\\udcXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def walk_images(root: Path) -> list[str]:
    """Every file under ``root`` whose suffix looks like an image, as sorted POSIX paths
    relative to ``root``. Symlinks are listed (``resolve_inside`` judges them later);
    hidden files and folders are skipped."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            found.append(Path(folder, name).relative_to(root).as_posix())
    return sorted(found)


_REAL_ROOTS: dict[Path, Path] = {}


def _real_root(root: Path) -> Path:
    """``root`` resolved, once per process while it is a directory: a stage locates every
    asset of a source under the same root, and resolving it again per asset was over half
    of locating one (20,000 files: 6.1 s against 2.6 s for their own paths alone, at load
    ~2). A root that is not (yet) a directory is resolved again on every call."""
    real = _REAL_ROOTS.get(root)
    if real is None:
        real = root.resolve()
        if real.is_dir():
            if len(_REAL_ROOTS) >= 256:
                _REAL_ROOTS.clear()
            _REAL_ROOTS[root] = real
    return real


def resolve_inside(root: Path, relative_path: str) -> Path | Reject:
    """The real path of ``relative_path`` under ``root``, or a reject when it is absolute,
    climbs out with ``..``, or is a symlink whose target lies outside the root."""
    pure = PurePosixPath(relative_path)
    if pure.is_absolute() or Path(relative_path).is_absolute():
        return Reject(ASSETS_TABLE, relative_path, Reason.PATH_ESCAPES_ROOT,
                      f"{relative_path}: absolute paths are not allowed; paths are relative to the images root")
    real_root = _real_root(root)
    try:
        real = (real_root / relative_path).resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        return Reject(ASSETS_TABLE, relative_path, Reason.SYMLINK_LOOP,
                      f"{printable(relative_path)}: cannot be resolved ({exc})")
    if real != real_root and real_root not in real.parents:
        return Reject(ASSETS_TABLE, relative_path, Reason.PATH_ESCAPES_ROOT,
                      f"{relative_path}: resolves to a file outside the images root {root}")
    return real


_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def _has_image_signature(data: bytes) -> bool:
    """True when the bytes start like an image format we land (so a failure to parse
    them means a damaged image, not some other kind of file)."""
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _is_truncated(data: bytes, fmt: str) -> bool:
    """True when a JPEG lacks its end-of-image marker or a PNG its IEND chunk."""
    tail = data[-64:].rstrip(b"\x00")
    if fmt in ("JPEG", "MPO"):
        return not tail.endswith(b"\xff\xd9")
    if fmt == "PNG":
        return not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    return False


def inspect_image(root: Path, relative_path: str, verify: bool = False) -> ImageFile | Reject:
    """Read one file under ``root``: hash, header, orientation. Never raises for bad input."""
    if printable(relative_path) != relative_path:
        return Reject(ASSETS_TABLE, relative_path, Reason.INVALID_FILE_NAME,
                      f"{printable(relative_path)}: the file name is not valid UTF-8; rename it")
    resolved = resolve_inside(root, relative_path)
    if isinstance(resolved, Reject):
        return resolved

    def reject(reason: Reason, message: str) -> Reject:
        return Reject(ASSETS_TABLE, relative_path, reason, f"{relative_path}: {message}")

    hashed_at = time.time_ns()
    # one stat: whether it is a regular file, and what the kept digest is keyed by, taken
    # before the read
    status = regular_file_status(resolved)
    if status is None:
        if resolved.exists():
            what = "a directory" if resolved.is_dir() else "not a regular file (a FIFO, socket or device)"
            return reject(Reason.NOT_A_REGULAR_FILE, f"is {what}, not an image file")
        return reject(Reason.MISSING_FILE, f"no such file under {root}")
    try:
        data = resolved.read_bytes()
    except OSError as exc:
        return reject(Reason.MISSING_FILE, f"cannot be read ({exc.strerror})")
    if not data:
        return reject(Reason.ZERO_BYTE, "the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or "UNKNOWN"
                width, height = img.size
                orientation = img.getexif().get(EXIF_ORIENTATION_TAG)
                if verify:
                    img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return reject(Reason.DECOMPRESSION_BOMB, f"over Pillow's decompression-bomb limit ({exc})")
    except UnidentifiedImageError:
        if _has_image_signature(data):
            return reject(Reason.CORRUPT_IMAGE, "starts like an image but its header cannot be parsed")
        return reject(Reason.NOT_AN_IMAGE, "not an image file (no known image signature)")
    except (OSError, SyntaxError, ValueError) as exc:
        reason = Reason.TRUNCATED_IMAGE if "truncated" in str(exc).lower() else Reason.CORRUPT_IMAGE
        return reject(reason, f"cannot be decoded ({exc})")
    if fmt not in SUPPORTED_FORMATS:
        return reject(Reason.UNSUPPORTED_FORMAT, f"format {fmt} is not supported")
    if width <= 0 or height <= 0:
        return reject(Reason.CORRUPT_IMAGE, f"header gives a {width}x{height} image")
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        return reject(Reason.DECOMPRESSION_BOMB,
                      f"{width}x{height} = {width * height} pixels is over the limit of {limit}")
    if _is_truncated(data, fmt):
        return reject(Reason.TRUNCATED_IMAGE, f"the {fmt} data stops before its end marker")
    if orientation is not None and not (isinstance(orientation, int) and 1 <= orientation <= 8):
        orientation = None
    asset_id = hashlib.sha256(data).hexdigest()
    return ImageFile(
        relative_path=relative_path,
        asset_id=asset_id,
        format="JPEG" if fmt == "MPO" else fmt,
        width_px=width,
        height_px=height,
        exif_orientation=orientation,
        size_bytes=len(data),
        kept=KeptDigest.of(status, asset_id, hashed_at) if status.st_size == len(data) else None,
    )


# Below this many files the threads win (a process pool costs ~1 s to start); above it
# the header parse, which holds the GIL, runs on every core.
PROCESS_POOL_MIN_FILES = 2_000
INSPECT_CHUNK_FILES = 500

_INSPECTED_SCHEMA = pa.schema([
    pa.field("relative_path", pa.string(), nullable=False),
    pa.field("asset_id", pa.string()),
    pa.field("format", pa.string()),
    pa.field("width_px", pa.int64()),
    pa.field("height_px", pa.int64()),
    pa.field("exif_orientation", pa.int64()),
    pa.field("size_bytes", pa.int64()),
    pa.field("reject_table", pa.string()),
    pa.field("reject_reason", pa.string()),
    pa.field("reject_message", pa.string()),
    # the kept digest's status (lakehouse.file_digests.KeptDigest; null: not keyable)
    pa.field("device", pa.uint64()),
    pa.field("inode", pa.uint64()),
    pa.field("modified_at_ns", pa.int64()),
    pa.field("hashed_at_ns", pa.int64()),
])


def _inspect_chunk(items: list[tuple[str, str, bool, int]]) -> pa.RecordBatch:
    """Stage work (``lakehouse.stages``): ``inspect_image`` over (root, path, verify,
    position) items."""
    rows = []
    for root, rel, verify, _ in items:
        found = inspect_image(Path(root), rel, verify)
        if isinstance(found, Reject):
            rows.append({"relative_path": rel, "reject_table": found.landing_table,
                         "reject_reason": str(found.reason), "reject_message": found.message})
        else:
            row = {k: getattr(found, k) for k in (
                "relative_path", "asset_id", "format", "width_px", "height_px",
                "exif_orientation", "size_bytes")}
            if found.kept is not None:
                row.update(device=found.kept.device, inode=found.kept.inode,
                           modified_at_ns=found.kept.modified_at_ns, hashed_at_ns=found.kept.hashed_at_ns)
            rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=_INSPECTED_SCHEMA)


def _from_batch(batch: pa.RecordBatch) -> list[ImageFile | Reject]:
    out: list[ImageFile | Reject] = []
    for r in batch.to_pylist():
        if r["reject_reason"] is not None:
            out.append(Reject(r["reject_table"], r["relative_path"], Reason(r["reject_reason"]),
                              r["reject_message"]))
        else:
            kept = None if r["inode"] is None else KeptDigest(
                r["device"], r["inode"], r["size_bytes"], r["modified_at_ns"], r["asset_id"], r["hashed_at_ns"])
            out.append(ImageFile(r["relative_path"], r["asset_id"], r["format"], r["width_px"],
                                 r["height_px"], r["exif_orientation"], r["size_bytes"], kept))
    return out


def inspect_images(
    root: Path, relative_paths: Iterable[str], verify: bool = False, workers: int | None = None,
    executor: str | None = None,
) -> Iterator[ImageFile | Reject]:
    """``inspect_image`` over many files, in input order, through
    ``lakehouse.stages.run_stage`` on ``executor`` (None: ``default_executor()``). With the
    default ``pool``: from ``PROCESS_POOL_MIN_FILES`` files on (or with ``workers`` > 1
    given), chunks run in a process pool (the header parse holds the GIL, so threads cannot
    use a second core); below it, on a thread pool (hashing and file reads release the
    GIL). ``ray`` always runs the chunks on Ray; ``inprocess`` in this thread."""
    from lakehouse.stages import default_executor, default_workers, run_stage

    paths = list(relative_paths)
    chosen = executor or default_executor()
    processes = workers if workers is not None else default_workers()
    pooled = processes > 1 and (len(paths) >= PROCESS_POOL_MIN_FILES or workers is not None)
    if chosen != "pool" or pooled:
        items = [(str(root), p, verify, i) for i, p in enumerate(paths)]
        done: dict[int, list[ImageFile | Reject]] = {}
        following = 0
        # on Ray only a worker count the caller gave caps the tasks (a cluster has more CPUs)
        cap = workers if chosen == "ray" else processes
        for chunk, batch in run_stage(_inspect_chunk, items, INSPECT_CHUNK_FILES, cap,
                                      start_method="fork", executor=chosen):
            done[chunk[0][3]] = _from_batch(batch)
            while following in done:  # yield in input order, holding only early chunks
                results = done.pop(following)
                following += len(results)
                yield from results
        return
    threads = min(8, (os.cpu_count() or 1) * 2)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        yield from pool.map(lambda p: inspect_image(root, p, verify), paths, chunksize=16)


def dedupe_content(files: list[ImageFile]) -> tuple[list[ImageFile], list[Reject]]:
    """Keep the first file (by path) of each distinct content; reject the copies."""
    seen: dict[str, str] = {}
    kept: list[ImageFile] = []
    rejects: list[Reject] = []
    for f in sorted(files, key=lambda f: f.relative_path):
        first = seen.setdefault(f.asset_id, f.relative_path)
        if first == f.relative_path:
            kept.append(f)
        else:
            rejects.append(Reject(ASSETS_TABLE, f.relative_path, Reason.DUPLICATE_CONTENT,
                                  f"{f.relative_path}: same bytes as {first} (asset {f.asset_id[:12]})"))
    return kept, rejects


@dataclass(frozen=True)
class License:
    """A license as an asset row records it."""

    license_id: str | None = None
    name: str | None = None
    url: str | None = None


def assets_table(
    files: list[ImageFile],
    source: str,
    asset_type: str,
    run_id: str,
    at: datetime,
    licenses: dict[str, License] | None = None,
    attribution_urls: dict[str, str] | None = None,
) -> pa.Table:
    """Rows of the ``assets`` table for ``files``; ``licenses`` and ``attribution_urls`` are
    keyed by relative path (files without an entry get NULLs)."""
    licenses = licenses or {}
    attribution_urls = attribution_urls or {}
    rows = []
    for f in files:
        lic = licenses.get(f.relative_path, License())
        display_w, display_h = f.display_size
        rows.append(
            {
                "asset_id": f.asset_id,
                "source": source,
                "relative_path": f.relative_path,
                "asset_type": asset_type,
                "format": f.format,
                "width_px": f.width_px,
                "height_px": f.height_px,
                "display_width_px": display_w,
                "display_height_px": display_h,
                "exif_orientation": f.exif_orientation,
                "size_bytes": f.size_bytes,
                "license_id": lic.license_id,
                "license_name": lic.name,
                "license_url": lic.url,
                "attribution_url": attribution_urls.get(f.relative_path),
                "ingested_at": at,
                "ingest_run_id": run_id,
            }
        )
    return pa.Table.from_pylist(rows, schema=ASSETS_SCHEMA)
