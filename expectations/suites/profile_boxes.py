"""Check 12: every box in every trainer profile file, parsed back with that profile's own
convention, is the profile's conversion of its COCO source box and overlaps it (IoU at
least ``min_profile_box_iou``); a grounding sample missing from a profile is recorded as
left out (``profile_boxes.exclusion_reason``), and one recorded as left out is not shipped.

Self-contained: reads the boxes each profile's parser took out of its records when they
were read (``x_records.n_boxes`` / ``box``: ``expectations.record_facts``), the source
boxes from the lakehouse, the profiles from seeds/export_profiles.csv and the parsers
from ``consumers.registry``; recomputes each expected box with
``python_udfs.boxes.CONVENTIONS`` (never trusting the build's own table for it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from consumers.registry import consumer
from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import RECORD_NO, CheckInputs, plain
from expectations.parts import Frame, Missing, Part, Violations, gxe
from expectations.record_facts import profile_of
from expectations.suites._common import SAMPLES, TRAINING_RECORDS, quote
from lakehouse.taxonomy import export_profiles
from python_udfs.boxes import CONVENTIONS, iou_xyxy

ANNOTATIONS = "int_annotations_normalized"
PROFILE_BOXES = "profile_boxes"
COLUMNS = ["record_no", "profile", "n_boxes", "has_source", "values_match", "iou"]


def _box_rows(inp: CheckInputs, kinds: dict[str, str]) -> pd.DataFrame:
    """One row per grounding record of a profile file: how many boxes its consumer parsed
    out of it (``x_records.n_boxes``, taken when the records were read) and, for a record
    with one box, whether the box is the profile's conversion of its COCO source box and
    its IoU with it. The conversions and IoUs are computed per profile, on whole arrays."""
    df = inp.con.execute(f"""
        with grounding as (
            select s.sample_id, a.bbox_x_px, a.bbox_y_px, a.bbox_w_px, a.bbox_h_px,
                   a.image_width_px, a.image_height_px
            from {SAMPLES} as s
            inner join {TRAINING_RECORDS} as t on t.id = s.sample_id
            inner join {ANNOTATIONS} as a on a.annotation_id = s.annotation_id
            where t.task_type = {quote(C.GROUNDING_TASK)}
        )
        select {RECORD_NO} as record_no, r.profile, r.id, r.n_boxes, r.box is not null as has_box,
               r.box[1] as box_1, r.box[2] as box_2, r.box[3] as box_3, r.box[4] as box_4,
               g.bbox_x_px, g.bbox_y_px, g.bbox_w_px, g.bbox_h_px, g.image_width_px, g.image_height_px
        from x_records as r
        inner join grounding as g on g.sample_id = r.id
        where r.n_boxes is not null and r.profile in (select unnest(?::varchar[]))
        order by r.file_no, r.line_no
    """, [sorted(kinds)]).df()
    df["has_source"], df["values_match"], df["iou"] = True, False, None
    df = df.astype({"values_match": object, "iou": object})
    for profile, group in df[df["has_box"]].groupby("profile"):
        convention = CONVENTIONS[kinds[profile]]
        x, y, w, h, width, height = (group[c].to_numpy(dtype=np.float64) for c in (
            "bbox_x_px", "bbox_y_px", "bbox_w_px", "bbox_h_px", "image_width_px", "image_height_px"))
        want = convention.forward_matrix(x, y, w, h, width, height)  # NaN: cannot be written
        got = group[["box_1", "box_2", "box_3", "box_4"]].to_numpy(dtype=np.float64)
        matches = np.isfinite(want).all(axis=1) & np.isclose(got, want, rtol=0, atol=1e-9).all(axis=1)
        px = convention.to_pixels(got, width, height)
        ious = iou_xyxy(px[:, 0], px[:, 1], px[:, 2], px[:, 3], x, y, x + w, y + h)
        iou = np.where(np.asarray(ious.is_null().to_numpy(zero_copy_only=False), dtype=bool), 0.0,
                       np.asarray(ious.to_numpy(zero_copy_only=False), dtype=np.float64))
        df.loc[group.index, "values_match"] = pd.Series(matches.tolist(), index=group.index, dtype=object)
        df.loc[group.index, "iou"] = pd.Series(iou.tolist(), index=group.index, dtype=object)
    return df


def profile_boxes_match_source(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing({
        TRAINING_RECORDS: ("id", "task_type"),
        SAMPLES: ("sample_id", "annotation_id", "split"),
        ANNOTATIONS: ("annotation_id", "bbox_x_px", "bbox_y_px", "bbox_w_px", "bbox_h_px",
                      "image_width_px", "image_height_px"),
        PROFILE_BOXES: ("export_profile", "sample_id", "is_kept", "exclusion_reason"),
    })
    if missing:
        return [Missing("profile_box_records", missing)]
    kinds = {p.export_profile: p.box_kind for p in export_profiles()}
    profiles_with_files = sorted({profile_of(rel) for rel in inp.record_files} & set(kinds))
    unparsed = [p for p in profiles_with_files if consumer(p) is None]
    rows = _box_rows(inp, kinds)
    df = plain(rows[COLUMNS]).astype(object)
    parts: list[Part] = []
    if unparsed:
        parts.append(Missing("profile_parsers", [f"no box parser for profile {p} (consumers.registry)"
                                                 for p in unparsed]))
    exps = [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="profile files hold grounding records"),
        E.ExpectColumnValuesToBeInSet(column="n_boxes", value_set=[1],
                                      description="each grounding record gives exactly one box"),
        E.ExpectColumnValuesToBeInSet(column="values_match", value_set=[True],
                                      description="the box is the profile's conversion of the source box"),
        E.ExpectColumnValuesToNotBeNull(column="iou", description="the box maps back to pixels"),
        E.ExpectColumnValuesToBeBetween(column="iou", min_value=cfg.min_profile_box_iou, max_value=1 + 1e-9,
                                        description=f"IoU with the source box at least {cfg.min_profile_box_iou}"),
    ]
    worst = df.groupby("profile")["iou"].min() if len(df) else pd.Series(dtype=float)
    summary = (f"{len(df)} profile boxes in {df['profile'].nunique() if len(df) else 0} profiles; lowest IoU "
               + ", ".join(f"{p} {v:.3f}" for p, v in worst.items() if v is not None))
    parts.append(Frame("profile_box_records", df, exps, "record_no", summary=summary, id_labels=inp.record_keys))

    inp.con.register("x_profile_shipped", rows[["profile", "id"]])
    try:
        violations = inp.df(f"""
            with grounding as (
                select s.sample_id, p.profile
                from {SAMPLES} as s
                inner join {TRAINING_RECORDS} as t on t.id = s.sample_id
                cross join (select unnest(?::varchar[]) as profile) as p
                where t.task_type = {quote(C.GROUNDING_TASK)} and s.split in ('train', 'val')
            ),
            recorded as (
                select export_profile as profile, sample_id, is_kept, exclusion_reason
                from {PROFILE_BOXES}
            ),
            shipped as (select distinct profile, id from x_profile_shipped)
            select g.profile || ': ' || g.sample_id || case
                when sh.id is null and not coalesce(r.is_kept = false and r.exclusion_reason is not null, false)
                    then ' is missing from the profile without a recorded reason'
                else ' is shipped although recorded as left out' end as violation
            from grounding as g
            left join recorded as r on r.profile = g.profile and r.sample_id = g.sample_id
            left join shipped as sh on sh.profile = g.profile and sh.id = g.sample_id
            where (sh.id is null and not coalesce(r.is_kept = false and r.exclusion_reason is not null, false))
               or (sh.id is not null and coalesce(r.is_kept = false, false))
            order by 1
        """, [profiles_with_files])
    finally:
        inp.con.unregister("x_profile_shipped")
    left_out = inp.con.execute(f"select count(*) from {PROFILE_BOXES} where not is_kept").fetchone()[0]
    parts.append(Violations("profile_coverage", violations, "violation",
                            "every grounding sample is in each profile or recorded as left out, never both",
                            summary=f"{left_out} (profile, sample) pairs left out with a recorded reason"))
    return parts
