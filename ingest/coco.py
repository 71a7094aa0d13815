"""A COCO ``instances.json`` plus its images folder -> landed Parquet tables, or rejects.

In: the images root, the annotation file, a source name. Out (one file per source each):
``assets`` (every readable image file under the root), ``coco_images``,
``coco_annotations``, ``coco_categories``, ``coco_licenses`` and ``rejects``.

The JSON is streamed (``read_coco_json``): the small sections before ``annotations`` in
one short pass that stops there, then ``annotations`` (and any section found after it) in
one pass over the whole file, with polygon coordinates dropped before parsing (see
``json_stream``) and records turned into columns a batch at a time. Validation is
vectorized with polars over the whole columns afterwards. The steps are public so that a
benchmark can time them one by one: ``read_coco_json``, ``inspect_coco_files``,
``assemble_coco_landing`` and ``write_coco_landing``.

Decisions, in the order the checks run (each rejected record gets one reason):

- An image record is rejected when it is malformed, when its id is used twice (every
  record with that id: no annotation can be attributed), when its file is missing or
  unreadable (the file's own reason), or when its JSON width/height matches neither the
  file's stored size nor its EXIF-displayed size (``size_mismatch``).
- EXIF orientation: an image whose file carries an orientation tag other than 1 ships as
  an upright derived copy (``ingest.exif_upright``: LLaVA's loader ignores EXIF while
  viewers and other trainers apply it, so only pixels stored upright mean one frame to
  every consumer). The JSON's width/height says which frame its boxes were drawn in
  (stored or displayed); boxes in the stored frame are turned into the upright one. When
  the size cannot tell (orientations 2-4, a square image) and ``exif_frame`` is not
  given, the image lands on its original file and its boxes are rejected
  (``exif_frame_undecidable``).
- An annotation is rejected when it is malformed, its id is used twice, its image is
  unknown or was rejected, its category is unknown, or its box is non-finite, has a
  negative or zero width or height, or reaches beyond the image by more than
  ``bbox_tolerance_px`` (default 1 px) on any side. A box that pokes out by less lands as
  given; the 0..1000 grid clamps it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

import ijson
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

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
from ingest.exif_upright import (
    BoxFrame,
    UprightCopies,
    box_frame_expr,
    make_upright_copies,
    raw_to_displayed,
    remove_stale_copies,
    upright_source,
)
from ingest.exif_upright import SOURCE_KIND as UPRIGHT_KIND
from ingest.json_guard import encoding_problem, scan_bounds
from ingest.json_stream import (
    BackgroundCompactingReader,
    NonFiniteTolerantReader,
    SectionStream,
    iter_compacted_items,
    iter_items,
    may_show_compacted,
    paused_gc,
    scan_head,
    to_float,
    trailing_section_items,
)
from lakehouse.commit import SourceCommit, check_claim
from lakehouse.file_digests import KeptDigest, keep_digests
from lakehouse.landing import LandingError, check_source_name, new_run_id, utc_now
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.report import LandingReport
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE, source_row
from lakehouse.tables.renders import ASSET_LINEAGE_SCHEMA, ASSET_LINEAGE_TABLE
from lakehouse.tables.coco import (
    ANNOTATIONS_TABLE,
    CATEGORIES_TABLE,
    COCO_ANNOTATIONS_SCHEMA,
    COCO_CATEGORIES_SCHEMA,
    COCO_IMAGES_SCHEMA,
    COCO_LICENSES_SCHEMA,
    IMAGES_TABLE,
    LANDED_TABLES,
    LICENSES_TABLE,
)

SOURCE_KIND = "coco"
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
    collapsed: dict[str, int] = field(default_factory=dict)
    #: asset ids of the EXIF-oriented originals whose images ship as an upright copy
    to_upright: list[str] = field(default_factory=list)
    #: the landed files' status and sha256 as read, kept for the contracts' check 6
    kept_digests: list[KeptDigest] = field(default_factory=list)


_INT64 = range(-(2**63), 2**63)


def _as_int(value: Any) -> int | None:
    """An integer id or size that fits the int64 columns, else None (a malformed record)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value in _INT64:
        return value
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
    except UnicodeDecodeError as exc:
        raise CocoFileError(_not_utf8(path, exc)) from exc
    except OSError as exc:
        raise CocoFileError(f"{path}: cannot be read ({exc.strerror})") from exc


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    return (f"{path}: not valid UTF-8 text ({exc.reason}: {exc.object[exc.start:exc.end]!r}); "
            f"JSON files must be UTF-8 ({Reason.INVALID_ENCODING})")


