"""Derived charts: tables from the pool, every label recorded, identical bytes on re-render."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from PIL import Image

from ingest.documents.plausibility import check_table
from render.charts import (
    CHART_TYPES,
    SIZE_BINS,
    boxes_overlap,
    chart_data,
    make_chart_spec,
    render_chart,
    size_bin_counts,
    text_overlaps,
)
from render.inputs import GeneralImage, ObjectBox


@pytest.fixture(scope="module")
def groups(general_images: list[GeneralImage]) -> list[tuple[GeneralImage, ...]]:
    usable = [g for g in general_images if g.is_usable]
    return [tuple(usable[i * 9 : i * 9 + 3 + i % 4]) for i in range(len(CHART_TYPES))]


@pytest.fixture(scope="module")
def rendered(groups):
    out = []
    for i, parents in enumerate(groups):
        spec = make_chart_spec(i, parents, seed=0)
        out.append((spec, parents, render_chart(spec, parents)))
    return out


def test_every_type_renders_with_title_axes_units_and_legend(rendered) -> None:
    assert [spec.chart_type for spec, _, _ in rendered] == list(CHART_TYPES)
    for spec, _, chart in rendered:
        roles = Counter(e.role for e in chart.elements)
        assert roles["title"] == 1 and chart.elements[0].text == chart.data.title
        assert roles["value_label"] == sum(len(v) for _, v in chart.data.series), spec.chart_type
        if spec.chart_type != "pie":
            assert roles["x_label"] == roles["y_label"] == 1
            assert roles["x_tick"] and roles["y_tick"]
        if spec.chart_type in ("barh", "pie"):  # more than one series or wedge
            assert roles["legend"] >= 2
        img = Image.open(io.BytesIO(chart.png))
        assert (
            img.size
            == (chart.width_px, chart.height_px)
            == (
                round(spec.params["fig_width_in"] * spec.params["dpi"]),
                round(spec.params["fig_height_in"] * spec.params["dpi"]),
            )
        )
        for e in chart.elements:
            x0, y0, x1, y1 = e.box
            assert -1 <= x0 < x1 <= chart.width_px + 1 and -1 <= y0 < y1 <= chart.height_px + 1, (
                spec.chart_type,
                e,
            )


def test_tables_are_computed_from_the_parents(groups) -> None:
    parents = groups[0]
    bar = chart_data("bar", parents)
    counts = Counter(o.category_name for g in parents for o in g.countable)
    assert dict(zip(bar.categories, bar.series[0][1])) == {
        c: float(counts[c]) for c in bar.categories
    }
    assert bar.unit == "objects" and list(bar.series[0][1]) == sorted(
        bar.series[0][1], reverse=True
    )
    line = chart_data("line", parents)
    assert line.categories == tuple(label for label, _, _ in SIZE_BINS)
    assert len(line.series) == 1 and sum(line.series[0][1]) == sum(counts.values())
    sides = [max(o.w, o.h) for g in parents for o in g.countable]
    assert line.series[0][1][0] == sum(1 for s in sides if s < 32)
    assert line.series[0][1][-1] == sum(1 for s in sides if s >= 256)
    pie = chart_data("pie", parents)
    assert sum(pie.series[0][1]) == sum(counts.values())
    with pytest.raises(ValueError, match="unknown chart type"):
        chart_data("radar", parents)


def test_values_are_printed_and_qa_answers_come_from_the_table(rendered) -> None:
    for spec, _, chart in rendered:
        printed = [e.text for e in chart.elements if e.role == "value_label"]
        assert sorted(printed) == sorted(
            chart.data.fmt(v) for _, vs in chart.data.series for v in vs
        )
        assert chart.qa, spec.chart_type
        for _, answer in chart.qa:
            assert answer in chart.chart_text
        table = chart.data
        assert check_table(
            list(table.categories), [(n, list(v)) for n, v in table.series], table.unit
        ).is_plausible


def test_rendering_is_byte_identical(rendered) -> None:
    for i, (_spec, parents, chart) in enumerate(rendered):
        assert render_chart(make_chart_spec(i, parents, seed=0), parents).png == chart.png


def _box(side_w: float, side_h: float) -> ObjectBox:
    return ObjectBox(1, 1, "cat", "animal", 0.0, 0.0, side_w, side_h, False)


def test_size_bins_take_the_longer_side_at_their_bounds() -> None:
    boxes = [_box(31.9, 5), _box(5, 32), _box(63.9, 63.9), _box(64, 1), _box(300, 20)]
    assert size_bin_counts(boxes) == [1, 2, 1, 0, 1]


def test_boxes_overlap_ignores_touching_edges() -> None:
    assert boxes_overlap((0, 0, 10, 10), (5, 5, 15, 15))
    assert not boxes_overlap((0, 0, 10, 10), (10, 0, 20, 10))
    assert not boxes_overlap((0, 0, 10, 10), (0, 10.4, 10, 20))


def test_no_drawn_text_overlaps_another_or_leaves_the_canvas(rendered, general_images) -> None:
    """Measured on matplotlib's rendered extents (get_window_extent), on the fixture charts
    and on a bar chart crowded with the longest one-word category names of the data."""
    charts = [chart for _, _, chart in rendered]
    usable = [g for g in general_images if g.is_usable]
    longest = sorted({o.category_name for g in usable for o in g.countable if " " not in
                      o.category_name}, key=lambda n: (-len(n), n))[:8]
    crowded = tuple(g for g in usable if any(o.category_name in longest for o in g.countable))
    spec = make_chart_spec(0, crowded, seed=0)
    assert spec.chart_type == "bar"
    charts.append(render_chart(spec, crowded))
    for chart in charts:
        assert text_overlaps(chart.elements) == [], chart.data.title
        for e in chart.elements:
            x0, y0, x1, y1 = e.box
            assert 0 <= x0 < x1 <= chart.width_px and 0 <= y0 < y1 <= chart.height_px, e
