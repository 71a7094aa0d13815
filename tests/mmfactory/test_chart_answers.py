"""Chart samples a reader of the chart would accept, on the lakehouse built from the shared
data (the session's ``built_warehouse``): the report's chart figures, and the trend answers
and drawn label extents re-read here in Python, independently of the SQL that made them."""

from __future__ import annotations

import re

import duckdb

from lakehouse.settings import Warehouse
from render.charts import SIZE_BINS, boxes_overlap


def _sql(wh: Warehouse, query: str) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query).fetchall()


def _shape(values: list[float]) -> str:
    """The trend rule, written again: flat, rises, falls, one interior peak or dip, mixed."""
    steps = [b - a for a, b in zip(values, values[1:])]
    if max(values) == min(values):
        return "flat"
    if all(s >= 0 for s in steps):
        return "rises"
    if all(s <= 0 for s in steps):
        return "falls"
    for sign, name, pick in ((1, "peak", max), (-1, "dip", min)):
        at = values.index(pick(values))
        if 0 < at < len(values) - 1 and values.count(pick(values)) == 1 and all(
            sign * s >= 0 for s in steps[:at]) and all(sign * s <= 0 for s in steps[at:]):
            return name
    return "mixed"


def test_trend_shape_rule() -> None:
    assert _shape([3, 3]) == "flat" and _shape([1, 1, 4]) == "rises" and _shape([4, 1]) == "falls"
    assert _shape([1, 5, 2]) == "peak" and _shape([5, 1, 2]) == "dip"
    assert _shape([3, 8, 5, 8, 8]) == "mixed" and _shape([1, 5, 5, 2]) == "mixed"


def test_chart_figures_meet_the_targets(built_warehouse: Warehouse) -> None:
    figures = dict(_sql(built_warehouse, "select figure, value from report_chart_quality"))
    assert int(figures["chart samples (table questions)"]) > 100
    assert figures['en number-noun disagreements ("1 objects", "N count")'] == "0"
    assert figures["zh samples with Latin text outside 「」 quotes"] == "0"
    assert figures["en structure answers of multi-series charts missing a series"].startswith("0 of")
    assert int(figures["trend samples (along ordered box-size bins)"]) >= 10
    assert figures["derived charts with overlapping drawn texts"] == "0"
    assert figures["chart samples failing the chart audit"] == "0"


def test_trend_answers_read_the_ordered_bins(built_warehouse: Warehouse) -> None:
    rows = _sql(built_warehouse, """
        select s.language, s.answer_text,
               list(t.value order by t.category_index), list(t.category order by t.category_index)
        from samples s join stg_charts__tables t
          on t.asset_id = s.source_asset_ids[1] and t.series_index = 0
        where s.task_type = 'chart_reading' and s.question_kind = 'trend'
        group by all""")
    assert rows
    words = {"en": {"rises": " rises from ", "falls": " falls from ", "peak": "a peak of",
                    "dip": "a low of", "flat": " stays at ", "mixed": "goes up and down"},
             "zh": {"rises": "上升到", "falls": "下降到", "peak": "峰值", "dip": "最低值",
                    "flat": "一直是", "mixed": "有升有降"}}
    for language, answer, values, categories in rows:
        assert categories == [label for label, _, _ in SIZE_BINS]
        assert words[language][_shape(values)] in answer, answer
        numbers = [int(n) for n in re.findall(r"(?<![\d+-])(\d+)(?:个| object)", answer)]
        assert numbers[0] == values[0] and numbers[-1] == values[-1], answer


def test_no_drawn_text_overlaps_on_any_landed_chart(built_warehouse: Warehouse) -> None:
    rows = _sql(built_warehouse, """
        select c.asset_id, list([e.x_px, e.y_px, e.x_px + e.w_px, e.y_px + e.h_px]),
               any_value(a.width_px), any_value(a.height_px)
        from stg_charts__text_elements e join stg_charts__charts c using (asset_id)
        join stg_landing__assets a using (asset_id)
        where e.source = 'derived_charts' group by c.asset_id""")
    assert len(rows) >= 100
    for asset_id, boxes, width, height in rows:
        for i, a in enumerate(boxes):
            assert 0 <= a[0] and a[2] <= width and 0 <= a[1] and a[3] <= height, asset_id
            for b in boxes[i + 1:]:
                assert not boxes_overlap(a, b), asset_id


def test_report_prints_the_chart_figures(built_warehouse: Warehouse) -> None:
    md = (built_warehouse.exports / "p3_report.md").read_text(encoding="utf-8")
    section = md.split("## Charts", 1)[1].split("\n## ", 1)[0]
    for figure, value in _sql(built_warehouse, "select figure, value from report_chart_quality"):
        assert figure in section and value in section
