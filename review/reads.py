"""What the review page reads from the lakehouse: the queue and one sample (read-only).

In: the built DuckDB file (``manual_review_samples``, ``int_samples_templated``,
``int_samples_audited``, ``int_sample_groups_assigned``, ``qa_visual_audit``, assets,
COCO annotations, document texts, OCR lines and usability, chart tables).
Out: plain dicts for the templates and the JSON API.

Each call opens its own read-only connection and closes it, so ``mmfactory build`` can
take the file between two requests; while it holds it, :class:`LakehouseUnavailable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from lakehouse.settings import Warehouse

SORTS: dict[str, str] = {
    # risk first: the smallest audit threshold margin, the lowest judge score, the most
    # CHAIR-hallucinated mentions, the least OCR-usable document or chart
    "margin": "threshold_margin asc nulls last, sample_id",
    "judge": "judge_score asc nulls last, sample_id",
    "chair": "chair_hallucinated desc nulls last, sample_id",
    "ocr": "ocr_char_recall asc nulls last, sample_id",
    "sample": "sample_id",
}
FILTERS: tuple[str, ...] = ("task_type", "asset_type", "language", "split")

_GRID_BOX = re.compile(r"\[\s*(\d{1,4})\s*,\s*(\d{1,4})\s*,\s*(\d{1,4})\s*,\s*(\d{1,4})\s*\]")


class LakehouseUnavailable(RuntimeError):
    """The lakehouse is missing, not built with the review models, or being rebuilt."""


@contextmanager
def connect(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse's DuckDB file, closed afterwards."""
    if not wh.database.exists():
        raise LakehouseUnavailable(f"no lakehouse at {wh.database}: run `mmfactory build` first")
    try:
        con = duckdb.connect(str(wh.database), read_only=True)
    except duckdb.Error as exc:
        raise LakehouseUnavailable(f"the lakehouse {wh.database} cannot be opened now (a build may be "
                                   f"running): {exc}") from None
    try:
        yield con
    except duckdb.Error as exc:
        raise LakehouseUnavailable(f"cannot read the lakehouse {wh.database}: {exc}") from None
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


_QUEUE = """
with ocr as (
    select asset_id, char_recall from int_ocr_usability_resolved
)
select
    m.sample_id, m.task_type, m.asset_type, m.language, m.selection_reason, m.stratum_size,
    m.threshold_margin, m.threshold_margin_kind, m.review_status as built_review_status,
    m.is_shippable, g.split,
    a.quality_signals.judge.mean_score as judge_score,
    a.quality_signals.chair.hallucinated_mention_count::bigint as chair_hallucinated,
    ocr.char_recall as ocr_char_recall,
    t.source_asset_ids
from manual_review_samples m
inner join int_samples_templated t on t.sample_id = m.sample_id
left join int_sample_groups_assigned g on g.asset_id = t.source_asset_ids[1]
left join int_samples_audited a on a.sample_id = m.sample_id
left join ocr on ocr.asset_id = t.source_asset_ids[1]
"""


def queue(wh: Warehouse, sort: str = "margin") -> list[dict[str, Any]]:
    """Every sample of ``manual_review_samples`` with its stratum, split, risk figures and
    its state in the last build, ordered by ``sort`` (a key of :data:`SORTS`)."""
    order = SORTS.get(sort, SORTS["margin"])
    with connect(wh) as con:
        return _rows(con, f"select * from ({_QUEUE}) order by {order}")


def answer_boxes_grid(answer_text: str) -> list[tuple[int, int, int, int]]:
    """Every ``[ymin, xmin, ymax, xmax]`` box on the 0..1000 grid written in an answer."""
    boxes = []
    for match in _GRID_BOX.finditer(answer_text or ""):
        ymin, xmin, ymax, xmax = (int(v) for v in match.groups())
        if max(ymin, xmin, ymax, xmax) <= 1000 and ymin <= ymax and xmin <= xmax:
            boxes.append((ymin, xmin, ymax, xmax))
    return boxes


def grid_to_pixels(box: tuple[int, int, int, int], width: int, height: int) -> dict[str, float]:
    """A grid box as pixel corners of a ``width`` x ``height`` image (the grid's inverse,
    cell edges, no rounding)."""
    ymin, xmin, ymax, xmax = box
    return {"x1": xmin / 1000 * width, "y1": ymin / 1000 * height,
            "x2": xmax / 1000 * width, "y2": ymax / 1000 * height}


def sample(wh: Warehouse, sample_id: str) -> dict[str, Any] | None:
    """One sample of the review worklist with everything its page shows, or None when the
    id is not in ``manual_review_samples``."""
    with connect(wh) as con:
        return sample_from(con, sample_id)