def _check_top_level(path: Path) -> None:
    """Fail with a clear message if ``path`` is missing, empty or not a JSON object."""
    if not path.is_file():
        raise CocoFileError(f"{path}: annotation file not found")
    with open(path, "rb") as f:
        raw_head = f.read(4096)
    head = raw_head.lstrip()
    if not head:
        raise CocoFileError(f"{path}: the annotation file is empty")
    problem = encoding_problem(raw_head)
    if problem is not None:
        raise CocoFileError(f"{path}: {problem.message} ({problem.reason})")
    if not head.startswith(b"{"):
        raise CocoFileError(f"{path}: a COCO annotation file is a JSON object; this one starts with {head[:20]!r}")
    problem = scan_bounds(path)
    if problem is not None:
        raise CocoFileError(f"{path}: {problem.message} ({problem.reason})")


#: top-level sections that must be arrays when present (``images`` must be present)
_LIST_SECTIONS = ("images", "annotations", "categories", "licenses")


def section_kinds(path: Path) -> dict[str, str]:
    """The JSON type of every top-level value of the file (``array``, ``object``,
    ``string``, ``number``, ``boolean``, ``null``), by key: one tokenizing pass, run only
    when a section came out empty (is it missing, empty, or not an array at all?)."""
    kinds: dict[str, str] = {}
    names = {"start_array": "array", "start_map": "object", "string": "string",
             "number": "number", "integer": "number", "double": "number",
             "boolean": "boolean", "null": "null"}
    pending: str | None = None
    with open(path, "rb") as raw, BackgroundCompactingReader(raw) as compacted:
        for prefix, event, value in ijson.parse(NonFiniteTolerantReader(compacted), use_float=True):
            if pending is not None:
                kinds.setdefault(pending, names.get(event, event))
                pending = None
            elif prefix == "" and event == "map_key":
                pending = value
    return kinds


def check_sections(path: Path, coco: CocoJson) -> None:
    """Raise ``CocoFileError`` when ``images`` is missing or a section is not an array
    (checked when a section came out empty: a file of real records needs no extra pass)."""
    if len(coco.images) and len(coco.annotations) and len(coco.categories):
        return
    try:
        kinds = section_kinds(path)
    except ijson.JSONError as exc:
        raise CocoFileError(f"{path}: not valid JSON ({exc})".replace("\n", " ")) from exc
    except UnicodeDecodeError as exc:
        raise CocoFileError(_not_utf8(path, exc)) from exc
    if "images" not in kinds:
        raise CocoFileError(f"{path}: a COCO annotation file has an 'images' array; this one has "
                            f"none (top-level keys: {', '.join(sorted(kinds)) or 'none'})")
    bad = [f"'{k}' is {'an' if kinds[k][0] in 'aeiou' else 'a'} {kinds[k]}"
           for k in _LIST_SECTIONS if kinds.get(k, "array") != "array"]
    if bad:
        raise CocoFileError(f"{path}: {', '.join(bad)}; a COCO file's images, annotations, "
                            "categories and licenses are arrays (nothing was changed)")


def read_licenses(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``licenses`` section: one row per well-formed license record."""
    return licenses_frame(_sections(path, "licenses"))


def licenses_frame(records: Iterable[Any], collapsed: Counter[str] | None = None
                  ) -> tuple[pl.DataFrame, list[Reject]]:
    """``read_licenses`` on records already parsed."""
    rows, rejects = [], []
    for i, rec in enumerate(records):
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
                               Reason.MALFORMED_RECORD, rejects, collapsed)


def read_categories(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``categories`` section: id, name and supercategory per well-formed record."""
    return categories_frame(_sections(path, "categories"))


def categories_frame(records: Iterable[Any], collapsed: Counter[str] | None = None
                  ) -> tuple[pl.DataFrame, list[Reject]]:
    """``read_categories`` on records already parsed."""
    rows, rejects = [], []
    for i, rec in enumerate(records):
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
                               Reason.DUPLICATE_CATEGORY_ID, rejects, collapsed)


