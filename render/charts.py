"""Charts rendered from data tables built from the pool, with their tables and every label.

In: a ``ChartSpec`` (chart type, seed, visual parameters) and its parent ``GeneralImage``
group. Out: a ``RenderedChart``: PNG bytes, the ``ChartData`` table it plots (series,
categories, values, unit), every text element drawn with its role and pixel box, and
question/answer pairs whose answers are read off the exact table.

Chart types (``CHART_TYPES``, taken in turn by chart index), and the table each plots:

- ``bar``: objects per category over the group's images (top 8 categories), counts.
- ``barh``: mean box width and height per category (top 6), pixels, two series + legend.
- ``line``: objects per box-size bin over the group's images, one series. The x axis is
  an ordered dimension the annotations really have: the longer side of each object's box,
  in doubling pixel bins (``SIZE_BINS``: 0-31, 32-63, 64-127, 128-255, 256+ px), so a
  "trend" along it means something (how the objects spread from small to large boxes).
  Every bin is plotted, an empty one as 0.
- ``pie``: objects per supercategory (top 5, the rest as "other"), legend, counts on wedges.

Every value is also printed on the chart (bar ends, line points, wedges), so a reader,
and the OCR value check, can find it. Crowd regions are not counted.

Layout: tick labels that would overlap (measured on the drawn text extents) are rotated
and right-aligned, and ``tight_layout`` runs after that, so no text overlaps another and
none is clipped at the canvas edge (``text_overlaps`` measures it; the tests run it on
every chart).

Determinism: all text uses ``FontProperties(fname=...)`` on matplotlib's bundled DejaVu
files (never a system font looked up by name), rcParams are reset to matplotlib's
defaults inside the render, ticks and their labels are set explicitly, and the canvas
pixels are written as PNG by Pillow (no metadata), so the same spec gives the same bytes.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator
from PIL import Image

from render.documents import spec_seed
from render.fonts import font_path
from render.inputs import GeneralImage

GENERATOR = "mmfactory.render.charts"
GENERATOR_VERSION = "2.0.0"  # 2: line charts over box-size bins; label layout
CHART_TYPES = ("bar", "barh", "line", "pie")
SIZE_BINS: tuple[tuple[str, float, float], ...] = (
    ("0-31", 0.0, 32.0),
    ("32-63", 32.0, 64.0),
    ("64-127", 64.0, 128.0),
    ("128-255", 128.0, 256.0),
    ("256+", 256.0, float("inf")),
)
"""(tick label, lower bound, upper bound) of the line chart's bins of a box's longer side
in pixels, in order; a box falls in the bin with ``lower <= max(w, h) < upper``."""

PALETTES = (
    ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"),
    ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"),
    ("#264653", "#e76f51", "#2a9d8f", "#e9c46a", "#f4a261", "#6d597a"),
    ("#3b5b92", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646"),
)


@dataclass(frozen=True)
class ChartData:
    """The table a chart plots: categories x series, one unit, and how values print."""

    title: str
    x_label: str | None
    y_label: str | None
    unit: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    decimals: int

    def fmt(self, value: float) -> str:
        return f"{value:.{self.decimals}f}"


@dataclass(frozen=True)
class ChartSpec:
    chart_type: str
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class TextElement:
    role: str
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels, y down


@dataclass(frozen=True)
class RenderedChart:
    png: bytes
    width_px: int
    height_px: int
    data: ChartData
    elements: list[TextElement]
    qa: list[tuple[str, str]]

    @property
    def chart_text(self) -> str:
        """Every drawn string, one per line, in drawing order."""
        return "\n".join(e.text for e in self.elements)


# -- tables from the pool -------------------------------------------------------------------


def _top(counts: Counter, n: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def size_bin_counts(objects: Sequence[Any]) -> list[int]:
    """How many of ``objects`` (anything with ``w`` and ``h``) fall in each ``SIZE_BINS``
    bin of the box's longer side, in bin order."""
    counts = [0] * len(SIZE_BINS)
    for o in objects:
        side = max(o.w, o.h)
        for i, (_, lo, hi) in enumerate(SIZE_BINS):
            if lo <= side < hi:
                counts[i] += 1
                break
    return counts