def sample_from(con: duckdb.DuckDBPyConnection, sample_id: str) -> dict[str, Any] | None:
    """:func:`sample` on an open connection (for callers reading many samples)."""
    found = _rows(con, f"select * from ({_QUEUE}) where sample_id = ?", [sample_id])
    if not found:
        return None
    row = found[0]
    (detail,) = _rows(con, "select question_text, answer_text, conversations, annotation_id, category_id, "
                           "category_name, field_name, expected_value, expected_count, image_paths, "
                           "template_id, generation_method from int_samples_templated where sample_id = ?",
                      [sample_id])
    row.update(detail)
    asset_ids = list(row["source_asset_ids"])
    assets = {a["asset_id"]: a for a in _rows(
        con, "select asset_id, source, relative_path, width_px, height_px from stg_landing__assets "
             "where asset_id in (select unnest(?::varchar[]))", [asset_ids])}
    audit = _rows(con, "select audit_reasons, failed_checks, threshold_margin, threshold_margin_kind, "
                       "to_json(quality_signals)::varchar as signals from int_samples_audited "
                       "where sample_id = ?", [sample_id])
    row["audit"] = audit[0] if audit else None
    visual = _rows(con, "select max_edge_error_px, max_edge_error_cells, iou from qa_visual_audit "
                        "where sample_id = ?", [sample_id])
    row["visual_audit"] = visual[0] if visual else None
    source_boxes = _rows(
        con, "select i.asset_id, a.annotation_id, a.bbox_x_px as x, a.bbox_y_px as y, a.bbox_w_px as w, "
             "a.bbox_h_px as h, c.category_name from stg_coco__annotations a "
             "join stg_coco__images i on i.coco_image_id = a.coco_image_id "
             "left join stg_coco__categories c on c.category_id = a.category_id "
             "where a.annotation_id = ? or (? = 'counting_visual_qa' and a.category_id = ? "
             "and i.asset_id = ?) order by a.annotation_id",
        [row["annotation_id"], row["task_type"], row["category_id"], asset_ids[0]])
    texts = _rows(con, "select asset_id, full_text, text_origin from stg_documents__texts "
                       "where asset_id in (select unnest(?::varchar[]))", [asset_ids])
    ocr_lines = _rows(con, "select asset_id, string_agg(text, chr(10) order by line_index) as ocr_text "
                           "from stg_ocr__lines where asset_id in (select unnest(?::varchar[])) "
                           "group by asset_id", [asset_ids])
    tables = _rows(con, "select asset_id, series, category, value_text, unit from stg_charts__tables "
                        "where asset_id in (select unnest(?::varchar[])) "
                        "order by asset_id, series_index, category_index", [asset_ids])
    usability = _rows(con, "select asset_id, char_recall, usable_recall_threshold, is_ocr_usable, "
                           "usability_basis, layout_read_count from int_ocr_usability_resolved "
                           "where asset_id in (select unnest(?::varchar[]))",
                      [asset_ids])
    answer_boxes = answer_boxes_grid(row["answer_text"]) if len(asset_ids) == 1 else []
    images = []
    for index, asset_id in enumerate(asset_ids):
        asset = assets.get(asset_id, {})
        width, height = asset.get("width_px") or 0, asset.get("height_px") or 0
        boxes = [{"kind": "answer", "label": f"answer [{', '.join(map(str, b))}]", "grid": list(b),
                  **grid_to_pixels(b, width, height)} for b in answer_boxes]
        boxes += [{"kind": "source", "label": f"source: {s['category_name'] or s['annotation_id']}",
                   "x1": s["x"], "y1": s["y"], "x2": s["x"] + s["w"], "y2": s["y"] + s["h"]}
                  for s in source_boxes if s["asset_id"] == asset_id]
        images.append({
            "index": index + 1, "asset_id": asset_id, "width": width, "height": height,
            "source": asset.get("source"), "relative_path": asset.get("relative_path"), "boxes": boxes,
            "ground_truth_text": next((t["full_text"] for t in texts if t["asset_id"] == asset_id), None),
            "text_origin": next((t["text_origin"] for t in texts if t["asset_id"] == asset_id), None),
            "ocr_text": next((o["ocr_text"] for o in ocr_lines if o["asset_id"] == asset_id), None),
            "chart_table": [t for t in tables if t["asset_id"] == asset_id],
            "ocr_usability": next((u for u in usability if u["asset_id"] == asset_id), None),
        })
    row["images"] = images
    return row


def in_review_sample(wh: Warehouse, sample_id: str) -> bool:
    """Whether ``sample_id`` is in ``manual_review_samples``."""
    with connect(wh) as con:
        return con.execute("select count(*) from manual_review_samples where sample_id = ?",
                           [sample_id]).fetchone()[0] > 0


def registered_asset(wh: Warehouse, asset_id: str) -> dict[str, Any] | None:
    """The landed asset row with its source's images root, or None for an unknown id."""
    with connect(wh) as con:
        found = _rows(con, "select a.asset_id, a.relative_path, a.image_format, s.images_root "
                           "from stg_landing__assets a join stg_landing__asset_sources s on s.source = a.source "
                           "where a.asset_id = ?", [asset_id])
    return found[0] if found else None

