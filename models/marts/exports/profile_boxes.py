"""Every grounding sample's box as each trainer profile writes it, mapped back to pixels and
compared with the COCO source box; a box that cannot survive a profile's precision keeps
its sample out of that profile.

In: the shipped grounding samples (samples, with their annotation), the source boxes
(int_annotations_normalized) and the profiles of seeds/export_profiles.csv (each names its
conversion, ``box_kind``, in ``python_udfs.boxes.CONVENTIONS``). Out: one row per
(export_profile, sample_id): the profile's four numbers (``box_values``, in the profile's
own order), the box mapped back to raw-image pixels ``[x1, y1, x2, y2]``
(``backmapped_box_px``), the source box in the same form, their IoU, and ``is_kept`` /
``exclusion_reason``: a sample whose profile box has IoU below the var
``profile_box_min_iou`` (0.9) with its source box is left out of that profile's records
(macros/profile_records.sql), never shipped wrong.
"""


def model(dbt, session):
    import numpy as np
    import pyarrow as pa

    from lakehouse.taxonomy import export_profiles
    from python_udfs.boxes import CONVENTIONS, iou_xyxy

    dbt.config(materialized="table")
    min_iou = float(dbt.config.meta_get("min_iou"))

    samples = dbt.ref("samples").filter("annotation_id is not null").project("sample_id, annotation_id")
    boxes = dbt.ref("int_annotations_normalized").project(
        "annotation_id, bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px")
    joined = samples.join(boxes, "annotation_id").order("sample_id").fetchall()
    ids = [r[0] for r in joined]
    coco = [np.array([r[i] for r in joined], dtype=np.float64) for i in range(2, 8)]
    x, y, w, h, width, height = coco
    source = np.stack([x, y, x + w, y + h], axis=1) if joined else np.empty((0, 4))

    rows = []
    for profile in export_profiles():
        convention = CONVENTIONS[profile.box_kind]
        if not joined:
            continue
        forward = convention.forward(*coco)
        values = np.array([v if v is not None else [np.nan] * 4 for v in forward.to_pylist()],
                          dtype=np.float64).reshape(-1, 4)
        pixels = convention.to_pixels(np.nan_to_num(values), width, height)
        iou = np.asarray(iou_xyxy(*pixels.T, *source.T).to_numpy(zero_copy_only=False))
        for i, sample_id in enumerate(ids):
            valid = bool(np.isfinite(values[i]).all())
            kept = valid and iou[i] >= min_iou
            reason = None
            if not valid:
                reason = f"{profile.box_kind}: the box cannot be written in this convention"
            elif not kept:
                reason = (f"{profile.box_kind}: IoU {iou[i]:.3f} with the source box after the "
                          f"profile's rounding is below {min_iou}")
            rows.append({
                "export_profile": profile.export_profile, "sample_id": sample_id,
                "box_kind": profile.box_kind,
                "box_values": values[i].tolist() if valid else None,
                "backmapped_box_px": pixels[i].tolist() if valid else None,
                "source_box_px": source[i].tolist(),
                "iou": float(iou[i]) if valid else None,
                "is_kept": kept, "exclusion_reason": reason,
            })

    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("export_profile", pa.string()), ("sample_id", pa.string()), ("box_kind", pa.string()),
        ("box_values", pa.list_(pa.float64())), ("backmapped_box_px", pa.list_(pa.float64())),
        ("source_box_px", pa.list_(pa.float64())), ("iou", pa.float64()),
        ("is_kept", pa.bool_()), ("exclusion_reason", pa.string()),
    ]))
