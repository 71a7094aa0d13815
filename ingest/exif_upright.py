"""Images with an EXIF orientation -> an upright derived copy, and their boxes in its frame.

A JPEG may store its pixels sideways and carry an EXIF orientation tag (2-8) telling
viewers how to turn them. Trainers disagree on that tag (LLaVA's loader ignores it, most
viewers and other loaders apply it), so a box must never ship on the stored file: every
consumer gets one upright copy instead, whose stored pixels are what a viewer shows.

In: the landed asset rows of the images to turn (and the images root they live under),
the warehouse. Out (``make_upright_copies``): PNG files under
``<warehouse>/derived/upright/<source>/<asset_id>.png``, and for the source
``<source>-upright`` (``upright_source``) their ``assets`` rows (images root
``<warehouse>/derived``, like the renders), their ``asset_lineage`` rows (parent: the
original asset, generator ``exif_upright``, a ``render_key`` so an unchanged re-landing
reuses the file instead of encoding it again) and their ``asset_sources`` row. A takedown
of the original follows the lineage to the copy (``int_assets_taken_down``).

The frame of the boxes (``box_frame_expr``): orientations 5-8 swap width and height, so
the JSON's width/height says whether the boxes were drawn on the stored pixels (``raw``)
or on the displayed image (``displayed``). For 2-4 (and a square image under 5-8) both
frames have the same size: the frame is undecidable unless the user names it
(``--exif-frame raw|displayed`` on ``mmfactory land coco``); undecidable images keep
their file and record, and their boxes are rejected (``exif_frame_undecidable``).

Why PNG: the copy must hold exactly the pixels a viewer shows. A JPEG re-encode would
add a second generation of lossy artefacts (and change every pixel a little); PNG keeps
the decoded pixels bit for bit, at about 3.3x the bytes of a quality-95 JPEG (zlib level
1: ~0.25 s a COCO photo on this machine), for what are rare images.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import PIL
from PIL import Image, ImageOps, features

from ingest.image_files import ImageFile, inspect_image, resolve_inside
from lakehouse.atomic import write_content_named
from lakehouse.landing import table_dir
from lakehouse.rejects import Reject
from lakehouse.settings import Warehouse
from lakehouse.tables.assets import ASSETS_SCHEMA
from lakehouse.tables.renders import ASSET_LINEAGE_SCHEMA, ASSET_LINEAGE_TABLE

GENERATOR = "exif_upright"
GENERATOR_VERSION = "1"
LICENSE_RULE = "same_as_parent"
UPRIGHT_DIR = "upright"
SOURCE_KIND = "coco_upright"
SWAPPING_ORIENTATIONS = (5, 6, 7, 8)
#: zlib level 1: 2.6x faster than Pillow's default 6 for 3% more bytes on COCO128 photos
PNG_COMPRESS_LEVEL = 1

BoxFrame = Literal["raw", "displayed"]


def upright_source(source: str) -> str:
    """The source name the upright copies of ``source``'s images land under."""
    return f"{source}-upright"


# --- boxes ---------------------------------------------------------------------------