def read_images(path: Path) -> tuple[pl.DataFrame, list[Reject]]:
    """The ``images`` section: one row per well-formed image record (duplicates dropped)."""
    return images_frame(_sections(path, "images"))


def images_frame(records: Iterable[Any], collapsed: Counter[str] | None = None
                  ) -> tuple[pl.DataFrame, list[Reject]]:
    """``read_images`` on records already parsed."""
    rows, rejects = [], []
    for i, rec in enumerate(records):
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
                               Reason.DUPLICATE_IMAGE_ID, rejects, collapsed)


def _drop_duplicate_ids(frame: pl.DataFrame, key: str, table: str, noun: str, reason: Reason,
                        rejects: list[Reject], collapsed: Counter[str] | None = None
                        ) -> tuple[pl.DataFrame, list[Reject]]:
    """Collapse records repeated with identical fields to one (counted in ``collapsed``
    under ``table``, when given); then reject every record whose ``key`` still occurs more
    than once (conflicting records: none can be trusted)."""
    if collapsed is not None and frame.height and frame.get_column(key).is_duplicated().any():
        unique = frame.unique(maintain_order=True)
        if unique.height < frame.height:
            collapsed[table] += frame.height - unique.height
            frame = unique
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
    columns = AnnotationColumns()
    records = _sections(path, "annotations")
    with paused_gc():
        while batch := list(islice(records, _BATCH_ROWS)):
            columns.add(batch)
    return columns.result()


_CROWD_FALSE = ("0", "false")


def _all_of(values: list[Any], kind: type) -> bool:
    return set(map(type, values)) == {kind}


