"""InternVL 2.5 / 3 chat data (its fine-tuning docs' format): JSONL; ``image`` one path
(or a list for several images); ``width`` / ``height`` of the image on every record
(``width_list`` / ``height_list`` for several); human/gpt turns with one ``<image>`` per
image in human turns; grounding as ``<ref>label</ref><box>[[x1, y1, x2, y2]]</box>`` with
integers on 0..1000 (``round(x / W * 1000)``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from consumers.common import (
    Violation,
    check_jsonl,
    check_turns,
    gpt_texts,
    missing_images,
    numbers,
    placeholder_counts,
    turns,
)

GRID_MAX = 1000
_BOX = re.compile(r"<box>\[\[([^\]]*)\]\]</box>")
_REF_BOX = re.compile(r"<ref>[^<]+</ref><box>")


def parse_boxes(record: Any) -> list[list[float]]:
    """Every ``<box>[[x1, y1, x2, y2]]</box>`` in the gpt turns, in order."""
    return [numbers(m) for text in gpt_texts(record) for m in _BOX.findall(text)]


def _image_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except OSError:
        return None


def check_record(record: Any, image_folder: Path | None = None) -> list[str]:
    if not isinstance(record, dict):
        return ["record is not an object"]
    conversation = turns(record, "conversations")
    if conversation is None:
        return ["no 'conversations' list"]
    problems = check_turns(conversation)
    image = record.get("image")
    if isinstance(image, str):
        paths, sizes = [image], [(record.get("width"), record.get("height"))]
    elif isinstance(image, list) and all(isinstance(p, str) for p in image):
        paths = image
        sizes = list(zip(record.get("width_list") or [], record.get("height_list") or [], strict=False))
    else:
        return problems + ["'image' must be a path or a list of paths"]
    if len(sizes) != len(paths) or not all(isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0
                                           for w, h in sizes):
        problems.append("every image needs its positive integer width and height")
    first, later, answers = placeholder_counts(conversation)
    if answers:
        problems.append(f"{answers} <image> in gpt turns")
    if first + later != len(paths):
        problems.append(f"{first + later} <image> placeholders for {len(paths)} images")
    for text in gpt_texts(record):
        boxes = _BOX.findall(text)
        if len(_REF_BOX.findall(text)) != len(boxes):
            problems.append("every <box> must follow its <ref>label</ref>")
        for raw in boxes:
            box = numbers(raw)
            if len(box) != 4 or not all(v.is_integer() and 0 <= v <= GRID_MAX for v in box) \
                    or box[0] > box[2] or box[1] > box[3]:
                problems.append(f"<box>[[{raw}]]</box> is not an ordered box of integers on 0..{GRID_MAX}")
    missing = missing_images(paths, image_folder)
    problems += [f"image file missing: {p}" for p in missing]
    if image_folder is not None and not missing and len(sizes) == len(paths):
        for path, (w, h) in zip(paths, sizes, strict=True):
            actual = _image_size(image_folder / path)
            if actual is not None and actual != (w, h):
                problems.append(f"{path} is {actual[0]} x {actual[1]}, the record says {w} x {h}")
    return problems


def check_file(path: Path, image_folder: Path | None = None) -> list[Violation]:
    """Every violation in a JSON-lines export file of this trainer."""
    return check_jsonl(path, check_record, image_folder)