def chart_data(chart_type: str, parents: Sequence[GeneralImage]) -> ChartData:
    """The table of a ``chart_type`` chart over ``parents`` (see the module doc)."""
    objects = [o for g in parents for o in g.countable]
    k = len(parents)
    if chart_type == "bar":
        top = _top(Counter(o.category_name for o in objects), 8)
        return ChartData(
            f"Objects per category in {k} images",
            "Category",
            "Objects (count)",
            "objects",
            tuple(n for n, _ in top),
            (("objects", tuple(float(c) for _, c in top)),),
            0,
        )
    if chart_type == "barh":
        top = _top(Counter(o.category_name for o in objects), 6)
        widths, heights = [], []
        for name, _ in top:
            members = [o for o in objects if o.category_name == name]
            widths.append(round(sum(o.w for o in members) / len(members), 1))
            heights.append(round(sum(o.h for o in members) / len(members), 1))
        return ChartData(
            "Mean box size per category",
            "Mean box size (px)",
            "Category",
            "px",
            tuple(n for n, _ in top),
            (("mean width", tuple(widths)), ("mean height", tuple(heights))),
            1,
        )
    if chart_type == "line":
        counts = size_bin_counts(objects)
        return ChartData(
            f"Objects by box size in {k} images",
            "Longer box side (px)",
            "Objects (count)",
            "objects",
            tuple(label for label, _, _ in SIZE_BINS),
            (("objects", tuple(float(c) for c in counts)),),
            0,
        )
    if chart_type == "pie":
        counts = Counter(o.supercategory or "unknown" for o in objects)
        top = _top(counts, 5)
        rest = sum(counts.values()) - sum(c for _, c in top)
        if rest:
            top.append(("other", rest))
        return ChartData(
            "Objects by supercategory",
            None,
            None,
            "objects",
            tuple(n for n, _ in top),
            (("objects", tuple(float(c) for _, c in top)),),
            0,
        )
    raise ValueError(f"unknown chart type {chart_type!r}; known: {CHART_TYPES}")


def qa_pairs(chart_type: str, data: ChartData) -> list[tuple[str, str]]:
    """Questions whose answers are exact reads of the table (ties give no 'which' question)."""
    pairs: list[tuple[str, str]] = []
    name, values = data.series[0]
    best = max(values)
    leaders = [c for c, v in zip(data.categories, values) if v == best]
    if chart_type == "bar":
        pairs.append(
            (f"How many {data.categories[0]} objects does the chart count?", data.fmt(values[0]))
        )
        if len(leaders) == 1:
            pairs.append(("Which category has the most objects?", leaders[0]))
    elif chart_type == "barh":
        pairs.append(
            (f"What is the mean box width of {data.categories[0]}, in pixels?", data.fmt(values[0]))
        )
        h = data.series[1][1][0]
        pairs.append(
            (f"What is the mean box height of {data.categories[0]}, in pixels?", data.fmt(h))
        )
    elif chart_type == "line":
        pairs.append(
            (
                f"How many objects have a longer box side of {data.categories[-1]} px?",
                data.fmt(values[-1]),
            )
        )
        if len(leaders) == 1:
            pairs.append(("Which box-size bin has the most objects?", leaders[0]))
    elif chart_type == "pie":
        pairs.append(
            (f"How many objects are in the {data.categories[0]} slice?", data.fmt(values[0]))
        )
        if len(leaders) == 1:
            pairs.append(("Which supercategory has the largest share of objects?", leaders[0]))
    return pairs


# -- specs and rendering --------------------------------------------------------------------


def make_chart_spec(index: int, parents: Sequence[GeneralImage], seed: int = 0) -> ChartSpec:
    """The spec of the ``index``-th derived chart over ``parents``."""
    s = spec_seed(seed, "chart", index, [g.asset_id for g in parents])
    rng = random.Random(s)
    chart_type = CHART_TYPES[index % len(CHART_TYPES)]
    return ChartSpec(
        chart_type=chart_type,
        seed=s,
        params={
            "chart_type": chart_type,
            "fig_width_in": rng.choice([6.4, 7.0, 7.5]),
            "fig_height_in": rng.choice([4.4, 4.8, 5.2]),
            "dpi": 100,
            "font_size_pt": rng.choice([10, 11, 12]),
            "title_size_pt": rng.choice([13, 14, 15]),
            "palette": list(rng.choice(PALETTES)),
            "show_grid": rng.random() < 0.5,
            "bar_width": rng.choice([0.6, 0.7, 0.8]),
            "marker": rng.choice(["o", "s", "^", "D"]),
            "font_regular": "DejaVuSans.ttf",
            "font_bold": "DejaVuSans-Bold.ttf",
        },
    )


def _wrap_label(text: str, limit: int = 9) -> str:
    """Put a two-word category name on two lines when it is long."""
    return text.replace(" ", "\n", 1) if len(text) > limit and " " in text else text


def _value_ticks(vmax: float, integer: bool) -> list[float]:
    ticks = MaxNLocator(nbins=5, integer=integer, min_n_ticks=3).tick_values(0, vmax * 1.15)
    return [float(t) for t in ticks if t >= 0]


def _tick_text(t: float) -> str:
    return f"{t:.0f}" if float(t).is_integer() else f"{t:g}"