class AnnotationColumns:
    """Annotation records -> the columns of ``read_annotations``, a batch at a time.

    A batch whose records are all well-formed, with plain int ids and number boxes (the
    usual case), is converted with C-level ``map``/numpy calls; any other batch record by
    record. Both give the same rows and rejects.
    """

    def __init__(self) -> None:
        self._frames: list[pl.DataFrame] = []
        self._rejects: list[Reject] = []
        self._seen = 0

    def add(self, records: list[Any]) -> None:
        frame = self._columns(records)
        self._frames.append(frame if frame is not None else self._record_by_record(records))
        self._seen += len(records)

    def result(self) -> tuple[pl.DataFrame, list[Reject]]:
        """The rows (duplicate ids dropped) and the rejects, in record order."""
        frame = pl.concat([*self._frames, pl.DataFrame(schema=_ANN_COLUMNS)], rechunk=True)
        return _drop_duplicate_ids(frame, "annotation_id", ANNOTATIONS_TABLE, "annotation",
                                   Reason.DUPLICATE_ANNOTATION_ID, list(self._rejects))

    def _columns(self, records: list[Any]) -> pl.DataFrame | None:
        """The batch's frame, or None when some record needs the record-by-record path."""
        if not records or not _all_of(records, dict):
            return None
        get = dict.get
        ids = [list(map(get, records, repeat(k))) for k in ("id", "image_id", "category_id")]
        boxes = list(map(get, records, repeat("bbox")))
        if not all(_all_of(v, int) for v in ids) or not _all_of(boxes, list) or set(map(len, boxes)) != {4}:
            return None
        flat = list(chain.from_iterable(boxes))
        areas = list(map(get, records, repeat("area")))
        crowds = list(map(get, records, repeat("iscrowd"), repeat(0)))
        if not set(map(type, flat)) <= {float, int} or not set(map(type, areas)) <= {float, int} \
                or not _all_of(crowds, int):
            return None
        try:
            id_arrays = [np.array(v, dtype=np.int64) for v in ids]
            xywh = np.array(flat, dtype=np.float64).reshape(-1, 4)
            area = np.array(areas, dtype=np.float64)
        except OverflowError:  # an int beyond int64 / float: let the slow path raise as it does
            return None
        return pl.DataFrame({
            "annotation_id": id_arrays[0], "coco_image_id": id_arrays[1], "category_id": id_arrays[2],
            "bbox_x": xywh[:, 0], "bbox_y": xywh[:, 1], "bbox_w": xywh[:, 2], "bbox_h": xywh[:, 3],
            "area": area, "is_crowd": list(map(bool, crowds)),
            "has_segmentation": list(map(bool, map(get, records, repeat("segmentation")))),
        }, schema=_ANN_COLUMNS)

    def _record_by_record(self, records: list[Any]) -> pl.DataFrame:
        cols: dict[str, list[Any]] = {name: [] for name in _ANN_COLUMNS}
        nan = math.nan
        for i, rec in enumerate(records, start=self._seen):
            if not isinstance(rec, dict):
                rec = {}
            aid, iid, cid = _as_int(rec.get("id")), _as_int(rec.get("image_id")), _as_int(rec.get("category_id"))
            bbox = rec.get("bbox")
            if aid is None or iid is None or cid is None or not isinstance(bbox, list) or len(bbox) != 4:
                label = f"annotation {rec['id']}" if "id" in rec else f"annotations[{i}]"
                self._rejects.append(Reject(
                    ANNOTATIONS_TABLE, label, Reason.MALFORMED_RECORD,
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
            cols["is_crowd"].append(bool(crowd) and crowd not in _CROWD_FALSE)
            cols["has_segmentation"].append(bool(rec.get("segmentation")))
        return pl.DataFrame(cols, schema=_ANN_COLUMNS)


_SMALL_SECTIONS = ("licenses", "categories", "images")
_FRAMES = {"licenses": licenses_frame, "categories": categories_frame, "images": images_frame}


@dataclass
class CocoJson:
    """Everything the annotation file says, as frames, and the records it rejected."""

    licenses: pl.DataFrame
    categories: pl.DataFrame
    images: pl.DataFrame
    annotations: pl.DataFrame
    #: in the order licenses, categories, images, annotations
    rejects: list[Reject]
    #: identical repeated records collapsed to one, per table
    collapsed: Counter[str] = field(default_factory=Counter)

    @property
    def duplicate_image_ids(self) -> set[int]:
        return {int(x.item.split()[-1]) for x in self.rejects if x.reason == Reason.DUPLICATE_IMAGE_ID}

    @property
    def rows_in(self) -> dict[str, int]:
        """Records read per table: landed candidates plus rejects."""
        frames = {LICENSES_TABLE: self.licenses, CATEGORIES_TABLE: self.categories,
                  IMAGES_TABLE: self.images, ANNOTATIONS_TABLE: self.annotations}
        return {table: len(frame) + sum(x.landing_table == table for x in self.rejects)
                for table, frame in frames.items()}


def _compacted_in(rejects: list[Reject]) -> bool:
    """True when a malformed-record message may show a compacted segmentation value."""
    return any(r.reason == Reason.MALFORMED_RECORD and may_show_compacted(r.message) for r in rejects)


def read_coco_json(path: Path) -> CocoJson:
    """The four sections of a COCO file, as ``read_licenses``, ``read_categories``,
    ``read_images`` and ``read_annotations`` give them, in about one pass over the file.

    Raises ``CocoFileError`` as they do when the file is not a readable JSON object.
    """
    _check_top_level(path)
    try:
        with paused_gc():
            return _read_coco_json(path)
    except UnicodeDecodeError as exc:
        raise CocoFileError(_not_utf8(path, exc)) from exc
    except (ijson.JSONError, OSError) as exc:
        # word the error exactly as the section-by-section readers do
        for section in _SMALL_SECTIONS:
            _FRAMES[section](_sections(path, section))
        read_annotations(path)
        raise CocoFileError(f"{path}: not valid JSON ({exc})".replace("\n", " ")) from exc


def _read_coco_json(path: Path) -> CocoJson:
    # 1. the small sections, up to the annotations (where COCO files keep them)
    head = scan_head(path, _SMALL_SECTIONS, stop_key="annotations")
    records: dict[str, list[Any]] = dict(head.items)
    compacted: set[str] = set()
    columns = AnnotationColumns()
    if head.stopped:
        # 2. the annotations, in one pass over the whole file, counting the small
        # sections' names on the way
        stream = SectionStream(path, "annotations", census_names=_SMALL_SECTIONS)
        for batch in stream:
            columns.add(batch)
        for section in _SMALL_SECTIONS:
            seen, named = head.keys_seen[section], stream.census[section]
            if seen == 0 and named > 0:
                # 3. not before the annotations, so after them (COCO 2017's categories):
                # from its key on if it has a single one, else in another whole pass
                tail = trailing_section_items(path, section) if named == 1 and not stream.escapes else None
                records[section] = tail if tail is not None else list(iter_compacted_items(path, section))
                compacted.add(section)
            elif named > seen:
                # the name occurs after the annotations too (a repeated key?)
                head.irregular.add(section)
    for section in head.irregular:
        # read the section whole, exactly as read_<section> does
        records[section] = list(_sections(path, section))
        compacted.discard(section)
    frames: dict[str, tuple[pl.DataFrame, list[Reject]]] = {}
    collapsed: Counter[str] = Counter()
    for section in _SMALL_SECTIONS:
        counted: Counter[str] = Counter()
        frames[section] = _FRAMES[section](records[section], counted)
        if section in compacted and _compacted_in(frames[section][1]):
            counted = Counter()
            frames[section] = _FRAMES[section](_sections(path, section), counted)
        collapsed.update(counted)
    annotations = columns.result()
    if _compacted_in(annotations[1]):
        annotations = read_annotations(path)
    return CocoJson(
        licenses=frames["licenses"][0], categories=frames["categories"][0], images=frames["images"][0],
        annotations=annotations[0],
        rejects=[*frames["licenses"][1], *frames["categories"][1], *frames["images"][1], *annotations[1]],
        collapsed=collapsed)


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
            "exif_orientation": [f.exif_orientation for f in files],
        },
        schema={"file_name": pl.String, "asset_id": pl.String, "file_width_px": pl.Int64,
                "file_height_px": pl.Int64, "display_width_px": pl.Int64,
                "display_height_px": pl.Int64, "has_exif_orientation": pl.Boolean,
                "exif_orientation": pl.Int64},
    )


