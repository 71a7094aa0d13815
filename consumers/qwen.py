"""Qwen-VL fine-tuning (``qwen-vl-finetune/qwenvl/data/data_processor.py``): JSONL;
``image`` a path or a list of paths; ``<image>`` parsed in human turns only, and their
count must equal the number of images (more placeholders or unused images: ValueError,
and the record is silently replaced by another)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from consumers.common import (
    Violation,
    check_turns,
    missing_images,
    placeholder_counts,
    read_jsonl,
    record_id,
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
    out: list[Violation] = []
    for i, record, error in read_jsonl(path):
        rules = [error] if error else check_record(record, image_folder)
        out += [Violation(str(path), i, record_id(record), rule) for rule in rules]
    return out
