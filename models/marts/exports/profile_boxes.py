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

Built incrementally by sample (the config is in _exports__models.yml: it holds Jinja):
each row carries its sample's ``inputs_hash``, a digest of the sample's annotation, its
source box and image size, the profiles, the minimum IoU and the box conventions' code
(python_udfs/boxes.py), and a run after the first converts only the samples whose hash
no row holds; the post-hook deletes the rows of samples that are no longer shipped
grounding samples.
"""

import hashlib
from pathlib import Path


def model(dbt, session):
    import numpy as np
    import pyarrow as pa

    from lakehouse.incremental_models import unbuilt_samples
    from lakehouse.taxonomy import export_profiles
    from python_udfs import boxes as box_code
    from python_udfs.boxes import CONVENTIONS, iou_xyxy

    min_iou = float(dbt.config.meta_get("min_iou"))
    profiles = list(export_profiles())
    # everything a sample's rows are made from besides its own columns, as one salt
    salt = hashlib.md5(repr((min_iou, [(p.export_profile, p.box_kind) for p in profiles],
                             Path(box_code.__file__).read_bytes())).encode()).hexdigest()

    dbt.ref("samples").create_view("profile_boxes_samples")
    dbt.ref("int_annotations_normalized").create_view("profile_boxes_annotations")
    joined = session.sql(f"""
        with hashed as (
            select s.sample_id, a.bbox_x_px, a.bbox_y_px, a.bbox_w_px, a.bbox_h_px,
                   a.image_width_px, a.image_height_px,
                   md5(hash(s.sample_id, s.annotation_id, a.bbox_x_px, a.bbox_y_px, a.bbox_w_px,
                            a.bbox_h_px, a.image_width_px, a.image_height_px)::varchar || '{salt}')
                       as inputs_hash
            from profile_boxes_samples as s
            inner join profile_boxes_annotations as a on a.annotation_id = s.annotation_id
            where s.annotation_id is not null
        )
        select * from hashed {unbuilt_samples(dbt)}
        order by sample_id""").fetch_arrow_table()
    ids = joined.column("sample_id")
    hashes = joined.column("inputs_hash")
    coco = [joined.column(name).cast(pa.float64()).to_numpy() for name in joined.column_names[1:7]]
    x, y, w, h, width, height = coco
    source = np.stack([x, y, x + w, y + h], axis=1)
    count = len(ids)

    tables = []
    for profile in profiles if count else []:
        convention = CONVENTIONS[profile.box_kind]
        values = convention.forward_matrix(*coco)
        valid = np.isfinite(values).all(axis=1)
        pixels = convention.to_pixels(np.nan_to_num(values), width, height)
        iou = np.asarray(iou_xyxy(*pixels.T, *source.T).to_numpy(zero_copy_only=False),
                         dtype=np.float64)
        kept = valid & (iou >= min_iou)
        reasons = [None] * count
        for i in np.flatnonzero(~kept):  # the few boxes a profile cannot keep, each with why
            reasons[i] = (f"{profile.box_kind}: the box cannot be written in this convention"
                          if not valid[i] else
                          f"{profile.box_kind}: IoU {iou[i]:.3f} with the source box after the "
                          f"profile's rounding is below {min_iou}")
        tables.append(pa.Table.from_arrays([
            pa.array([profile.export_profile] * count, pa.string()), ids,
            pa.array([profile.box_kind] * count, pa.string()),
            _lists_of_four(values, valid), _lists_of_four(pixels, valid),
            _lists_of_four(source, np.ones(count, dtype=bool)),
            pa.array(iou, pa.float64(), mask=~valid), pa.array(kept, pa.bool_()),
            pa.array(reasons, pa.string()), hashes,
        ], schema=_schema()))
    return pa.concat_tables(tables) if tables else _schema().empty_table()


def _schema():
    import pyarrow as pa

    return pa.schema([
        ("export_profile", pa.string()), ("sample_id", pa.string()), ("box_kind", pa.string()),
        ("box_values", pa.list_(pa.float64())), ("backmapped_box_px", pa.list_(pa.float64())),
        ("source_box_px", pa.list_(pa.float64())), ("iou", pa.float64()),
        ("is_kept", pa.bool_()), ("exclusion_reason", pa.string()), ("inputs_hash", pa.string()),
    ])


def _lists_of_four(matrix, valid):
    """An (n, 4) matrix as ``list<float64>`` rows, NULL where ``valid`` is false."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.array(np.arange(0, 4 * len(matrix) + 1, 4, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(matrix.reshape(-1), pa.float64()),
                                    mask=pa.array(~valid))
