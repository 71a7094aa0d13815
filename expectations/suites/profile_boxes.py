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
from expectations.parts import Frame, Missing, Part, Query, Violations, gxe
from expectations.record_facts import profile_of
from expectations.suites._common import SAMPLES, TRAINING_RECORDS, in_list, quote
from lakehouse.taxonomy import export_profiles
from python_udfs.boxes import CONVENTIONS, iou_xyxy

ANNOTATIONS = "int_annotations_normalized"
PROFILE_BOXES = "profile_boxes"
COLUMNS = ["record_no", "profile", "n_boxes", "has_source", "values_match", "iou"]


def _grounding() -> str:
    """The grounding samples (every split) with their COCO source box."""
    return f"""
        select s.sample_id, a.bbox_x_px, a.bbox_y_px, a.bbox_w_px, a.bbox_h_px,
               a.image_width_px, a.image_height_px
        from {SAMPLES} as s
        inner join {TRAINING_RECORDS} as t on t.id = s.sample_id
        inner join {ANNOTATIONS} as a on a.annotation_id = s.annotation_id
        where t.task_type = {quote(C.GROUNDING_TASK)}
    """


def _box_rows(kinds: dict[str, str]) -> str:
    """One row per grounding record of a profile file: how many boxes its consumer parsed
    out of it (``x_records.n_boxes``, taken when the records were read), the box, and
    its COCO source box (read in order of ``r.file_no, r.line_no``)."""
    return f"""
        select {RECORD_NO} as record_no, r.profile, r.n_boxes, r.box is not null as has_box,
               r.box[1] as box_1, r.box[2] as box_2, r.box[3] as box_3, r.box[4] as box_4,
               g.bbox_x_px, g.bbox_y_px, g.bbox_w_px, g.bbox_h_px, g.image_width_px, g.image_height_px
        from x_records as r
        inner join ({_grounding()}) as g on g.sample_id = r.id
        where {_boxed(kinds)}
    """


def _boxed(kinds: dict[str, str]) -> str:
    """The ``x_records`` rows (``r``) of the profiles ``kinds`` whose consumer parsed boxes."""
    return f"r.n_boxes is not null and r.profile in {in_list(sorted(kinds))}"


def _shipped(kinds: dict[str, str]) -> str:
    """(profile, id) of the records ``_box_rows`` gives, once each: the grounding samples
    each profile ships."""
    return f"""
        select distinct r.profile, r.id
        from x_records as r
        semi join ({_grounding()}) as g on g.sample_id = r.id
        where {_boxed(kinds)}
    """


class _BoxMatches:
    """For a batch of ``_box_rows``: whether each record's one box is the profile's
    conversion of its source box, and its IoU with it, computed per profile on whole
    arrays (``COLUMNS``); the lowest IoU of each profile is kept for the summary."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.profiles: set[str] = set()
        self.lowest: dict[str, float] = {}

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        self.profiles.update(df["profile"].dropna().unique().tolist())
        df["has_source"], df["values_match"], df["iou"] = True, False, None
        df = df.astype({"values_match": object, "iou": object})
        for profile, group in df[df["has_box"]].groupby("profile"):
            convention = CONVENTIONS[self.kinds[profile]]
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
            if len(iou):
                self.lowest[profile] = min(self.lowest.get(profile, np.inf), float(iou.min()))
        return plain(df[COLUMNS]).astype(object)

    def summary(self, rows: int) -> str:
        return (f"{rows} profile boxes in {len(self.profiles)} profiles; lowest IoU "
                + ", ".join(f"{p} {v:.3f}" for p, v in sorted(self.lowest.items())))


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
    matches = _BoxMatches(kinds)
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
    rows = Query(inp.con, _box_rows(kinds), transform=matches, order="r.file_no, r.line_no")
    parts.append(Frame("profile_box_records", rows, exps, "record_no",
                       summary=matches.summary, id_labels=inp.record_keys))
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
        shipped as ({_shipped(kinds)})
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
    left_out = inp.con.execute(f"select count(*) from {PROFILE_BOXES} where not is_kept").fetchone()[0]
    parts.append(Violations("profile_coverage", violations, "violation",
                            "every grounding sample is in each profile or recorded as left out, never both",
                            summary=f"{left_out} (profile, sample) pairs left out with a recorded reason"))
    return parts