def raw_to_displayed(x: Any, y: Any, w: Any, h: Any, raw_width_px: Any, raw_height_px: Any,
                     orientation: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """COCO boxes ``[x, y, w, h]`` drawn on the stored pixels (``raw_width_px`` x
    ``raw_height_px``) -> the same boxes on the image as ``ImageOps.exif_transpose`` turns
    it (the displayed frame). Column-like inputs of one length; orientation 1 or anything
    outside 2-8 leaves a box as it is."""
    x, y, w, h, rw, rh = (np.asarray(v, dtype=np.float64) for v in (x, y, w, h, raw_width_px, raw_height_px))
    o = np.asarray(orientation, dtype=np.int64)
    right, bottom = rw - x - w, rh - y - h  # the distances from the far edges
    conditions = [o == 2, o == 3, o == 4, o == 5, o == 6, o == 7, o == 8]
    # 2 mirror left-right, 3 turn 180, 4 mirror top-bottom, 5 transpose (swap axes),
    # 6 turn 90 clockwise, 7 transverse (swap over the other diagonal), 8 turn 90 anticlockwise
    new_x = np.select(conditions, [right, right, x, y, bottom, bottom, y], x)
    new_y = np.select(conditions, [y, bottom, bottom, x, x, right, right], y)
    swaps = np.isin(o, SWAPPING_ORIENTATIONS)
    return new_x, new_y, np.where(swaps, h, w), np.where(swaps, w, h)


# the inverse of each orientation's turn, as an orientation: 6 and 8 undo each other
_INVERSE = np.array([0, 1, 2, 3, 4, 5, 8, 7, 6], dtype=np.int64)


def displayed_to_raw(x: Any, y: Any, w: Any, h: Any, raw_width_px: Any, raw_height_px: Any,
                     orientation: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of ``raw_to_displayed``: boxes on the displayed image -> on the stored
    pixels (sizes are still the stored ones)."""
    o = np.asarray(orientation, dtype=np.int64)
    rw, rh = np.asarray(raw_width_px, dtype=np.float64), np.asarray(raw_height_px, dtype=np.float64)
    swaps = np.isin(o, SWAPPING_ORIENTATIONS)
    dw, dh = np.where(swaps, rh, rw), np.where(swaps, rw, rh)
    inverse = np.where((o >= 2) & (o <= 8), _INVERSE[np.clip(o, 0, 8)], 1)
    return raw_to_displayed(x, y, w, h, dw, dh, inverse)


def box_frame_expr(exif_frame: BoxFrame | None = None) -> pl.Expr:
    """Per matched image row (``exif_orientation``, ``json_width_px``/``json_height_px``,
    ``file_width_px``/``file_height_px``, ``display_width_px``/``display_height_px``): the
    frame its boxes are in, ``raw`` or ``displayed``, or NULL when it cannot be decided.
    Without an orientation (or orientation 1) the frames are one: ``raw``. When the JSON
    size fits only one frame, that frame; when it fits both, ``exif_frame`` (NULL if not
    given)."""
    orientation = pl.col("exif_orientation").fill_null(1)
    fits_raw = (pl.col("json_width_px") == pl.col("file_width_px")) & (
        pl.col("json_height_px") == pl.col("file_height_px"))
    fits_display = (pl.col("json_width_px") == pl.col("display_width_px")) & (
        pl.col("json_height_px") == pl.col("display_height_px"))
    return (
        pl.when(orientation == 1).then(pl.lit("raw"))
        .when(fits_raw & ~fits_display).then(pl.lit("raw"))
        .when(fits_display & ~fits_raw).then(pl.lit("displayed"))
        .when(fits_raw & fits_display).then(pl.lit(exif_frame, dtype=pl.String))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("box_frame")
    )


# --- the copies ----------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    """What the copy's bytes depend on."""
    return {"pillow": PIL.__version__, "zlib": str(features.version("zlib"))}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def upright_key(parent_asset_id: str, orientation: int, libs: str) -> str:
    """sha256 of everything the copy's bytes depend on: the generator and its version, the
    parent's bytes (its asset id), the orientation and the library versions."""
    return hashlib.sha256(_canonical([GENERATOR, GENERATOR_VERSION, parent_asset_id, orientation,
                                      PNG_COMPRESS_LEVEL, libs]).encode()).hexdigest()


_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


def upright_png(data: bytes) -> bytes:
    """The image in ``data`` turned upright (``ImageOps.exif_transpose``) as PNG bytes,
    without the EXIF block (its orientation no longer applies), with its ICC profile."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        icc = img.info.get("icc_profile")
        turned = ImageOps.exif_transpose(img)
    if turned.mode not in _PNG_MODES:
        turned = turned.convert("RGB")
    out = io.BytesIO()
    turned.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL,
                **({"icc_profile": icc} if icc else {}))
    return out.getvalue()


@dataclass
class UprightCopies:
    """What ``make_upright_copies`` made: the rows to land for ``upright_source(source)``,
    the original asset id -> copy asset id, and the originals it could not turn."""

    source: str
    assets: pa.Table
    lineage: pa.Table
    copy_of: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # original asset id -> why
    reused: int = 0

    @property
    def relative_paths(self) -> set[str]:
        return set(self.assets.column("relative_path").to_pylist())


def _landed_keys(wh: Warehouse, name: str) -> dict[str, str]:
    """render_key -> asset id of the copies landed under ``name`` before."""
    path = table_dir(wh, ASSET_LINEAGE_TABLE) / f"{name}.parquet"
    if not path.is_file():
        return {}
    try:
        rows = pq.read_table(path, columns=["asset_id", "render_key"]).to_pylist()
    except (OSError, KeyError, pa.ArrowInvalid):
        return {}
    return {r["render_key"]: r["asset_id"] for r in rows if r["render_key"]}


def make_upright_copies(wh: Warehouse, source: str, images_root: Path, originals: list[Mapping[str, Any]],
                        run_id: str, at: datetime) -> UprightCopies:
    """Write the upright copy of every asset row in ``originals`` (rows of the ``assets``
    table of ``source``, each with an ``exif_orientation`` of 2-8) and return the rows to
    land. A copy with the same ``render_key`` already landed and its file on disk is
    reused, not encoded again. An original that cannot be decoded whole is in ``failed``."""
    name = upright_source(source)
    made = UprightCopies(source=name, assets=ASSETS_SCHEMA.empty_table(),
                         lineage=ASSET_LINEAGE_SCHEMA.empty_table())
    if not originals:
        return made
    root = wh.derived
    libs = _canonical(library_versions())
    landed = _landed_keys(wh, name)
    asset_rows: list[dict[str, Any]] = []
    lineage_rows: list[dict[str, Any]] = []
    for row in sorted(originals, key=lambda r: r["asset_id"]):
        parent, orientation = row["asset_id"], int(row["exif_orientation"])
        if parent in made.copy_of or parent in made.failed:
            continue
        key = upright_key(parent, orientation, libs)
        found: ImageFile | Reject | None = None
        if key in landed:
            rel = f"{UPRIGHT_DIR}/{source}/{landed[key]}.png"
            found = inspect_image(root, rel) if (root / rel).is_file() else None
            if isinstance(found, ImageFile) and found.asset_id == landed[key]:
                made.reused += 1
            else:
                found = None
        if found is None:
            original = resolve_inside(images_root, row["relative_path"])
            try:
                if isinstance(original, Reject):
                    raise OSError(original.message)
                data = upright_png(original.read_bytes())
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
                made.failed[parent] = f"{row['relative_path']}: its upright copy cannot be made ({exc})"
                continue
            digest = hashlib.sha256(data).hexdigest()
            rel = f"{UPRIGHT_DIR}/{source}/{digest}.png"
            write_content_named(root / rel, data)
            found = inspect_image(root, rel)
        if not isinstance(found, ImageFile):
            made.failed[parent] = f"{row['relative_path']}: its upright copy cannot be read ({found.message})"
            continue
        made.copy_of[parent] = found.asset_id
        asset_rows.append({
            "asset_id": found.asset_id, "source": name, "relative_path": found.relative_path,
            "asset_type": row["asset_type"], "format": found.format,
            "width_px": found.width_px, "height_px": found.height_px,
            "display_width_px": found.width_px, "display_height_px": found.height_px,
            "exif_orientation": None, "size_bytes": found.size_bytes,
            **{k: row.get(k) for k in ("license_id", "license_name", "license_url", "attribution_url")},
            "ingested_at": at, "ingest_run_id": run_id,
        })
        lineage_rows.append({
            "asset_id": found.asset_id, "source": name, "parent_asset_id": parent,
            "parent_order": 0, "parent_source": source,
            "parent_license_id": row.get("license_id"), "parent_license_name": row.get("license_name"),
            "generator": GENERATOR, "generator_version": GENERATOR_VERSION,
            "params_json": _canonical({"exif_orientation": orientation,
                                       "method": "PIL.ImageOps.exif_transpose", "format": "PNG",
                                       "png_compress_level": PNG_COMPRESS_LEVEL}),
            "seed": 0, "library_versions_json": libs, "license_rule": LICENSE_RULE,
            "render_key": key, "ingested_at": at, "ingest_run_id": run_id,
        })
    made.assets = pa.Table.from_pylist(asset_rows, schema=ASSETS_SCHEMA)
    made.lineage = pa.Table.from_pylist(lineage_rows, schema=ASSET_LINEAGE_SCHEMA)
    return made


def remove_stale_copies(wh: Warehouse, source: str, keep: set[str]) -> int:
    """Delete the copies under ``derived/upright/<source>/`` that ``keep`` (relative
    paths) does not name; call after the landing that replaced them committed. Returns
    how many were removed."""
    folder = wh.derived / UPRIGHT_DIR / source
    removed = 0
    for path in folder.glob("*.png") if folder.is_dir() else []:
        if f"{UPRIGHT_DIR}/{source}/{path.name}" not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed

