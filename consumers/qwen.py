"""Qwen-VL fine-tuning (``qwen-vl-finetune/qwenvl/data/data_processor.py``): JSONL;
``image`` a path or a list of paths; ``<image>`` parsed in human turns only, and their
count must equal the number of images (more placeholders or unused images: ValueError,
and the record is silently replaced by another)."""

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


def check_record(record: Any, image_folder: Path | None = None) -> list[str]:
    if not isinstance(record, dict):
        return ["record is not an object"]
    conversation = turns(record, "conversations")
    if conversation is None:
        return ["no 'conversations' list"]
    problems = check_turns(conversation)
    image = record.get("image", [])
    paths = [image] if isinstance(image, str) else image
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return problems + ["'image' must be a path or a list of paths"]
    first, later, answers = placeholder_counts(conversation)
    if answers:
        problems.append(f"{answers} <image> in gpt turns: never parsed, so the images count as unused")
    if first + later != len(paths):
        problems.append(f"{first + later} <image> placeholders in human turns for {len(paths)} images")
    problems += [f"image file missing: {p}" for p in missing_images(paths, image_folder)]
    return problems


def check_file(path: Path, image_folder: Path | None = None) -> list[Violation]:
    """Every violation in a JSON-lines export file of this trainer."""
    return check_jsonl(path, check_record, image_folder)


_BOX_TOKENS = re.compile(r"<\|box_start\|>\((-?\d+),(-?\d+)\),\((-?\d+),(-?\d+)\)<\|box_end\|>")
_BBOX_2D = re.compile(r'"bbox_2d"\s*:\s*\[([^\]]*)\]')


def parse_box_tokens(record: Any) -> list[list[float]]:
    """Qwen2-VL: every ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>`` in the gpt turns."""
    return [[float(v) for v in m] for text in gpt_texts(record) for m in _BOX_TOKENS.findall(text)]


def parse_bbox_2d(record: Any) -> list[list[float]]:
    """Qwen2.5-VL / Qwen3-VL: the ``"bbox_2d": [x1, y1, x2, y2]`` of every JSON object in the
    gpt turns, in order."""
    return [numbers(m) for text in gpt_texts(record) for m in _BBOX_2D.findall(text)]
