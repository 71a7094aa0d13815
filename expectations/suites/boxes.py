"""Check 7: every grounding record carries a valid box on the 0..1000 grid, says the same
numbers in its answer, and maps back to the source annotation it was derived from."""

from __future__ import annotations

from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Extremes, Frame, Missing, Part, Query, gxe
from expectations.suites._common import SAMPLES, TRAINING_RECORDS, quote

ANNOTATIONS = "int_annotations_normalized"
EDGES = ("ymin", "xmin", "ymax", "xmax")
NUMBER = r"\s*(-?[0-9]+(?:\.[0-9]+)?)\s*"


def _grid(coordinate: str, side: str) -> str:
    """A source coordinate in pixels on the 0..1000 grid, unrounded, clamped to the grid
    (the grid clamps a box that reaches up to 1 px past its image)."""
    return f"least(greatest({coordinate} / {side} * {C.GRID_MAX}, 0), {C.GRID_MAX})"


def alignment_has_bbox(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing({
        TRAINING_RECORDS: ("id", "task_type"),
        SAMPLES: ("sample_id", "annotation_id", *(f"grid_{e}" for e in EDGES)),
        ANNOTATIONS: ("annotation_id", "bbox_x_px", "bbox_y_px", "bbox_w_px", "bbox_h_px",
                      "image_width_px", "image_height_px"),
    })
    if missing:
        return [Missing("grounding_records", missing)]
    box_pattern = r"^\[" + ",".join([NUMBER] * 4) + r"\]$"
    seen = Extremes("backmap_error_cells")
    rows = Query(inp.con, f"""
        with grounding as (
            select r.record_key, r.answer_boxes, s.grid_ymin, s.grid_xmin, s.grid_ymax, s.grid_xmax,
                   a.bbox_x_px as x, a.bbox_y_px as y, a.bbox_w_px as w, a.bbox_h_px as h,
                   a.image_width_px as width, a.image_height_px as height
            from x_records as r
            inner join {TRAINING_RECORDS} as t on t.id = r.id
            left join {SAMPLES} as s on s.sample_id = r.id
            left join {ANNOTATIONS} as a on a.annotation_id = s.annotation_id
            where t.task_type = {quote(C.GROUNDING_TASK)} and r.profile = 'canonical'
        ),
        parsed as (
            select
                *,
                answer_boxes[1] as answer_box_text,
                len(answer_boxes) as answer_box_count
            from grounding
        ),
        numbers as (
            select *, regexp_extract(coalesce(answer_box_text, ''), {quote(box_pattern)}, {list(EDGES)}) as n
            from parsed
        )
        select
            record_key,
            grid_ymin, grid_xmin, grid_ymax, grid_xmax,
            answer_box_text,
            answer_box_count,
            {", ".join(f"try_cast(nullif(n.{e}, '') as double) as answer_{e}" for e in EDGES)},
            greatest(
                abs(grid_ymin - {_grid('y', 'height')}),
                abs(grid_xmin - {_grid('x', 'width')}),
                abs(grid_ymax - {_grid('(y + h)', 'height')}),
                abs(grid_xmax - {_grid('(x + w)', 'width')})
            ) as backmap_error_cells
        from numbers
    """, transform=seen, order="record_key")
    exps = [E.ExpectTableRowCountToBeBetween(min_value=1, description="the dataset holds grounding records")]
    exps += [E.ExpectColumnValuesToNotBeNull(column=f"grid_{e}", description=f"the box has {e}") for e in EDGES]
    exps += [E.ExpectColumnValuesToBeBetween(column=f"grid_{e}", min_value=0, max_value=C.GRID_MAX,
                                             description=f"{e} in 0..{C.GRID_MAX}") for e in EDGES]
    exps += [
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="grid_ymax", column_B="grid_ymin", or_equal=False,
                                                  ignore_row_if="either_value_is_missing",
                                                  description="ymin < ymax"),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="grid_xmax", column_B="grid_xmin", or_equal=False,
                                                  ignore_row_if="either_value_is_missing",
                                                  description="xmin < xmax"),
        E.ExpectColumnValuesToBeInSet(column="answer_box_count", value_set=[1],
                                      description="the answer gives exactly one box"),
        E.ExpectColumnValuesToMatchRegex(column="answer_box_text", regex=r"^\[\d+, \d+, \d+, \d+\]$",
                                         description="the answer's box is 4 integers"),
    ]
    exps += [E.ExpectColumnPairValuesToBeEqual(column_A=f"answer_{e}", column_B=f"grid_{e}",
                                               description=f"the answer's {e} = the record's") for e in EDGES]
    exps += [
        E.ExpectColumnValuesToNotBeNull(column="backmap_error_cells",
                                        description="the box traces back to its source annotation"),
        E.ExpectColumnValuesToBeBetween(column="backmap_error_cells", min_value=0,
                                        max_value=cfg.max_backmap_error_cells + 1e-9,
                                        description=f"within {cfg.max_backmap_error_cells} grid cell "
                                                    "of the source box"),
    ]
    return [Frame("grounding_records", rows, exps, "record_key", summary=lambda n: (
        f"{n} grounding records; boxes valid, answers match, largest back-map error "
        f"{float(seen.high.get('backmap_error_cells', 0)):.3f} cells"))]