def boxes_overlap(a: Sequence[float], b: Sequence[float], tolerance_px: float = 0.5) -> bool:
    """True when two (x0, y0, x1, y1) boxes share an area wider and taller than
    ``tolerance_px`` (touching edges do not count)."""
    return (
        min(a[2], b[2]) - max(a[0], b[0]) > tolerance_px
        and min(a[3], b[3]) - max(a[1], b[1]) > tolerance_px
    )


def text_overlaps(elements: Sequence[TextElement]) -> list[tuple[TextElement, TextElement]]:
    """Every pair of drawn texts whose rendered extents overlap (see ``boxes_overlap``)."""
    return [
        (a, b)
        for i, a in enumerate(elements)
        for b in elements[i + 1 :]
        if boxes_overlap(a.box, b.box)
    ]


def _crowded(boxes: Sequence[Any], gap_px: float = 2.0) -> bool:
    return any(
        boxes_overlap((a.x0 - gap_px, a.y0, a.x1 + gap_px, a.y1),
                      (b.x0 - gap_px, b.y0, b.x1 + gap_px, b.y1))
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


def _rotate_crowded_ticks(fig: Figure, canvas: FigureCanvasAgg, ax: Any) -> None:
    """While the drawn x tick labels overlap each other (or come within 4 px), rotate them
    further (30, 60, then 90 degrees, right-aligned at their tick) and lay the figure out
    again."""
    labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
    for angle in (30, 60, 90):
        renderer = canvas.get_renderer()
        if not _crowded([t.get_window_extent(renderer) for t in labels]):
            return
        for t in labels:
            t.set_rotation(angle)
            t.set_horizontalalignment("center" if angle == 90 else "right")
            t.set_rotation_mode("default" if angle == 90 else "anchor")
        fig.tight_layout()
        canvas.draw()


def _fit_in_canvas(fig: Figure, canvas: FigureCanvasAgg, ax: Any, texts: Sequence[Any]) -> None:
    """Shrink the axes until every drawn text lies inside the canvas with a 3 px margin
    (``tight_layout`` leaves an outside legend or a rotated label hanging over an edge)."""
    width, height = canvas.get_width_height()
    for _ in range(3):
        renderer = canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in texts if t.get_visible()]
        if not boxes:
            return
        margin = 3.0
        left = max(0.0, margin - min(b.x0 for b in boxes))
        right = max(0.0, max(b.x1 for b in boxes) - (width - margin))
        bottom = max(0.0, margin - min(b.y0 for b in boxes))
        top = max(0.0, max(b.y1 for b in boxes) - (height - margin))
        if not (left or right or bottom or top):
            return
        pos = ax.get_position()
        ax.set_position(
            (
                pos.x0 + left / width,
                pos.y0 + bottom / height,
                pos.width - (left + right) / width,
                pos.height - (bottom + top) / height,
            )
        )
        canvas.draw()


