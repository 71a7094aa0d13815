"""Stage ``compare``: two images in order -> similarities and differences.

In: pairs ``(first, second)`` of ``AnnotatedImage``. The two images are sent in that order,
each after an ``Image i:`` label; the prompt gives each image's annotated object counts
as hints and asks for similarities then differences, naming "Image 1" and "Image 2".
Out: ``generations`` rows with ``stage='compare'``, ``item_id`` = ``<asset 1>|<asset 2>``
(the order matters: (A, B) and (B, A) are two requests).
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Sequence

from generation.config import GenerationConfig
from generation.items import AnnotatedImage
from generation.lakehouse import (
    LakehouseInputError,
    connect,
    require_relation,
    select_annotated_images,
)
from generation.prompts import COMPARE
from generation.requests import GenerationRequest
from generation.runner import RunReport, run_requests
from lakehouse.settings import Warehouse

STAGE = "compare"
ComparePair = tuple[AnnotatedImage, AnnotatedImage]


def object_counts(item: AnnotatedImage) -> str:
    """``"2 person, 1 dog"`` (most frequent first), or ``"(none)"``."""
    counts = Counter(a.category_name for a in item.annotations)
    if not counts:
        return "(none)"
    return ", ".join(f"{n} {c}" for c, n in sorted(counts.items(), key=lambda cn: (-cn[1], cn[0])))


def compare_request(pair: ComparePair, cfg: GenerationConfig) -> GenerationRequest:
    """The request for one ordered pair."""
    first, second = pair
    return GenerationRequest(
        stage=STAGE,
        item_id=f"{first.asset_id}|{second.asset_id}",
        model=cfg.model,
        sampling=cfg.sampling,
        template=COMPARE,
        variables={"objects_1": object_counts(first), "objects_2": object_counts(second)},
        images=(first.ref, second.ref),
    )


def run_compare(
    pairs: Sequence[ComparePair],
    cfg: GenerationConfig,
    *,
    wh: Warehouse | None = None,
    **run_kwargs: object,
) -> RunReport:
    """Compare every pair; ``run_kwargs`` go to ``runner.run_requests``."""
    requests = [compare_request(p, cfg) for p in pairs]
    return run_requests(requests, cfg, stage=STAGE, wh=wh, **run_kwargs)  # type: ignore[arg-type]


def pair_images(
    images: Sequence[AnnotatedImage], limit: int | None = None, window: int = 64
) -> list[ComparePair]:
    """Deterministic pairs: walking the images in order, each unpaired image is paired with the
    first of the next ``window`` unpaired ones that shares a category with it (comparisons of
    alike scenes teach more), else with the next unpaired one. Each image is used once."""
    remaining = deque(images)
    pairs: list[ComparePair] = []
    while len(remaining) >= 2 and (limit is None or len(pairs) < limit):
        first = remaining.popleft()
        cats = {a.category_name for a in first.annotations}
        idx = next(
            (
                i
                for i, other in enumerate(itertools.islice(remaining, window))
                if cats & {a.category_name for a in other.annotations}
            ),
            0,
        )
        second = remaining[idx]
        del remaining[idx]
        pairs.append((first, second))
    return pairs


def select_compare_items(
    wh: Warehouse | None = None, source: str | None = None, limit: int | None = None
) -> list[ComparePair]:
    """The lakehouse's own comparison pairs (``int_image_pairs_selected``, in order), so
    that each model comparison answers exactly one multi_image_comparison sample. Falls
    back to ``pair_images`` over the annotated images when the build has no pairs model.
    """
    images = {img.asset_id: img for img in select_annotated_images(wh, source=source)}
    try:
        with connect(wh) as conn:
            require_relation(conn, "int_image_pairs_selected", ["first_asset_id", "second_asset_id"])
            rows = conn.execute(
                "select first_asset_id, second_asset_id from int_image_pairs_selected order by pair_number"
            ).fetchall()
    except LakehouseInputError:
        return pair_images(list(images.values()), limit)
    pairs = [(images[a], images[b]) for a, b in rows if a in images and b in images]
    return pairs if limit is None else pairs[:limit]
