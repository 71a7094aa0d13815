"""Read-only selections of work items from the DuckDB lakehouse.

In: ``warehouse().database`` built by dbt, with the relations ``stg_landing__assets``,
``stg_landing__asset_sources``, ``stg_coco__images``, ``stg_coco__annotations``,
``stg_coco__categories`` and (later) the ``samples`` mart.
Out: plain Python values (images with their annotations, samples) that the stages turn
into requests. A missing database, relation or column raises ``LakehouseInputError``
with a message that says what to build first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from generation.items import AnnotatedImage, Annotation, SampleItem
from lakehouse.settings import PROJECT_ROOT, Warehouse, warehouse
from lakehouse.sources import resolve_root

IMAGE_RELATIONS = (
    "stg_landing__assets",
    "stg_landing__asset_sources",
    "stg_coco__images",
    "stg_coco__annotations",
    "stg_coco__categories",
)
SAMPLES_RELATION = "samples"


class LakehouseInputError(RuntimeError):
    """The lakehouse lacks what a stage needs to select its work items."""


@contextmanager
def connect(wh: Warehouse | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the lakehouse, closed on exit."""
    db = (wh or warehouse()).database
    if not db.exists():
        raise LakehouseInputError(
            f"no lakehouse at {db}: build it first (dbt build), or pass work items directly"
        )
    conn = duckdb.connect(str(db), read_only=True)
    try:
        yield conn
    finally:
        conn.close()


def relation_columns(conn: duckdb.DuckDBPyConnection, name: str) -> set[str] | None:
    """The column names of table/view ``name`` in any schema, or None if it does not exist."""
    rows = conn.execute(
        "select column_name from information_schema.columns where table_name = ?", [name]
    ).fetchall()
    return {r[0] for r in rows} if rows else None


def require_relation(
    conn: duckdb.DuckDBPyConnection, name: str, columns: Sequence[str]
) -> set[str]:
    """The columns of ``name``; raises ``LakehouseInputError`` if it or ``columns`` are missing."""
    have = relation_columns(conn, name)
    if have is None:
        raise LakehouseInputError(
            f"the lakehouse has no relation {name!r}: build it with dbt first"
        )
    missing = [c for c in columns if c not in have]
    if missing:
        raise LakehouseInputError(f"relation {name!r} lacks column(s) {', '.join(missing)}")
    return have


def resolve_image_path(images_root: str, relative_path: str, wh: Warehouse) -> Path:
    """``images_root`` as stored in ``asset_sources`` of ``wh`` joined with ``relative_path``."""
    return resolve_root(images_root, wh) / relative_path