def render_chart(spec: ChartSpec, parents: Sequence[GeneralImage]) -> RenderedChart:
    """Render ``spec`` over ``parents``; deterministic for a given matplotlib/Pillow."""
    data = chart_data(spec.chart_type, parents)
    p = spec.params
    regular = FontProperties(fname=str(font_path(p["font_regular"])), size=p["font_size_pt"])
    small = FontProperties(fname=str(font_path(p["font_regular"])), size=p["font_size_pt"] - 1)
    title_font = FontProperties(fname=str(font_path(p["font_bold"])), size=p["title_size_pt"])
    colors = p["palette"]
    texts: list[tuple[str, Any]] = []  # (role, matplotlib Text)

    with matplotlib.style.context("default"), matplotlib.rc_context({"svg.hashsalt": "mmfactory"}):
        fig = Figure(figsize=(p["fig_width_in"], p["fig_height_in"]), dpi=p["dpi"])
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        texts.append(("title", ax.set_title(data.title, fontproperties=title_font, pad=12)))
        cats = [_wrap_label(c) for c in data.categories]
        n = len(cats)
        vmax = max(max(v) for _, v in data.series)
        if spec.chart_type in ("bar", "barh", "line"):
            ticks = _value_ticks(vmax, data.decimals == 0)
            labels = [_tick_text(t) for t in ticks]
        if spec.chart_type == "bar":
            name, values = data.series[0]
            bars = ax.bar(np.arange(n), values, width=p["bar_width"], color=colors[0])
            for t in ax.bar_label(
                bars, labels=[data.fmt(v) for v in values], padding=2, fontproperties=small
            ):
                texts.append(("value_label", t))
            ax.set_xticks(np.arange(n), cats, fontproperties=regular)
            ax.set_yticks(ticks, labels, fontproperties=regular)
            ax.set_ylim(0, ticks[-1])
        elif spec.chart_type == "barh":
            height = p["bar_width"] / len(data.series)
            ys = np.arange(n)
            for si, (name, values) in enumerate(data.series):
                bars = ax.barh(
                    ys + (si - (len(data.series) - 1) / 2) * height,
                    values,
                    height=height,
                    color=colors[si],
                    label=name,
                )
                for t in ax.bar_label(
                    bars, labels=[data.fmt(v) for v in values], padding=2, fontproperties=small
                ):
                    texts.append(("value_label", t))
            ax.set_yticks(ys, cats, fontproperties=regular)
            ax.invert_yaxis()
            ax.set_xticks(ticks, labels, fontproperties=regular)
            ax.set_xlim(0, ticks[-1])
        elif spec.chart_type == "line":
            xs = np.arange(n)
            for si, (name, values) in enumerate(data.series):
                ax.plot(xs, values, marker=p["marker"], color=colors[si], label=name, linewidth=2)
                for x, v in zip(xs, values):
                    offset = 8 if si == 0 else -15  # one series today: every label above
                    texts.append(
                        (
                            "value_label",
                            ax.annotate(
                                data.fmt(v),
                                (x, v),
                                textcoords="offset points",
                                xytext=(0, offset),
                                ha="center",
                                fontproperties=small,
                                color=colors[si],
                            ),
                        )
                    )
            ax.set_xticks(xs, cats, fontproperties=regular)
            ax.set_yticks(ticks, labels, fontproperties=regular)
            ax.set_ylim(0, ticks[-1])
            ax.set_xlim(-0.5, n - 0.5)
        elif spec.chart_type == "pie":
            name, values = data.series[0]
            wedges, _ = ax.pie(
                values,
                colors=[colors[i % len(colors)] for i in range(n)],
                startangle=90,
                counterclock=False,
                wedgeprops={"edgecolor": "white", "linewidth": 1},
            )
            for w, v in zip(wedges, values):
                angle = np.deg2rad((w.theta1 + w.theta2) / 2)
                texts.append(
                    (
                        "value_label",
                        ax.text(
                            0.68 * np.cos(angle),
                            0.68 * np.sin(angle),
                            data.fmt(v),
                            ha="center",
                            va="center",
                            fontproperties=regular,
                            color="white",
                        ),
                    )
                )
            ax.set_aspect("equal")
        if spec.chart_type != "pie":
            if data.x_label:
                texts.append(("x_label", ax.set_xlabel(data.x_label, fontproperties=regular)))
            if data.y_label:
                texts.append(("y_label", ax.set_ylabel(data.y_label, fontproperties=regular)))
            if p["show_grid"]:
                ax.grid(
                    axis="x" if spec.chart_type == "barh" else "y", color="#dddddd", linewidth=0.8
                )
                ax.set_axisbelow(True)
            ax.spines[["top", "right"]].set_visible(False)
        if len(data.series) > 1 or spec.chart_type == "pie":
            handles = wedges if spec.chart_type == "pie" else None
            legend_labels = list(data.categories) if spec.chart_type == "pie" else None
            legend = (
                ax.legend(
                    handles,
                    legend_labels,
                    prop=regular,
                    loc="center left",
                    bbox_to_anchor=(1.0, 0.5),
                    frameon=False,
                )
                if spec.chart_type == "pie"
                else ax.legend(prop=regular, loc="best", frameon=False)
            )
            texts += [("legend", t) for t in legend.get_texts()]
        fig.tight_layout()
        canvas.draw()
        if spec.chart_type != "pie":
            _rotate_crowded_ticks(fig, canvas, ax)
        tick_labels = [] if spec.chart_type == "pie" else ax.get_xticklabels() + ax.get_yticklabels()
        _fit_in_canvas(fig, canvas, ax, [t for _, t in texts] + tick_labels)
        renderer = canvas.get_renderer()
        width, height = canvas.get_width_height()
        for role, axis in (("x_tick", ax.xaxis), ("y_tick", ax.yaxis)):
            if spec.chart_type != "pie":
                lo, hi = sorted(axis.get_view_interval())
                for loc, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels()):
                    if lo - 1e-9 <= loc <= hi + 1e-9 and label.get_text():
                        texts.append((role, label))
        elements = []
        for role, t in texts:
            text = " ".join(t.get_text().split())
            if not text or not t.get_visible():
                continue
            bb = t.get_window_extent(renderer)
            elements.append(
                TextElement(
                    role,
                    text,
                    (
                        round(bb.x0, 1),
                        round(height - bb.y1, 1),
                        round(bb.x1, 1),
                        round(height - bb.y0, 1),
                    ),
                )
            )
        rgba = np.asarray(canvas.buffer_rgba())
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3].copy()).save(buf, format="PNG", compress_level=6)
    return RenderedChart(
        png=buf.getvalue(),
        width_px=width,
        height_px=height,
        data=data,
        elements=elements,
        qa=qa_pairs(spec.chart_type, data),
    )
