"""The balanced pool: equal counts of general, document and chart images, chosen deterministically.

The rule (a pure function of its inputs, no I/O):

1. ``per_type`` = the configured count, or by default ``DEFAULT_PER_TYPE`` (128), and
   never more than the number of *usable* general images (at least one non-crowd
   annotation: a page or chart about an image needs objects to talk about; COCO128 has
   126 of 128, so its pool is 126 per type). The default cap keeps rendering and OCR a
   fixed cost however many photos land (118k photos still mean at most 128 derived
   documents and 128 derived charts); ``--per-type N`` overrides it. The general type
   cannot be topped up, so no larger balanced pool exists.
2. Every candidate is ranked by ``sha256(f"{seed}:{asset_id}")``: a stable, seedable
   shuffle that does not depend on the order files were listed in.
3. General: the first ``per_type`` usable images by rank.
4. Documents and charts: real ones come first (they are where users' data is): the first
   ``min(per_type, real)`` real assets of the type by rank. Derived ones top the type up:
   ``per_type - real_taken`` documents and as many charts are rendered.
5. Each derived document is made from one pool general image, taken in rank order (the
   i-th document from the i-th image), so with ``per_type`` documents no image is used
   twice. Each derived chart is made from 3..6 images of ONE block: the pool's general
   images in rank order cut into blocks of ``CHART_BLOCK_SIZE`` (6). Chart i takes block
   ``i mod blocks`` and a window inside it (wrapping within the block). Charts overlap in
   their inputs only inside a block, so the train/val split, which keeps every asset
   derived from an image with that image, groups at most a block of images together
   instead of chaining the whole pool into one group.

Real assets that do not fit (more real documents than ``per_type``) stay landed; they are
just not pool members. Photos beyond the pool (unusable, or past ``per_type``) stay landed
too and still feed the per-photo tasks (captions, grounding, counting...). Every landed
asset the pool leaves out is listed with its reason (``exclusions``, landed as
``asset_pool_exclusions``). Balance is therefore measured on the pool: the balanced core
that feeds the per-type tasks (see ``expectations.config``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_PER_TYPE = 128
CHART_GROUP_SIZES = (3, 4, 5, 6)

# Why a landed asset is not a pool member (``asset_pool_exclusions.reason``).
NO_USABLE_ANNOTATION = "no_usable_annotation"  # a photo with no non-crowd annotation
BEYOND_PER_TYPE = "beyond_per_type"  # the type already holds per_type members
CHART_BLOCK_SIZE = 6


def rank_key(seed: int, asset_id: str) -> str:
    """The sort key of an asset in the seeded shuffle."""
    return hashlib.sha256(f"{seed}:{asset_id}".encode()).hexdigest()


def ranked(asset_ids: Sequence[str], seed: int) -> list[str]:
    """``asset_ids`` (deduplicated) in seeded-shuffle order."""
    return sorted(set(asset_ids), key=lambda a: (rank_key(seed, a), a))


@dataclass(frozen=True)
class BalancePlan:
    """What the pool holds and what to render."""

    per_type: int
    requested_per_type: int | None
    general: tuple[str, ...]  # pool general images, in rank order
    real_documents: tuple[str, ...]  # pool real documents, in rank order
    real_charts: tuple[str, ...]
    document_parents: tuple[
        tuple[str, ...], ...
    ]  # one tuple of parent asset ids per derived document
    chart_parents: tuple[tuple[str, ...], ...]  # one tuple per derived chart
    # (asset_id, asset_type, reason) of every candidate left out, general images first
    exclusions: tuple[tuple[str, str, str], ...] = ()

    @property
    def derived_documents(self) -> int:
        return len(self.document_parents)

    @property
    def derived_charts(self) -> int:
        return len(self.chart_parents)

    def counts(self) -> dict[str, int]:
        """Pool members per asset type (equal by construction)."""
        return {
            "general_image": len(self.general),
            "document_image": len(self.real_documents) + self.derived_documents,
            "chart_image": len(self.real_charts) + self.derived_charts,
        }


def plan_balance(
    usable_general: Sequence[str],
    real_documents: Sequence[str],
    real_charts: Sequence[str],
    per_type: int | None = None,
    seed: int = 0,
    unusable_general: Sequence[str] = (),
) -> BalancePlan:
    """Choose the pool and the derived counts (see the module doc for the rule).
    ``unusable_general`` only feeds the exclusion list."""
    if per_type is not None and per_type < 0:
        raise ValueError(f"per_type must be >= 0, got {per_type}")
    general_ranked = ranked(usable_general, seed)
    wanted = DEFAULT_PER_TYPE if per_type is None else per_type
    n = min(wanted, len(general_ranked))
    general = general_ranked[:n]
    docs_ranked = ranked(real_documents, seed)
    charts_ranked = ranked(real_charts, seed)
    docs, charts = docs_ranked[:n], charts_ranked[:n]
    exclusions = (
        [(a, "general_image", NO_USABLE_ANNOTATION) for a in ranked(unusable_general, seed)]
        + [(a, "general_image", BEYOND_PER_TYPE) for a in general_ranked[n:]]
        + [(a, "document_image", BEYOND_PER_TYPE) for a in docs_ranked[n:]]
        + [(a, "chart_image", BEYOND_PER_TYPE) for a in charts_ranked[n:]]
    )
    document_parents = tuple((general[i],) for i in range(n - len(docs)))
    blocks = [list(general[b : b + CHART_BLOCK_SIZE]) for b in range(0, n, CHART_BLOCK_SIZE)]
    if len(blocks) > 1 and len(blocks[-1]) < min(CHART_GROUP_SIZES):
        short = blocks.pop()
        blocks[-1] += short  # a short last block joins the one before it
    chart_parents = []
    for i in range(n - len(charts)):
        block = blocks[i % len(blocks)]
        size = min(CHART_GROUP_SIZES[i % len(CHART_GROUP_SIZES)], len(block))
        start = i // len(blocks)
        chart_parents.append(tuple(block[(start + k) % len(block)] for k in range(size)))
    return BalancePlan(
        per_type=n,
        requested_per_type=per_type,
        general=tuple(general),
        real_documents=tuple(docs),
        real_charts=tuple(charts),
        document_parents=document_parents,
        chart_parents=tuple(chart_parents),
        exclusions=tuple(exclusions),
    )
