"""A COCO ``instances.json`` plus its images folder -> landed Parquet tables, or rejects.

In: the images root, the annotation file, a source name. Out (one file per source each):
``assets`` (every readable image file under the root), ``coco_images``,
``coco_annotations``, ``coco_categories``, ``coco_licenses`` and ``rejects``.

The JSON is streamed section by section (``json_stream.iter_items``) into columnar
batches; validation is vectorized with polars over the whole columns afterwards.

Decisions, in the order the checks run (each rejected record gets one reason):

- An image record is rejected when it is malformed, when its id is used twice (every
  record with that id: no annotation can be attributed), when its file is missing or
  unreadable (the file's own reason), or when its JSON width/height matches neither the
  file's stored size nor its EXIF-displayed size (``size_mismatch``).
- EXIF orientation: an image whose file carries an orientation tag other than 1 lands,
  but its annotations do not (``exif_orientation``). LLaVA's loader ignores EXIF while
  viewers and other trainers apply it, so no single frame of its boxes is right for every
  consumer, and a box must never ship on an image displayed in another frame.
- An annotation is rejected when it is malformed, its id is used twice, its image is
  unknown or was rejected, its category is unknown, or its box is non-finite, has a
  negative or zero width or height, or reaches beyond the image by more than
  ``bbox_tolerance_px`` (default 1 px) on any side. A box that pokes out by less lands as
  given; the 0..1000 grid clamps it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson
import polars as pl
import pyarrow as pa

from ingest.image_files import (
    ASSETS_SCHEMA,
    ASSETS_TABLE,
    ImageFile,
    License,
    assets_table,
    dedupe_content,
    inspect_images,
    walk_images,
)
from ingest.json_stream import iter_items, to_float
from ingest.landing import LandingError, check_source_name, land_table, new_run_id, utc_now
from ingest.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from ingest.report import LandingReport
from ingest.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE, source_row
from mmfactory.settings import Warehouse

IMAGES_TABLE = "coco_images"
ANNOTATIONS_TABLE = "coco_annotations"
CATEGORIES_TABLE = "coco_categories"
LICENSES_TABLE = "coco_licenses"

_RUN_FIELDS = [
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("ingest_run_id", pa.string(), nullable=False),
]

COCO_IMAGES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("coco_image_id", pa.int64(), nullable=False),
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("width_px", pa.int32(), nullable=False),
        pa.field("height_px", pa.int32(), nullable=False),
        pa.field("license_id", pa.string()),
        pa.field("coco_url", pa.string()),
        pa.field("flickr_url", pa.string()),
        pa.field("date_captured", pa.string()),
        pa.field("has_exif_orientation", pa.bool_(), nullable=False),
        *_RUN_FIELDS,
    ]
)

COCO_ANNOTATIONS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("annotation_id", pa.int64(), nullable=False),
        pa.field("coco_image_id", pa.int64(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("bbox_x", pa.float64(), nullable=False),
        pa.field("bbox_y", pa.float64(), nullable=False),
        pa.field("bbox_w", pa.float64(), nullable=False),
        pa.field("bbox_h", pa.float64(), nullable=False),
        pa.field("area", pa.float64()),
        pa.field("is_crowd", pa.bool_(), nullable=False),
        pa.field("has_segmentation", pa.bool_(), nullable=False),
        *_RUN_FIELDS,
    ]
)

COCO_CATEGORIES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("category_name", pa.string(), nullable=False),
        pa.field("supercategory", pa.string()),
        *_RUN_FIELDS,
    ]
)

COCO_LICENSES_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("license_id", pa.string(), nullable=False),
        pa.field("license_name", pa.string()),
        pa.field("license_url", pa.string()),
        *_RUN_FIELDS,
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {
    IMAGES_TABLE: COCO_IMAGES_SCHEMA,
    ANNOTATIONS_TABLE: COCO_ANNOTATIONS_SCHEMA,
    CATEGORIES_TABLE: COCO_CATEGORIES_SCHEMA,
    LICENSES_TABLE: COCO_LICENSES_SCHEMA,
}

DEFAULT_BBOX_TOLERANCE_PX = 1.0
_BATCH_ROWS = 200_000


class CocoFileError(ValueError):
    """The annotation file as a whole cannot be read (not JSON, not a COCO object)."""


@dataclass
class CocoLanding:
    """What a COCO landing produced: tables to write and the rejects, before writing."""

    assets: pa.Table
    tables: dict[str, pa.Table]
    rejects: list[Reject]
    rows_in: dict[str, int] = field(default_factory=dict)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _sections(path: Path, section: str) -> Iterator[Any]:
    try:
        yield from iter_items(path, section)
    except ijson.JSONError as exc:
        raise CocoFileError(f"{path}: not valid JSON ({exc})".replace("\n", " ")) from exc
    except OSError as exc:
        raise CocoFileError(f"{path}: cannot be read ({exc.strerror})") from exc


def _check_top_level(path: Path) -> None:
    """Fail with a clear message if ``path`` is missing, empty or not a JSON object."""
    if not path.is_file():
        raise CocoFileError(f"{path}: annotation file not found")
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    if not head:
        raise CocoFileError(f"{path}: the annotation file is empty")
    if not head.startswith(b"{"):
        raise CocoFileError(f"{path}: a COCO annotation file is a JSON object; this one starts with {head[:20]!r}")


def read_licenses(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``licenses`` section: one row per well-formed license record."""
    rows, rejects = [], []
    for i, rec in enumerate(_sections(path, "licenses")):
        lid = _as_int(rec.get("id")) if isinstance(rec, dict) else None
        if lid is None:
            rejects.append(Reject(LICENSES_TABLE, f"licenses[{i}]", Reason.MALFORMED_RECORD,
                                  f"licenses[{i}]: a license needs an integer id, got {rec!r:.200}"))
            continue
        rows.append({"license_id": str(lid), "license_name": _as_str(rec.get("name")),
                     "license_url": _as_str(rec.get("url"))})
    frame = pl.DataFrame(rows, schema={"license_id": pl.String, "license_name": pl.String,
                                       "license_url": pl.String}, orient="row")
    return _drop_duplicate_ids(frame, "license_id", LICENSES_TABLE, "license",
                               Reason.MALFORMED_RECORD, rejects)


