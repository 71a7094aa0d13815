"""Stage ``recaption``: a detailed description of one image.

In: ``AnnotatedImage`` work items (asset id, path, size, annotations). The annotations
go into the prompt as symbolic context, the way LLaVA-Instruct fed GPT-4: one line per
object, ``category: [x_min, y_min, x_max, y_max]`` normalized to 0-1000 of the image
size (so they stay valid if the image is downscaled), largest first, at most
``MAX_OBJECTS`` lines; the instruction forbids mentioning anything not visible.
Out: ``generations`` rows with ``stage='recaption'``, ``item_id`` = asset id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from generation.config import GenerationConfig
from generation.items import AnnotatedImage, Annotation
from generation.lakehouse import select_annotated_images
from generation.prompts import RECAPTION
from generation.requests import GenerationRequest
from generation.runner import RunReport, run_requests
from lakehouse.settings import Warehouse
from python_udfs.boxes import coco_to_grid

STAGE = "recaption"
MAX_OBJECTS = 40


def normalize_box(
    bbox: tuple[float, float, float, float], width_px: int, height_px: int
) -> list[int]:
    """COCO pixel ``(x, y, w, h)`` -> ``[x_min, y_min, x_max, y_max]`` on 0-1000."""
    x, y, w, h = bbox
    grid = coco_to_grid([x], [y], [w], [h], [width_px], [height_px])[0].as_py()
    return [grid["xmin"], grid["ymin"], grid["xmax"], grid["ymax"]]


def describe_objects(
    annotations: Sequence[Annotation], width_px: int, height_px: int, max_objects: int = MAX_OBJECTS
) -> str:
    """The prompt's object lines (largest box first; crowd regions marked), or ``(none)``."""
    if not annotations:
        return "(none)"
    ordered = sorted(
        enumerate(annotations), key=lambda ia: (-(ia[1].bbox[2] * ia[1].bbox[3]), ia[0])
    )
    lines = []
    for _, a in ordered[:max_objects]:
        label = f"{a.category_name} (a crowd region)" if a.is_crowd else a.category_name
        box = normalize_box(a.bbox, width_px, height_px)
        lines.append(f"- {label}: [{box[0]}, {box[1]}, {box[2]}, {box[3]}]")
    rest = [a.category_name for _, a in ordered[max_objects:]]
    if rest:
        counts = ", ".join(
            f"{n} {c}" for c, n in sorted(Counter(rest).items(), key=lambda cn: (-cn[1], cn[0]))
        )
        lines.append(f"- ... and {len(rest)} smaller objects ({counts})")
    return "\n".join(lines)


def recaption_request(item: AnnotatedImage, cfg: GenerationConfig) -> GenerationRequest:
    """The request for one image."""
    return GenerationRequest(
        stage=STAGE,
        item_id=item.asset_id,
        model=cfg.model,
        sampling=cfg.sampling,
        template=RECAPTION,
        variables={"objects": describe_objects(item.annotations, item.width_px, item.height_px)},
        images=(item.ref,),
    )


def run_recaption(
    items: Sequence[AnnotatedImage],
    cfg: GenerationConfig,
    *,
    wh: Warehouse | None = None,
    **run_kwargs: object,
) -> RunReport:
    """Recaption ``items``; ``run_kwargs`` go to ``runner.run_requests`` (dry_run, progress)."""
    requests = [recaption_request(item, cfg) for item in items]
    return run_requests(requests, cfg, stage=STAGE, wh=wh, **run_kwargs)  # type: ignore[arg-type]


def select_recaption_items(
    wh: Warehouse | None = None, source: str | None = None, limit: int | None = None
) -> list[AnnotatedImage]:
    """COCO images with their annotations from the lakehouse, ordered by asset id."""
    return select_annotated_images(wh, source=source, limit=limit)
