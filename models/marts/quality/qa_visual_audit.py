"""qa_visual_audit: the grounding samples of the manual review sample, drawn back onto
their original images (quality.visual_audit.render_box_audit): the source COCO box in green,
the box recovered from the ANSWER's 0..1000 numbers through the inverse UDF
(bbox_grid_to_coco, in int_grounding_samples_audited) in red with its label.

Out: PNGs at <warehouse>/derived/visual_audit/<sample_id>.png (the folder is written
fresh and swapped in whole, so it holds exactly this build's images) and this index:
sample_id, asset_id, annotation_id, label, png_path (relative to the warehouse root),
image_path (the original file), answer_box_grid, source_box_px and recovered_box_px
({x1, y1, x2, y2}), max_edge_error_px, max_edge_error_cells, iou, render_error (why no
PNG was written, else NULL).

Bounded: at most var('visual_audit_max_samples') (64) samples are drawn, however large the
review sample grows with the corpus: the review's grounding samples are ranked within
their stratum (the referent kind: unique, leftmost, rightmost), the ones picked nearest
the audit threshold first, then by a stable hash, and taken round-robin across strata.
A PNG whose inputs (image, boxes, label, captions) are unchanged since the last build is
reused from the previous folder, not drawn again (keys in <folder>/.keys.json).
"""

import hashlib
import json
import os
import shutil
import uuid

KEYS_FILE = ".keys.json"


def _bounded(grounding, reasons, limit):
    """At most ``limit`` samples, stratified by referent kind (see the module doc)."""
    strata = {}
    for g in grounding:
        strata.setdefault(g["question_referent_kind"] or "", []).append(g)
    ranked = []
    for kind in sorted(strata):
        members = sorted(strata[kind], key=lambda g: (
            reasons.get(g["sample_id"]) != "nearest_threshold",
            hashlib.sha256(g["sample_id"].encode()).hexdigest()))
        ranked += [(rank, kind, g) for rank, g in enumerate(members)]
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [g for _, _, g in ranked[:limit]]


def _rows(relation, columns):
    names = [c.strip() for c in columns.split(",")]
    return [dict(zip(names, row)) for row in relation.project(columns).fetchall()]