def read_categories(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``categories`` section: id, name and supercategory per well-formed record."""
    rows, rejects = [], []
    for i, rec in enumerate(_sections(path, "categories")):
        cid = _as_int(rec.get("id")) if isinstance(rec, dict) else None
        name = rec.get("name") if isinstance(rec, dict) else None
        if cid is None or not isinstance(name, str) or not name.strip():
            rejects.append(Reject(CATEGORIES_TABLE, f"categories[{i}]", Reason.MALFORMED_RECORD,
                                  f"categories[{i}]: a category needs an integer id and a name, got {rec!r:.200}"))
            continue
        rows.append({"category_id": cid, "category_name": name.strip(),
                     "supercategory": _as_str(rec.get("supercategory"))})
    frame = pl.DataFrame(rows, schema={"category_id": pl.Int64, "category_name": pl.String,
                                       "supercategory": pl.String}, orient="row")
    return _drop_duplicate_ids(frame, "category_id", CATEGORIES_TABLE, "category",
                               Reason.DUPLICATE_CATEGORY_ID, rejects)


def read_images(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``images`` section: one row per well-formed image record (duplicates dropped)."""
    rows, rejects = [], []
    for i, rec in enumerate(_sections(path, "images")):
        if not isinstance(rec, dict):
            rec = {}
        iid, w, h = _as_int(rec.get("id")), _as_int(rec.get("width")), _as_int(rec.get("height"))
        name = rec.get("file_name")
        if iid is None or w is None or h is None or not isinstance(name, str) or not name:
            rejects.append(Reject(IMAGES_TABLE, f"images[{i}]", Reason.MALFORMED_RECORD,
                                  f"images[{i}]: an image needs integer id, width, height and a "
                                  f"file_name, got {rec!r:.200}"))
            continue
        lic = rec.get("license")
        rows.append({
            "coco_image_id": iid, "file_name": name, "json_width_px": w, "json_height_px": h,
            "license_id": None if lic is None else str(lic),
            "coco_url": _as_str(rec.get("coco_url")), "flickr_url": _as_str(rec.get("flickr_url")),
            "date_captured": _as_str(rec.get("date_captured")),
        })
    frame = pl.DataFrame(rows, schema={
        "coco_image_id": pl.Int64, "file_name": pl.String, "json_width_px": pl.Int64,
        "json_height_px": pl.Int64, "license_id": pl.String, "coco_url": pl.String,
        "flickr_url": pl.String, "date_captured": pl.String}, orient="row")
    return _drop_duplicate_ids(frame, "coco_image_id", IMAGES_TABLE, "image",
                               Reason.DUPLICATE_IMAGE_ID, rejects)


def _drop_duplicate_ids(frame: pl.DataFrame, key: str, table: str, noun: str, reason: Reason,
                        rejects: list[Reject]) -> tuple[pl.DataFrame, list[Reject]]:
    """Reject every record whose ``key`` occurs more than once (none can be trusted)."""
    dup = frame.filter(pl.col(key).is_duplicated())
    for value, count in dup.group_by(key).len().sort(key).iter_rows():
        for _ in range(count):
            rejects.append(Reject(table, f"{noun} {value}", reason,
                                  f"{noun} {value}: its id occurs {count} times in the file"))
    return frame.filter(~pl.col(key).is_duplicated()), rejects


_ANN_COLUMNS = {
    "annotation_id": pl.Int64, "coco_image_id": pl.Int64, "category_id": pl.Int64,
    "bbox_x": pl.Float64, "bbox_y": pl.Float64, "bbox_w": pl.Float64, "bbox_h": pl.Float64,
    "area": pl.Float64, "is_crowd": pl.Boolean, "has_segmentation": pl.Boolean,
}


def read_annotations(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``annotations`` section as columns, streamed in batches; box values that are not
    numbers (or are the quoted non-finite tokens) become NaN for the box checks."""
    cols: dict[str, list[Any]] = {name: [] for name in _ANN_COLUMNS}
    batches: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    nan = math.nan
    for i, rec in enumerate(_sections(path, "annotations")):
        if not isinstance(rec, dict):
            rec = {}
        aid, iid, cid = _as_int(rec.get("id")), _as_int(rec.get("image_id")), _as_int(rec.get("category_id"))
        bbox = rec.get("bbox")
        if aid is None or iid is None or cid is None or not isinstance(bbox, list) or len(bbox) != 4:
            label = f"annotation {rec['id']}" if "id" in rec else f"annotations[{i}]"
            rejects.append(Reject(ANNOTATIONS_TABLE, label, Reason.MALFORMED_RECORD,
                                  f"{label}: needs integer id, image_id, category_id and a bbox of "
                                  f"4 numbers, got {rec!r:.200}"))
            continue
        x, y, w, h = (to_float(v) for v in bbox)
        crowd = rec.get("iscrowd", 0)
        cols["annotation_id"].append(aid)
        cols["coco_image_id"].append(iid)
        cols["category_id"].append(cid)
        cols["bbox_x"].append(nan if x is None else x)
        cols["bbox_y"].append(nan if y is None else y)
        cols["bbox_w"].append(nan if w is None else w)
        cols["bbox_h"].append(nan if h is None else h)
        cols["area"].append(to_float(rec.get("area")))
        cols["is_crowd"].append(bool(crowd) and crowd not in ("0", "false"))
        cols["has_segmentation"].append(bool(rec.get("segmentation")))
        if len(cols["annotation_id"]) >= _BATCH_ROWS:
            batches.append(pl.DataFrame(cols, schema=_ANN_COLUMNS))
            cols = {name: [] for name in _ANN_COLUMNS}
    batches.append(pl.DataFrame(cols, schema=_ANN_COLUMNS))
    frame = pl.concat(batches, rechunk=True)
    return _drop_duplicate_ids(frame, "annotation_id", ANNOTATIONS_TABLE, "annotation",
                               Reason.DUPLICATE_ANNOTATION_ID, rejects)


def _file_frame(files: list[ImageFile]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "file_name": [f.relative_path for f in files],
            "asset_id": [f.asset_id for f in files],
            "file_width_px": [f.width_px for f in files],
            "file_height_px": [f.height_px for f in files],
            "display_width_px": [f.display_size[0] for f in files],
            "display_height_px": [f.display_size[1] for f in files],
            "has_exif_orientation": [f.is_reoriented for f in files],
        },
        schema={"file_name": pl.String, "asset_id": pl.String, "file_width_px": pl.Int64,
                "file_height_px": pl.Int64, "display_width_px": pl.Int64,
                "display_height_px": pl.Int64, "has_exif_orientation": pl.Boolean},
    )


def match_images(images: pl.DataFrame, files: list[ImageFile],
                 file_rejects: dict[str, Reject]) -> tuple[pl.DataFrame, list[Reject]]:
    """Join image records to their files; reject records whose file did not land or whose
    JSON size fits neither the stored nor the displayed size."""
    joined = images.join(_file_frame(files), on="file_name", how="left")
    rejects: list[Reject] = []
    missing = joined.filter(pl.col("asset_id").is_null())
    for iid, name in missing.select("coco_image_id", "file_name").iter_rows():
        cause = file_rejects.get(name)
        why = cause.message if cause else f"{name}: not found under the images root"
        rejects.append(Reject(IMAGES_TABLE, f"image {iid}",
                              cause.reason if cause else Reason.MISSING_FILE, f"image {iid}: {why}"))
    found = joined.filter(pl.col("asset_id").is_not_null())
    fits_raw = (pl.col("json_width_px") == pl.col("file_width_px")) & (
        pl.col("json_height_px") == pl.col("file_height_px"))
    fits_display = (pl.col("json_width_px") == pl.col("display_width_px")) & (
        pl.col("json_height_px") == pl.col("display_height_px"))
    bad = found.filter(~(fits_raw | fits_display))
    for row in bad.iter_rows(named=True):
        rejects.append(Reject(
            IMAGES_TABLE, f"image {row['coco_image_id']}", Reason.SIZE_MISMATCH,
            f"image {row['coco_image_id']} ({row['file_name']}): the JSON says "
            f"{row['json_width_px']}x{row['json_height_px']}, the file is "
            f"{row['file_width_px']}x{row['file_height_px']} (displayed "
            f"{row['display_width_px']}x{row['display_height_px']})"))
    return found.filter(fits_raw | fits_display), rejects


def validate_annotations(annotations: pl.DataFrame, images: pl.DataFrame, rejected_image_ids: set[int],
                         category_ids: pl.Series, tolerance_px: float) -> tuple[pl.DataFrame, list[Reject]]:
    """Give each annotation the first reason it fails, keep those with none."""
    frame = annotations.join(
        images.select("coco_image_id", "json_width_px", "json_height_px", "has_exif_orientation"),
        on="coco_image_id", how="left",
    )
    x, y, w, h = (pl.col(c) for c in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    width, height = pl.col("json_width_px"), pl.col("json_height_px")
    finite = x.is_finite() & y.is_finite() & w.is_finite() & h.is_finite()
    reason = (
        pl.when(width.is_null() & pl.col("coco_image_id").is_in(list(rejected_image_ids)))
        .then(pl.lit(str(Reason.IMAGE_REJECTED)))
        .when(width.is_null()).then(pl.lit(str(Reason.UNKNOWN_IMAGE)))
        .when(~pl.col("category_id").is_in(category_ids.implode())).then(pl.lit(str(Reason.UNKNOWN_CATEGORY)))
        .when(pl.col("has_exif_orientation")).then(pl.lit(str(Reason.EXIF_ORIENTATION)))
        .when(~finite).then(pl.lit(str(Reason.NON_FINITE_BBOX)))
        .when((w < 0) | (h < 0)).then(pl.lit(str(Reason.NEGATIVE_BBOX)))
        .when((w == 0) | (h == 0)).then(pl.lit(str(Reason.ZERO_SIZE_BBOX)))
        .when((x < -tolerance_px) | (y < -tolerance_px) | (x + w > width + tolerance_px)
              | (y + h > height + tolerance_px)).then(pl.lit(str(Reason.BBOX_OUT_OF_BOUNDS)))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("reason_code")
    )
    frame = frame.with_columns(reason)
    bad = frame.filter(pl.col("reason_code").is_not_null())
    rejects = [
        Reject(ANNOTATIONS_TABLE, f"annotation {r['annotation_id']}", Reason(r["reason_code"]),
               _annotation_message(r, tolerance_px))
        for r in bad.iter_rows(named=True)
    ]
    good = frame.filter(pl.col("reason_code").is_null()).select(list(_ANN_COLUMNS))
    return good, rejects


def _annotation_message(r: dict[str, Any], tolerance_px: float) -> str:
    box = f"[{r['bbox_x']}, {r['bbox_y']}, {r['bbox_w']}, {r['bbox_h']}]"
    head = f"annotation {r['annotation_id']} (image {r['coco_image_id']})"
    match Reason(r["reason_code"]):
        case Reason.IMAGE_REJECTED:
            return f"{head}: its image was rejected (see the image's own reject row)"
        case Reason.UNKNOWN_IMAGE:
            return f"{head}: no image with id {r['coco_image_id']} in the file"
        case Reason.UNKNOWN_CATEGORY:
            return f"{head}: no category with id {r['category_id']} in the file"
        case Reason.EXIF_ORIENTATION:
            return (f"{head}: the image file carries an EXIF orientation tag, so viewers and "
                    "trainers disagree on the frame of its boxes")
        case Reason.NON_FINITE_BBOX:
            return f"{head}: bbox {box} has a value that is not a finite number"
        case Reason.NEGATIVE_BBOX:
            return f"{head}: bbox {box} has a negative width or height"
        case Reason.ZERO_SIZE_BBOX:
            return f"{head}: bbox {box} has zero width or height"
        case _:
            return (f"{head}: bbox {box} reaches beyond the {r['json_width_px']}x"
                    f"{r['json_height_px']} image by more than {tolerance_px:g} px")


def land_coco_frames(
    images_root: Path,
    annotations_path: Path,
    source: str,
    run_id: str,
    at: datetime,
    bbox_tolerance_px: float = DEFAULT_BBOX_TOLERANCE_PX,
    verify: bool = False,
    progress: Any = None,
) -> CocoLanding:
    """Read, check and join everything; return the tables to land (nothing written yet).

    ``progress``, if given, is called as ``progress(step, done, total)``.
    """
    _check_top_level(annotations_path)
    rejects: list[Reject] = []
    licenses, r = read_licenses(annotations_path)
    rejects += r
    categories, r = read_categories(annotations_path)
    rejects += r
    images, r = read_images(annotations_path)
    rejects += r
    duplicate_image_ids = {int(x.item.split()[-1]) for x in r if x.reason == Reason.DUPLICATE_IMAGE_ID}
    annotations, r = read_annotations(annotations_path)
    rejects += r
    rows_in = {
        LICENSES_TABLE: len(licenses) + sum(x.landing_table == LICENSES_TABLE for x in rejects),
        CATEGORIES_TABLE: len(categories) + sum(x.landing_table == CATEGORIES_TABLE for x in rejects),
        IMAGES_TABLE: len(images) + sum(x.landing_table == IMAGES_TABLE for x in rejects),
        ANNOTATIONS_TABLE: len(annotations) + sum(x.landing_table == ANNOTATIONS_TABLE for x in rejects),
    }

    # Files: everything under the root, plus paths the JSON names that the walk did not
    # find (so a missing or escaping path is judged and gets its reason).
    on_disk = walk_images(images_root)
    listed = images.get_column("file_name").to_list()
    paths = sorted(set(on_disk) | set(listed))
    rows_in["assets"] = len(paths)
    inspected: list[ImageFile] = []
    file_rejects: dict[str, Reject] = {}
    for i, result in enumerate(inspect_images(images_root, paths, verify=verify)):
        if isinstance(result, ImageFile):
            inspected.append(result)
        else:
            file_rejects[result.item] = result
        if progress is not None:
            progress("images", i + 1, len(paths))
    files, dup_rejects = dedupe_content(inspected)
    for rej in dup_rejects:
        file_rejects[rej.item] = rej
    rejects += file_rejects.values()

    matched, r = match_images(images, files, file_rejects)
    rejects += r
    rejected_image_ids = (set(images.get_column("coco_image_id").to_list()) | duplicate_image_ids) - set(
        matched.get_column("coco_image_id").to_list())
    good_annotations, r = validate_annotations(
        annotations, matched, rejected_image_ids, categories.get_column("category_id"), bbox_tolerance_px)
    rejects += r

    license_rows = {row["license_id"]: row for row in licenses.iter_rows(named=True)}
    by_file = {row["file_name"]: row for row in matched.iter_rows(named=True)}
    asset_licenses = {
        name: License(f"{source}:{row['license_id']}", license_rows.get(row["license_id"], {}).get("license_name"),
                      license_rows.get(row["license_id"], {}).get("license_url"))
        for name, row in by_file.items() if row["license_id"] is not None
    }
    attribution = {name: row["flickr_url"] or row["coco_url"] for name, row in by_file.items()
                   if row["flickr_url"] or row["coco_url"]}
    assets = assets_table(files, source, "general_image", run_id, at, asset_licenses, attribution)

    stamp = {"source": source, "ingested_at": at, "ingest_run_id": run_id}
    tables = {
        IMAGES_TABLE: _stamped(matched.rename({"json_width_px": "width_px", "json_height_px": "height_px"}),
                               stamp, COCO_IMAGES_SCHEMA),
        ANNOTATIONS_TABLE: _stamped(good_annotations, stamp, COCO_ANNOTATIONS_SCHEMA),
        CATEGORIES_TABLE: _stamped(categories, stamp, COCO_CATEGORIES_SCHEMA),
        LICENSES_TABLE: _stamped(licenses, stamp, COCO_LICENSES_SCHEMA),
    }
    return CocoLanding(assets=assets, tables=tables, rejects=rejects, rows_in=rows_in)


def _stamped(frame: pl.DataFrame, stamp: dict[str, Any], schema: pa.Schema) -> pa.Table:
    """``frame`` with the source and run columns added, cast to ``schema``."""
    frame = frame.with_columns(
        pl.lit(stamp["source"]).alias("source"),
        pl.lit(stamp["ingest_run_id"]).alias("ingest_run_id"),
        pl.lit(stamp["ingested_at"]).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return frame.select(schema.names).to_arrow().cast(schema)


def land_coco(
    wh: Warehouse,
    images_root: Path,
    annotations_path: Path,
    source: str,
    bbox_tolerance_px: float = DEFAULT_BBOX_TOLERANCE_PX,
    verify: bool = False,
    progress: Any = None,
) -> LandingReport:
    """Land a COCO source into ``wh``: every table's file for ``source`` is replaced
    atomically, so landing the same input twice leaves the same rows.

    Raises ``CocoFileError`` or ``LandingError`` (nothing written) when the annotation
    file or the images root cannot be used at all.
    """
    check_source_name(source)
    if not images_root.is_dir():
        raise LandingError(f"{images_root}: images root is not a directory")
    run_id, at = new_run_id(), utc_now()
    landing = land_coco_frames(images_root, annotations_path, source, run_id, at,
                               bbox_tolerance_px, verify, progress)
    report = LandingReport(source=source, rows_in=landing.rows_in, rejects=landing.rejects)
    outputs = {ASSETS_TABLE: (landing.assets, ASSETS_SCHEMA),
               **{name: (table, LANDED_TABLES[name]) for name, table in landing.tables.items()}}
    for name, (table, schema) in outputs.items():
        report.files.append(land_table(wh, name, source, table, schema))
        report.rows_landed[name] = table.num_rows
    report.files.append(land_table(wh, REJECTS_TABLE, source,
                                   rejects_table(landing.rejects, source, run_id, at), REJECTS_SCHEMA))
    report.files.append(land_table(
        wh, ASSET_SOURCES_TABLE, source,
        source_row(source, "coco", "general_image", images_root, annotations_path, run_id, at),
        ASSET_SOURCES_SCHEMA))
    return report