def match_images(images: pl.DataFrame, files: list[ImageFile], file_rejects: dict[str, Reject],
                 exif_frame: BoxFrame | None = None) -> tuple[pl.DataFrame, list[Reject]]:
    """Join image records to their files; reject records whose file did not land or whose
    JSON size fits neither the stored nor the displayed size. Each kept row gets its
    ``box_frame`` (``exif_upright.box_frame_expr``; NULL: undecidable)."""
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
    return found.filter(fits_raw | fits_display).with_columns(box_frame_expr(exif_frame)), rejects


def validate_annotations(annotations: pl.DataFrame, images: pl.DataFrame, rejected_image_ids: set[int],
                         category_ids: pl.Series, tolerance_px: float) -> tuple[pl.DataFrame, list[Reject]]:
    """Give each annotation the first reason it fails, keep those with none."""
    frame = annotations.join(
        images.select("coco_image_id", "json_width_px", "json_height_px", "box_frame",
                      "exif_orientation"),
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
        .when(pl.col("box_frame").is_null()).then(pl.lit(str(Reason.EXIF_FRAME_UNDECIDABLE)))
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
    good = to_displayed_frame(frame.filter(pl.col("reason_code").is_null())).select(list(_ANN_COLUMNS))
    return good, rejects


def to_displayed_frame(annotations: pl.DataFrame) -> pl.DataFrame:
    """Boxes of images with an EXIF orientation that were drawn on the stored pixels
    (``box_frame`` raw), turned into the upright (displayed) frame; the others as they are.
    Needs ``exif_orientation``, ``box_frame`` and the JSON (= stored) size per row."""
    orientation = annotations.get_column("exif_orientation").fill_null(1)
    turn = (annotations.get_column("box_frame") == "raw") & (orientation != 1)
    if not turn.any():
        return annotations
    x, y, w, h = raw_to_displayed(
        *(annotations.get_column(c).to_numpy() for c in ("bbox_x", "bbox_y", "bbox_w", "bbox_h",
                                                         "json_width_px", "json_height_px")),
        np.where(turn.to_numpy(), orientation.to_numpy(), 1))
    return annotations.with_columns(pl.Series("bbox_x", x), pl.Series("bbox_y", y),
                                    pl.Series("bbox_w", w), pl.Series("bbox_h", h))


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
        case Reason.EXIF_FRAME_UNDECIDABLE:
            return (f"{head}: the image file carries EXIF orientation {r['exif_orientation']} and "
                    f"its {r['json_width_px']}x{r['json_height_px']} size is the same stored and "
                    "displayed, so the frame of its boxes cannot be decided; say it with "
                    "--exif-frame raw|displayed")
        case Reason.NON_FINITE_BBOX:
            return f"{head}: bbox {box} has a value that is not a finite number"
        case Reason.NEGATIVE_BBOX:
            return f"{head}: bbox {box} has a negative width or height"
        case Reason.ZERO_SIZE_BBOX:
            return f"{head}: bbox {box} has zero width or height"
        case _:
            return (f"{head}: bbox {box} reaches beyond the {r['json_width_px']}x"
                    f"{r['json_height_px']} image by more than {tolerance_px:g} px")


@dataclass
class ImageFiles:
    """The image files a landing considered: the readable ones, content-deduplicated, and
    the reject of every other path (keyed by path relative to the images root)."""

    files: list[ImageFile]
    rejects: dict[str, Reject]
    #: paths considered: every image under the root plus the paths the JSON names
    paths_in: int


def inspect_coco_files(images_root: Path, listed: list[str], verify: bool = False,
                       progress: Any = None) -> ImageFiles:
    """Every file under ``images_root``, plus paths the JSON names that the walk did not
    find (so a missing or escaping path is judged and gets its reason), inspected."""
    on_disk = walk_images(images_root)
    paths = sorted(set(on_disk) | set(listed))
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
    return ImageFiles(files=files, rejects=file_rejects, paths_in=len(paths))


def assemble_coco_landing(coco: CocoJson, image_files: ImageFiles, source: str, run_id: str, at: datetime,
                          bbox_tolerance_px: float = DEFAULT_BBOX_TOLERANCE_PX,
                          exif_frame: BoxFrame | None = None) -> CocoLanding:
    """Join the JSON's records to the image files, check the annotations, and build the
    tables to land (nothing written yet). Images with an EXIF orientation whose box frame
    is decided get their displayed size and are listed in ``to_upright``
    (``write_coco_landing`` makes their upright copies)."""
    images, categories, licenses = coco.images, coco.categories, coco.licenses
    rows_in = {**coco.rows_in, "assets": image_files.paths_in}
    files, file_rejects = image_files.files, image_files.rejects
    rejects: list[Reject] = [*coco.rejects, *file_rejects.values()]

    matched, r = match_images(images, files, file_rejects, exif_frame)
    rejects += r
    rejected_image_ids = (set(images.get_column("coco_image_id").to_list()) | coco.duplicate_image_ids) - set(
        matched.get_column("coco_image_id").to_list())
    good_annotations, r = validate_annotations(
        coco.annotations, matched, rejected_image_ids, categories.get_column("category_id"), bbox_tolerance_px)
    rejects += r

    license_rows = dict(zip(licenses.get_column("license_id").to_list(),
                            zip(licenses.get_column("license_name").to_list(),
                                licenses.get_column("license_url").to_list())))
    # per file name, the last matched record's (license_id, flickr_url, coco_url)
    columns = (matched.get_column(c).to_list() for c in ("license_id", "flickr_url", "coco_url"))
    by_file = dict(zip(matched.get_column("file_name").to_list(), zip(*columns)))
    asset_licenses = {
        name: License(f"{source}:{license_id}", *license_rows.get(license_id, (None, None)))
        for name, (license_id, _, _) in by_file.items() if license_id is not None
    }
    attribution = {name: flickr_url or coco_url for name, (_, flickr_url, coco_url) in by_file.items()
                   if flickr_url or coco_url}
    assets = assets_table(files, source, "general_image", run_id, at, asset_licenses, attribution)

    upright = pl.col("exif_orientation").fill_null(1).is_between(2, 8) & pl.col("box_frame").is_not_null()
    to_upright = matched.filter(upright).get_column("asset_id").unique().sort().to_list()
    shipped = matched.with_columns(
        pl.when(upright).then(pl.col("display_width_px")).otherwise(pl.col("json_width_px")).alias("width_px"),
        pl.when(upright).then(pl.col("display_height_px")).otherwise(pl.col("json_height_px")).alias("height_px"))
    stamp = {"source": source, "ingested_at": at, "ingest_run_id": run_id}
    tables = {
        IMAGES_TABLE: _stamped(shipped, stamp, COCO_IMAGES_SCHEMA),
        ANNOTATIONS_TABLE: _stamped(good_annotations, stamp, COCO_ANNOTATIONS_SCHEMA),
        CATEGORIES_TABLE: _stamped(categories, stamp, COCO_CATEGORIES_SCHEMA),
        LICENSES_TABLE: _stamped(licenses, stamp, COCO_LICENSES_SCHEMA),
    }
    return CocoLanding(assets=assets, tables=tables, rejects=rejects, rows_in=rows_in,
                       collapsed=dict(coco.collapsed), to_upright=to_upright,
                       kept_digests=[f.kept for f in files if f.kept is not None])


def land_coco_frames(
    images_root: Path,
    annotations_path: Path,
    source: str,
    run_id: str,
    at: datetime,
    bbox_tolerance_px: float = DEFAULT_BBOX_TOLERANCE_PX,
    verify: bool = False,
    progress: Any = None,
    exif_frame: BoxFrame | None = None,
) -> CocoLanding:
    """Read, check and join everything; return the tables to land (nothing written yet).

    ``progress``, if given, is called as ``progress(step, done, total)``.
    """
    coco = read_coco_json(annotations_path)
    check_sections(annotations_path, coco)
    image_files = inspect_coco_files(images_root, coco.images.get_column("file_name").to_list(),
                                     verify, progress)
    return assemble_coco_landing(coco, image_files, source, run_id, at, bbox_tolerance_px, exif_frame)


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
    replace: bool = False,
    exif_frame: BoxFrame | None = None,
) -> LandingReport:
    """Land a COCO source into ``wh``: every table's file for ``source`` is replaced
    atomically, so landing the same input twice leaves the same rows.

    Raises ``CocoFileError`` or ``LandingError`` (nothing written) when the annotation
    file or the images root cannot be used at all. ``exif_frame`` (``raw`` or
    ``displayed``) names the frame of the boxes of EXIF-oriented images whose size cannot
    tell it (see the module docstring).
    """
    check_source_name(source)
    check_claim(wh, source, SOURCE_KIND)  # refuse a name of another kind before reading
    if exif_frame not in (None, "raw", "displayed"):
        raise LandingError(f"--exif-frame {exif_frame!r}: use raw or displayed")
    if not images_root.is_dir():
        raise LandingError(f"{images_root}: images root is not a directory")
    run_id, at = new_run_id(), utc_now()
    landing = land_coco_frames(images_root, annotations_path, source, run_id, at,
                               bbox_tolerance_px, verify, progress, exif_frame)
    if landing.assets.num_rows == 0 and landing.rows_in.get(IMAGES_TABLE, 0) == 0:
        raise LandingError(f"{images_root}: no image files under it and no image records in "
                           f"{annotations_path}: nothing to land (nothing was changed)")
    return write_coco_landing(wh, landing, source, images_root, annotations_path, run_id, at, replace)