def model(dbt, session):
    import pyarrow as pa

    from lakehouse.settings import warehouse
    from lakehouse.sources import resolve_root
    from quality import visual_audit

    dbt.config(materialized="table")

    review = dbt.ref("manual_review_samples").filter("task_type = 'region_grounding'")
    reasons = {r["sample_id"]: r["selection_reason"] for r in _rows(review, "sample_id, selection_reason")}
    limit = int(dbt.config.get("visual_audit_max_samples") or 64)
    grounding = _rows(dbt.ref("int_grounding_samples_audited"),
                      "sample_id, asset_id, question_category, question_referent_kind, answer_box_grid, "
                      "referent_annotation_id, source_x1_px, source_y1_px, source_x2_px, source_y2_px, "
                      "recovered_x1_px, recovered_y1_px, recovered_x2_px, recovered_y2_px, "
                      "max_edge_error_px, max_edge_error_cells, iou")
    assets = {r["asset_id"]: r for r in _rows(dbt.ref("stg_landing__assets"), "asset_id, source, relative_path")}
    roots = {r["source"]: r["images_root"] for r in _rows(dbt.ref("stg_landing__asset_sources"),
                                                          "source, images_root")}

    wh = warehouse()
    final_dir = wh.derived / "visual_audit"
    staging = wh.derived / f".visual_audit-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        previous_keys = json.loads((final_dir / KEYS_FILE).read_text())
    except (OSError, ValueError):
        previous_keys = {}
    keys = {}
    box = visual_audit.PixelBox
    out = []
    chosen = _bounded([g for g in grounding if g["sample_id"] in reasons], reasons, limit)
    for g in sorted(chosen, key=lambda g: g["sample_id"]):
        asset = assets.get(g["asset_id"])
        image_path = None
        if asset is not None and asset["source"] in roots:
            image_path = resolve_root(roots[asset["source"]]) / asset["relative_path"]
        referent = g["question_referent_kind"]
        label = (g["question_category"] or "?") if referent == "unique" else f"{referent} {g['question_category']}"
        has_boxes = g["source_x1_px"] is not None and g["recovered_x1_px"] is not None
        source = box(g["source_x1_px"], g["source_y1_px"], g["source_x2_px"], g["source_y2_px"]) if has_boxes else None
        answer = (box(g["recovered_x1_px"], g["recovered_y1_px"], g["recovered_x2_px"], g["recovered_y2_px"])
                  if has_boxes else None)
        png_path, error = None, None
        if image_path is None:
            error = f"asset {g['asset_id']} has no known image file"
        elif not has_boxes:
            error = "no source box or no valid answer box to draw"
        else:
            captions = [
                f"red = answer: {label} {g['answer_box_grid']} (0..1000) -> x {answer.x1:.1f}-{answer.x2:.1f}, "
                f"y {answer.y1:.1f}-{answer.y2:.1f} px",
                f"green = COCO annotation {g['referent_annotation_id']}: x {source.x1:.1f}-{source.x2:.1f}, "
                f"y {source.y1:.1f}-{source.y2:.1f} px",
                f"sample {g['sample_id']}: worst edge error {g['max_edge_error_px']:.2f} px "
                f"({g['max_edge_error_cells']:.2f} grid cells), IoU {g['iou']:.3f}",
            ]
            name = f"{g['sample_id']}.png"
            key = hashlib.sha256(json.dumps(
                [g["asset_id"], str(image_path), label, captions,
                 [source.x1, source.y1, source.x2, source.y2],
                 [answer.x1, answer.y1, answer.x2, answer.y2]]).encode()).hexdigest()
            try:
                if previous_keys.get(name) == key and (final_dir / name).is_file():
                    os.link(final_dir / name, staging / name)  # unchanged: reuse, do not draw
                else:
                    image = visual_audit.render_box_audit(image_path, source, answer, label, captions)
                    visual_audit.save_png(image, staging / name)
                keys[name] = key
                png_path = f"derived/visual_audit/{g['sample_id']}.png"
            except OSError as exc:
                error = f"cannot draw on {image_path}: {exc}"

        def corners(b):
            return None if b is None else {"x1": b.x1, "y1": b.y1, "x2": b.x2, "y2": b.y2}

        out.append({
            "sample_id": g["sample_id"], "asset_id": g["asset_id"],
            "annotation_id": g["referent_annotation_id"], "label": label, "png_path": png_path,
            "image_path": None if image_path is None else str(image_path),
            "answer_box_grid": g["answer_box_grid"], "source_box_px": corners(source),
            "recovered_box_px": corners(answer), "max_edge_error_px": g["max_edge_error_px"],
            "max_edge_error_cells": g["max_edge_error_cells"], "iou": g["iou"], "render_error": error,
        })

    (staging / KEYS_FILE).write_text(json.dumps(keys, sort_keys=True))
    previous = final_dir.with_name(f".visual_audit-old-{uuid.uuid4().hex[:8]}")
    if final_dir.exists():
        os.replace(final_dir, previous)
    os.replace(staging, final_dir)
    shutil.rmtree(previous, ignore_errors=True)

    corner_type = pa.struct([("x1", pa.float64()), ("y1", pa.float64()), ("x2", pa.float64()), ("y2", pa.float64())])
    return pa.Table.from_pylist(out, schema=pa.schema([
        ("sample_id", pa.string()), ("asset_id", pa.string()), ("annotation_id", pa.string()),
        ("label", pa.string()), ("png_path", pa.string()), ("image_path", pa.string()),
        ("answer_box_grid", pa.list_(pa.int32())), ("source_box_px", corner_type),
        ("recovered_box_px", corner_type), ("max_edge_error_px", pa.float64()),
        ("max_edge_error_cells", pa.float64()), ("iou", pa.float64()), ("render_error", pa.string()),
    ]))
