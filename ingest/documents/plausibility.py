"""Is a chart's data table believable? Checks that catch ChartQA's table artefacts.

In: the table as categories (first column) and series (the other columns) of parsed
values. Out: ``Plausibility``: a verdict, the reasons, and the cells to blame.

ChartQA's tables were extracted from the charts' sources and are noisy: chart 10095 plots
11 points per series with values 35..55, its table has 6 rows, a ``0`` and a ``5250``;
chart 10149's table has rows of zeros for values the chart shows as 51..61. A table that
fails any check is flagged (``is_table_plausible = false``) and must never become
supervision; its QA pairs (written by people looking at the chart) are kept apart.

Checks, per table and per series (a series' "typical size" is the median of the absolute
values of its non-zero cells):

- ``empty_table``: no category or no series.
- ``duplicate_category``: a category appears twice (an x value plotted twice).
- ``non_numeric_value``: a cell that is not a number (after removing ``%``, thousands
  separators and surrounding spaces).
- ``zero_artefact``: a cell that is exactly 0 in a series of at least 2 non-zero values
  whose typical size is at least ``zero_floor`` (10): extraction placeholders, not data.
  Small-count series (typical size below 10) may hold true zeros and are not judged.
- ``outlier_value``: a cell more than ``outlier_factor`` (100: two orders of magnitude)
  times the series' typical size, in a series of at least 3 non-zero values (``5250``
  among 35..52 is 107 times the typical 49).
- ``percent_range``: for a table whose unit is unknown or ``%``, a cell outside 0..100
  when every other number of the table is inside it (a table of percentages, like Pew's,
  with one cell that cannot be one).

The thresholds are deliberately coarse: they aim at extraction artefacts, not at unusual
but real data: long-tailed counts (18 people among categories of 1 object each) or box
sizes (a 626 px bed among 20 px cups) are real and pass; so a table with a known unit
that is not a percentage (the derived charts' ``objects``, ``px``) skips ``percent_range``.
A second, independent check against the chart's pixels (are the table's values printed on
the chart?) runs with OCR: ``ingest.ocr`` lands ``chart_ocr_checks``.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

ZERO_FLOOR = 10.0
OUTLIER_FACTOR = 100.0

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")


def parse_value(text: str) -> tuple[float | None, str | None]:
    """A table cell as (number, unit): ``'52%'`` -> (52.0, '%'), ``'1,234'`` -> (1234.0, None),
    ``'n/a'`` -> (None, None). Non-finite numbers count as not numbers."""
    cell = text.strip()
    unit = None
    if cell.endswith("%"):
        cell, unit = cell[:-1].strip(), "%"
    cell = _THOUSANDS.sub("", cell)
    try:
        value = float(cell)
    except ValueError:
        return None, None
    return (value, unit) if math.isfinite(value) else (None, None)


@dataclass(frozen=True)
class Plausibility:
    """The verdict on one table; ``suspect_cells`` holds (series_index, category_index)."""

    problems: tuple[str, ...] = ()
    suspect_cells: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    @property
    def is_plausible(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str | None:
        """The problems as one string (``code: detail; ...``), None when plausible."""
        return "; ".join(self.problems) if self.problems else None


def _fmt(v: float) -> str:
    return f"{v:g}"


def check_table(
    categories: list[str],
    series: list[tuple[str, list[float | None]]],
    unit: str | None = None,
    zero_floor: float = ZERO_FLOOR,
    outlier_factor: float = OUTLIER_FACTOR,
) -> Plausibility:
    """Run every check (see the module doc) on one table whose values are in ``unit``."""
    problems: list[str] = []
    suspects: set[tuple[int, int]] = set()
    if not categories or not series:
        return Plausibility(("empty_table: the table has no category or no series",), frozenset())
    seen: dict[str, int] = {}
    for ci, cat in enumerate(categories):
        if cat in seen:
            problems.append(f"duplicate_category: {cat!r} in rows {seen[cat]} and {ci}")
            suspects.update((si, ci) for si in range(len(series)))
        seen.setdefault(cat, ci)
    for si, (name, values) in enumerate(series):
        for ci, v in enumerate(values):
            if v is None:
                problems.append(f"non_numeric_value: {name}@{categories[ci]} is not a number")
                suspects.add((si, ci))
        nonzero = [abs(v) for v in values if v is not None and v != 0]
        if not nonzero:
            continue
        typical = statistics.median(nonzero)
        if len(nonzero) >= 2 and typical >= zero_floor:
            for ci, v in enumerate(values):
                if v == 0:
                    problems.append(
                        f"zero_artefact: {name}@{categories[ci]}=0 in a series of typical "
                        f"size {_fmt(typical)}"
                    )
                    suspects.add((si, ci))
        if len(nonzero) >= 3:
            for ci, v in enumerate(values):
                if v is not None and abs(v) > outlier_factor * typical:
                    problems.append(
                        f"outlier_value: {name}@{categories[ci]}={_fmt(v)} is over "
                        f"{_fmt(outlier_factor)}x the series' typical size {_fmt(typical)}"
                    )
                    suspects.add((si, ci))
    if unit in (None, "%"):
        cells = [
            (si, ci, v)
            for si, (_, values) in enumerate(series)
            for ci, v in enumerate(values)
            if v is not None
        ]
        outside = [(si, ci, v) for si, ci, v in cells if not 0 <= v <= 100]
        if len(cells) >= 3 and len(outside) == 1:
            si, ci, v = outside[0]
            problems.append(
                f"percent_range: {series[si][0]}@{categories[ci]}={_fmt(v)} is outside 0..100 "
                "while "
                f"every other value of the table is inside"
            )
            suspects.add((si, ci))
    return Plausibility(tuple(problems), frozenset(suspects))
