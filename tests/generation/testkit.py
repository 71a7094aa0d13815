"""Helpers of the generation tests (importable as ``tests.generation.testkit``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PIL import Image

from generation.items import AnnotatedImage, Annotation
from lakehouse.settings import PROJECT_ROOT

COCO128 = PROJECT_ROOT.parent / "shared" / "datasets" / "coco128"
COCO128_ANNOTATIONS = COCO128 / "annotations" / "instances_train2017.json"
TEST_MODEL = "fake-vlm"


def load_coco_items(n: int) -> list[AnnotatedImage]:
    """The first ``n`` COCO128 images (by file name) with their real annotations."""
    data = json.loads(COCO128_ANNOTATIONS.read_text())
    cats = {c["id"]: c["name"] for c in data["categories"]}
    anns: dict[int, list[Annotation]] = {}
    for a in data["annotations"]:
        anns.setdefault(a["image_id"], []).append(
            Annotation(cats[a["category_id"]], tuple(a["bbox"]), bool(a["iscrowd"]))
        )
    out = []
    for img in sorted(data["images"], key=lambda i: i["file_name"])[:n]:
        path = COCO128 / "train2017" / img["file_name"]
        out.append(
            AnnotatedImage(
                asset_id=hashlib.sha256(path.read_bytes()).hexdigest(),
                path=path,
                width_px=img["width"],
                height_px=img["height"],
                annotations=tuple(anns.get(img["id"], [])),
                source="coco128",
            )
        )
    return out


def make_image(
    path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str | None = None, seed: int = 0
) -> AnnotatedImage:
    """Write a small synthetic image (a flat color with a red block) and describe it."""
    w, h = size
    alpha = mode == "RGBA"
    img = Image.new(
        mode, size, (20 * seed % 255, 120, 200, 128) if alpha else (20 * seed % 255, 120, 200)
    )
    block = Image.new(
        mode, (max(1, w // 3), max(1, h // 3)), (255, 40, 40, 255) if alpha else (255, 40, 40)
    )
    img.paste(block, (w // 4, h // 4))
    img.save(path, format=fmt)
    return AnnotatedImage(
        hashlib.sha256(path.read_bytes()).hexdigest(),
        path,
        w,
        h,
        (Annotation("block", (w / 4, h / 4, w / 3, h / 3)),),
    )
