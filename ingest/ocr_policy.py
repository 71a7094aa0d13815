"""Which landed document and chart images the OCR stage reads.

In: the OCR candidates (landed ``assets`` rows of type ``document_image`` / ``chart_image``),
the images mmfactory drew itself (those with ``asset_lineage`` rows) with their kind (a
chart's ``charts.chart_type``, a document's ``document_texts.layout``), ``per_kind`` and
``per_layout``.
Out: the candidates to read and, for each one left unread, why (``ReadPlan``).

The rule:

- Every real document and every real chart is read (users' pages and charts carry every
  quirk of their source). A real document's read decides whether it becomes OCR
  supervision (``is_ocr_usable``) and is the text its samples' values are audited
  against, value by value (``int_document_samples_audited``).
- Documents and charts mmfactory drew are read as a sample: the first ``per_layout`` of
  each document layout (invoice, receipt, ...) and the first ``per_kind`` of each chart
  kind (bar, barh, line, pie...), in ``sha256(asset_id)`` order. A drawn page prints
  exactly the text it landed with (``document_texts``, ``chart_text_elements``), so what
  a read can tell about it is how legibly the renderer draws its layout, and a sample
  tells that: on the COCO128 build's 108 drawn documents (all read, 18 per layout), the
  first 4 of each layout gave each layout's mean character recall within 0.0015 of all of
  its reads, every read of every layout was usable (lowest 0.973), and the 20k build's
  110 were too (lowest 0.937; BENCHMARKS.md, "Which drawn pages are read"). An unread
  drawn document takes its layout's verdict and the text it printed
  (``int_ocr_usability_resolved``, ``int_ocr_texts_assembled``); an unread drawn chart
  needs none (its samples come from the table it was drawn from). ``None`` reads all of
  a kind, 0 none.

The choice is a pure function of the candidates, so a rebuild from the same landing
reads and lands the same rows whatever was read before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_DRAWN_CHARTS_PER_KIND = 8
DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT = 4
# Why a candidate is not read (the stage's report counts them by reason).
BEYOND_KIND_SAMPLE = "drawn_chart_beyond_kind_sample"
BEYOND_LAYOUT_SAMPLE = "drawn_document_beyond_layout_sample"


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
    """The sort key of a drawn image within its kind or layout."""
    return hashlib.sha256(asset_id.encode()).hexdigest()


def plan_reads(
    candidates: Iterable[dict],
    drawn_charts: Mapping[str, str | None],
    per_kind: int | None = DEFAULT_DRAWN_CHARTS_PER_KIND,
    drawn_documents: Mapping[str, str | None] | None = None,
    per_layout: int | None = DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
) -> ReadPlan:
    """Choose the reads (see the module doc).

    ``candidates``: asset rows with at least ``asset_id`` and ``asset_type``.
    ``drawn_charts``: asset id -> chart kind (None when unknown) of every chart mmfactory
    drew; ``drawn_documents``: the same for documents, by layout. An image in neither is
    a real one. ``per_kind`` / ``per_layout``: drawn charts read per kind, drawn documents
    per layout (None: all; 0: none)."""
    for name, limit in (("per_kind", per_kind), ("per_layout", per_layout)):
        if limit is not None and limit < 0:
            raise ValueError(f"{name} must be >= 0 or None, got {limit}")
    rows = list(candidates)
    unread: dict[str, str] = {}
    for asset_type, drawn, limit, reason in (
        ("chart_image", drawn_charts, per_kind, BEYOND_KIND_SAMPLE),
        ("document_image", drawn_documents or {}, per_layout, BEYOND_LAYOUT_SAMPLE),
    ):
        if limit is None:
            continue
        by_kind: dict[str, list[str]] = {}
        for row in rows:
            aid = row["asset_id"]
            if row["asset_type"] == asset_type and aid in drawn:
                by_kind.setdefault(drawn[aid] or "unknown", []).append(aid)
        for ids in by_kind.values():
            for aid in sorted(set(ids), key=lambda a: (sample_rank(a), a))[limit:]:
                unread[aid] = reason
    return ReadPlan(read=tuple(r for r in rows if r["asset_id"] not in unread), unread=unread)