def write_coco_landing(wh: Warehouse, landing: CocoLanding, source: str, images_root: Path,
                       annotations_path: Path, run_id: str, at: datetime,
                       replace: bool = False) -> LandingReport:
    """Write every table of ``landing`` (and its rejects and source row) for ``source``,
    all or none (``lakehouse.commit``): refused with ``LandingError`` when ``source`` holds
    another kind of input, or would shrink by more than half without ``replace``.

    The images in ``landing.to_upright`` ship as their upright copies first
    (``ship_upright``); the copies' tables land under ``<source>-upright`` in the same
    commit (also when there are none now but some landed before, so they are replaced)."""
    copies = ship_upright(wh, landing, source, images_root, run_id, at)
    report = LandingReport(source=source, rows_in=landing.rows_in, rejects=landing.rejects,
                           collapsed=landing.collapsed)
    outputs = {ASSETS_TABLE: (landing.assets, ASSETS_SCHEMA),
               **{name: (table, LANDED_TABLES[name]) for name, table in landing.tables.items()}}
    upright = upright_source(source)
    had_copies = (wh.landing / ASSETS_TABLE / f"{upright}.parquet").exists()
    names = (source, upright) if copies.assets.num_rows or had_copies else (source,)
    with SourceCommit(wh, source, SOURCE_KIND, replace, claim_names=names) as commit:
        for name, (table, schema) in outputs.items():
            report.files.append(commit.stage(name, table, schema))
            report.rows_landed[name] = table.num_rows
        report.files.append(commit.stage(REJECTS_TABLE, rejects_table(landing.rejects, source, run_id, at),
                                         REJECTS_SCHEMA))
        report.files.append(commit.stage(
            ASSET_SOURCES_TABLE,
            source_row(wh, source, SOURCE_KIND, "general_image", images_root, annotations_path,
                       run_id, at),
            ASSET_SOURCES_SCHEMA))
        if len(names) > 1:
            # derived from this landing's own input: the guard on its image records suffices
            report.files.append(commit.stage(ASSETS_TABLE, copies.assets, ASSETS_SCHEMA, name=upright,
                                             guard=False))
            report.files.append(commit.stage(ASSET_LINEAGE_TABLE, copies.lineage, ASSET_LINEAGE_SCHEMA,
                                             name=upright, guard=False))
            report.files.append(commit.stage(
                ASSET_SOURCES_TABLE,
                source_row(wh, upright, UPRIGHT_KIND, "general_image", wh.derived, None, run_id,
                           at),
                ASSET_SOURCES_SCHEMA, name=upright))
        commit.commit()
    keep_digests(wh.image_digest_cache, landing.kept_digests)  # check 6 need not read them again
    if len(names) > 1:
        remove_stale_copies(wh, source, copies.relative_paths)
    if copies.assets.num_rows:
        report.notes.append(f"exif: {copies.assets.num_rows} images ship as upright copies "
                            f"(source {upright}; {copies.reused} unchanged, reused)")
    return report


