"""Which landed document and chart images the OCR stage reads.

In: the OCR candidates (landed ``assets`` rows of type ``document_image`` / ``chart_image``),
the ids of the charts mmfactory drew itself (those with ``asset_lineage`` rows), each
chart's kind (``charts.chart_type``) and ``per_kind``.
Out: the candidates to read and, for each one left unread, why (``ReadPlan``).

The rule:

- Every document image is read, real or drawn. A document's read decides whether it
  becomes OCR supervision (``is_ocr_usable``) and is the text its samples' values are
  audited against, value by value (``int_document_samples_audited``), so no read can be
  inferred from another.
- Every real chart is read (users' charts carry every quirk of their source).
- Charts mmfactory drew are read as a sample: the first ``per_kind`` of each chart kind
  (bar, barh, line, pie...) in ``sha256(asset_id)`` order. No model and no sample reads a
  drawn chart's OCR: its samples come from the table it was drawn from, and its visible
  text is the text elements it landed with. What the reads measure is how legible the
  renderer draws each kind, and a sample measures that: on the 20k-photo build's 126
  drawn charts (all read), the first 8 per kind gave each kind's mean character recall
  within 0.013 of all of its reads, and its value recall within 0.04 (BENCHMARKS.md,
  "Which charts are read"). ``per_kind=None`` reads every chart.

The choice is a pure function of the candidates, so a rebuild from the same landing
reads and lands the same rows whatever was read before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_DRAWN_CHARTS_PER_KIND = 8
# Why a candidate is not read (the stage's report counts them by reason).
BEYOND_KIND_SAMPLE = "drawn_chart_beyond_kind_sample"


@dataclass(frozen=True)
class ReadPlan:
    """The candidates to read, in their given order, and the ids left unread with why."""

    read: tuple[dict, ...]
    unread: Mapping[str, str]

    def summary(self) -> str:
        """One line for the stage's report: how many were left unread and why."""
        if not self.unread:
            return "every document and chart image read"
        counts: dict[str, int] = {}
        for reason in self.unread.values():
            counts[reason] = counts.get(reason, 0) + 1
        return ", ".join(f"{n} unread ({reason})" for reason, n in sorted(counts.items()))


def sample_rank(asset_id: str) -> str:
    """The sort key of a drawn chart within its kind."""
    return hashlib.sha256(asset_id.encode()).hexdigest()


def plan_reads(
    candidates: Iterable[dict],
    drawn_charts: Mapping[str, str | None],
    per_kind: int | None = DEFAULT_DRAWN_CHARTS_PER_KIND,
) -> ReadPlan:
    """Choose the reads (see the module doc).

    ``candidates``: asset rows with at least ``asset_id`` and ``asset_type``.
    ``drawn_charts``: asset id -> chart kind (None when unknown) of every chart mmfactory
    drew; a chart not in it is a real chart. ``per_kind``: drawn charts read per kind
    (None: all; 0: none)."""
    if per_kind is not None and per_kind < 0:
        raise ValueError(f"per_kind must be >= 0 or None, got {per_kind}")
    rows = list(candidates)
    unread: dict[str, str] = {}
    if per_kind is not None:
        by_kind: dict[str, list[str]] = {}
        for row in rows:
            aid = row["asset_id"]
            if row["asset_type"] == "chart_image" and aid in drawn_charts:
                by_kind.setdefault(drawn_charts[aid] or "unknown", []).append(aid)
        for ids in by_kind.values():
            for aid in sorted(set(ids), key=lambda a: (sample_rank(a), a))[per_kind:]:
                unread[aid] = BEYOND_KIND_SAMPLE
    return ReadPlan(read=tuple(r for r in rows if r["asset_id"] not in unread), unread=unread)