def _qualified(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    row = conn.execute(
        "select table_schema from information_schema.tables where table_name = ? order by table_schema limit 1",
        [name],
    ).fetchone()
    return f'"{row[0]}"."{name}"' if row else f'"{name}"'


_BBOX_NAMINGS = (
    ("bbox_x_px", "bbox_y_px", "bbox_w_px", "bbox_h_px"),
    ("bbox_x", "bbox_y", "bbox_w", "bbox_h"),
)


def _bbox_columns(have: set[str]) -> tuple[str, ...]:
    """The annotation box columns: ``bbox_{x,y,w,h}_px`` (staging), else ``bbox_{x,y,w,h}``."""
    for names in _BBOX_NAMINGS:
        if all(n in have for n in names):
            return names
    raise LakehouseInputError(
        "relation 'stg_coco__annotations' has no box columns (bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px)"
    )


def select_annotated_images(
    wh: Warehouse | None = None, source: str | None = None, limit: int | None = None
) -> list[AnnotatedImage]:
    """COCO images with their annotations and file paths, ordered by asset id: one per
    asset, the record whose boxes the dataset uses (``stg_coco__images.is_primary_record``:
    a photo landed under several COCO sources is described from that record only).

    ``source`` keeps the photos whose record is that source's; ``limit`` keeps the first N.
    """
    wh = wh or warehouse()
    with connect(wh) as conn:
        require_relation(conn, "stg_landing__assets", ["asset_id", "source", "relative_path"])
        require_relation(conn, "stg_landing__asset_sources", ["source", "images_root"])
        require_relation(
            conn,
            "stg_coco__images",
            ["coco_image_id", "source", "asset_id", "width_px", "height_px", "is_primary_record"],
        )
        have = require_relation(
            conn,
            "stg_coco__annotations",
            ["annotation_id", "coco_image_id", "source", "category_id", "is_crowd"],
        )
        bbox = _bbox_columns(have)
        require_relation(conn, "stg_coco__categories", ["category_id", "source", "category_name"])
        q = {n: _qualified(conn, n) for n in IMAGE_RELATIONS}
        params: list[Any] = []
        where = "where i.is_primary_record"
        if source is not None:
            where += " and i.source = ?"
            params.append(source)
        limit_sql = f"limit {int(limit)}" if limit is not None else ""
        chosen = f"""
            select i.source, i.coco_image_id, i.asset_id, i.width_px, i.height_px,
                   a.relative_path, s.images_root
            from {q["stg_coco__images"]} i
            join {q["stg_landing__assets"]} a on a.asset_id = i.asset_id
            join {q["stg_landing__asset_sources"]} s on s.source = a.source
            {where}
            order by i.asset_id
            {limit_sql}
        """
        images = conn.execute(chosen, params).fetchall()
        if not images:
            return []
        anns = conn.execute(
            f"""
            with chosen as ({chosen})
            select n.source, n.coco_image_id, c.category_name,
                   {", ".join(f"n.{c}" for c in bbox)}, coalesce(n.is_crowd, false)
            from {q["stg_coco__annotations"]} n
            join chosen w on w.source = n.source and w.coco_image_id = n.coco_image_id
            join {q["stg_coco__categories"]} c on c.category_id = n.category_id and c.source = n.source
            order by n.source, n.coco_image_id, n.annotation_id
        """,
            params,
        ).fetchall()
    by_image: dict[tuple[str, Any], list[Annotation]] = {}
    for src, img_id, cat, x, y, w, h, crowd in anns:
        by_image.setdefault((src, img_id), []).append(
            Annotation(cat, (float(x), float(y), float(w), float(h)), bool(crowd))
        )
    out: list[AnnotatedImage] = []
    for src, img_id, asset_id, width, height, rel, root in images:
        out.append(
            AnnotatedImage(
                asset_id=asset_id,
                path=resolve_image_path(root, rel, wh),
                width_px=int(width),
                height_px=int(height),
                annotations=tuple(by_image.get((src, img_id), [])),
                source=src,
            )
        )
    return out


_IMAGE_PATH_COLUMNS = ("image_paths", "images", "image_path", "image")


def _asset_files(conn: duckdb.DuckDBPyConnection, asset_ids: set[str],
                 wh: Warehouse) -> dict[str, Path]:
    """asset id -> image file (images root of its source + relative path), for those found."""
    if not asset_ids or relation_columns(conn, "stg_landing__assets") is None:
        return {}
    if relation_columns(conn, "stg_landing__asset_sources") is None:
        return {}
    rows = conn.execute(
        f"""
        select a.asset_id, s.images_root, a.relative_path
        from {_qualified(conn, "stg_landing__assets")} a
        join {_qualified(conn, "stg_landing__asset_sources")} s on s.source = a.source
        where a.asset_id in (select unnest(?::varchar[]))
        order by a.asset_id, a.source, a.relative_path
        """,
        [sorted(asset_ids)],
    ).fetchall()
    out: dict[str, Path] = {}
    for asset_id, root, rel in rows:
        out.setdefault(asset_id, resolve_image_path(root, rel, wh))
    return out


def select_samples(
    wh: Warehouse | None = None, language: str | None = None, limit: int | None = None
) -> list[SampleItem]:
    """Rows of the ``samples`` mart, ordered by ``sample_id``.

    Needs ``sample_id``, ``task_type``, ``language``, ``conversations`` (list of
    ``{from, value}``). Images: with ``source_asset_ids`` (the mart's ordered asset ids) the
    files are found through ``stg_landing__assets`` and the sources' images roots, and the
    asset ids are used as they are; otherwise from an image path column (``image_paths``,
    ``images``, ``image_path``, ``image``), relative paths taken from the project root.
    Raises ``LakehouseInputError`` when the mart is absent (not built yet).
    """
    wh = wh or warehouse()
    with connect(wh) as conn:
        have = relation_columns(conn, SAMPLES_RELATION)
        if have is None:
            raise LakehouseInputError(
                f"the lakehouse has no {SAMPLES_RELATION!r} relation yet: build the samples mart "
                "with dbt first, or call the stage with work items directly"
            )
        require_relation(
            conn, SAMPLES_RELATION, ["sample_id", "task_type", "language", "conversations"]
        )
        image_col = next((c for c in _IMAGE_PATH_COLUMNS if c in have), None)
        ids_col = "source_asset_ids" if "source_asset_ids" in have else None
        if image_col is None and ids_col is None:
            raise LakehouseInputError(
                f"relation {SAMPLES_RELATION!r} has neither source_asset_ids nor an image path "
                f"column (one of {', '.join(_IMAGE_PATH_COLUMNS)})"
            )
        params: list[Any] = []
        where = ""
        if language is not None:
            where = "where language = ?"
            params.append(language)
        limit_sql = f"limit {int(limit)}" if limit is not None else ""
        rows = conn.execute(
            f"""
            select sample_id, task_type, language, conversations,
                   {f'"{image_col}"' if image_col else "null"}, {ids_col or "null"}
            from {_qualified(conn, SAMPLES_RELATION)} {where}
            order by sample_id {limit_sql}
            """,
            params,
        ).fetchall()
        files = _asset_files(conn, {a for r in rows for a in (r[5] or [])}, wh)
    out = []
    for sample_id, task_type, lang, convs, images, asset_ids in rows:
        turns = tuple((str(t["from"]), str(t["value"])) for t in (convs or []))
        if asset_ids and all(a in files for a in asset_ids):
            paths: tuple[Path, ...] = tuple(files[a] for a in asset_ids)
            ids: tuple[str, ...] | None = tuple(asset_ids)
        else:
            if images is None:
                images = []
            elif isinstance(images, str):
                images = [images]
            paths = tuple(
                p if p.is_absolute() else PROJECT_ROOT / p for p in (Path(str(i)) for i in images)
            )
            ids = None
        out.append(
            SampleItem(
                sample_id=str(sample_id),
                conversations=turns,
                image_paths=paths,
                task_type=str(task_type),
                language=str(lang),
                asset_ids=ids,
            )
        )
    return out