def ship_upright(wh: Warehouse, landing: CocoLanding, source: str, images_root: Path, run_id: str,
                 at: datetime) -> UprightCopies:
    """Make the upright copy of every asset in ``landing.to_upright`` and point its image
    records at the copy (``has_exif_orientation`` false: the shipped file is upright). An
    image whose copy cannot be made is rejected with its annotations (``corrupt_image``,
    ``image_rejected``). Changes ``landing`` in place; returns the copies."""
    if not landing.to_upright:
        return make_upright_copies(wh, source, images_root, [], run_id, at)
    wanted = pa.array(landing.to_upright, pa.string())
    originals = landing.assets.filter(pc.is_in(landing.assets.column("asset_id"), wanted)).to_pylist()
    copies = make_upright_copies(wh, source, images_root, originals, run_id, at)
    images = pl.from_arrow(landing.tables[IMAGES_TABLE])
    if copies.failed:
        failed = images.filter(pl.col("asset_id").is_in(list(copies.failed)))
        for iid, asset_id in failed.select("coco_image_id", "asset_id").iter_rows():
            landing.rejects.append(Reject(IMAGES_TABLE, f"image {iid}", Reason.CORRUPT_IMAGE,
                                          f"image {iid}: {copies.failed[asset_id]}"))
        dropped = set(failed.get_column("coco_image_id").to_list())
        annotations = pl.from_arrow(landing.tables[ANNOTATIONS_TABLE])
        gone = annotations.filter(pl.col("coco_image_id").is_in(list(dropped)))
        for aid, iid in gone.select("annotation_id", "coco_image_id").iter_rows():
            landing.rejects.append(Reject(
                ANNOTATIONS_TABLE, f"annotation {aid}", Reason.IMAGE_REJECTED,
                f"annotation {aid} (image {iid}): its image was rejected (see the image's own reject row)"))
        landing.tables[ANNOTATIONS_TABLE] = annotations.filter(
            ~pl.col("coco_image_id").is_in(list(dropped))).to_arrow().cast(COCO_ANNOTATIONS_SCHEMA)
        images = images.filter(~pl.col("coco_image_id").is_in(list(dropped)))
    mapping = pl.DataFrame({"asset_id": list(copies.copy_of), "upright_asset_id": list(copies.copy_of.values())},
                           schema={"asset_id": pl.String, "upright_asset_id": pl.String})
    images = images.join(mapping, on="asset_id", how="left", maintain_order="left").with_columns(
        pl.col("upright_asset_id").is_null().and_(pl.col("has_exif_orientation")).alias("has_exif_orientation"),
        pl.coalesce("upright_asset_id", "asset_id").alias("asset_id"))
    landing.tables[IMAGES_TABLE] = images.select(COCO_IMAGES_SCHEMA.names).to_arrow().cast(COCO_IMAGES_SCHEMA)
    return copies
