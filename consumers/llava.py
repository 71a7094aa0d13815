"""LLaVA-1.5's trainer (``llava/train/train.py``): one JSON array; ``image`` one path string;
``conversations`` of human/gpt turns, human first, alternating; exactly one ``<image>``,
in the first human turn (it strips and re-inserts it there; a second one becomes a
second image slot)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from consumers.common import (
    Violation,
    check_turns,
    gpt_texts,
    missing_images,
    placeholder_counts,
    record_id,
    turns,
)


def check_record(record: Any, image_folder: Path | None = None) -> list[str]:
    if not isinstance(record, dict):
        return ["record is not an object"]
    conversation = turns(record, "conversations")
    if conversation is None:
        return ["no 'conversations' list (the length statistics read it at start-up: crash)"]
    problems = check_turns(conversation)
    image = record.get("image")
    if "image" in record:
        if not isinstance(image, str):
            problems.append(f"'image' must be one path string, got {type(image).__name__}")
        else:
            problems += [f"image file missing: {p}" for p in missing_images([image], image_folder)]
            first, later, answers = placeholder_counts(conversation)
            if (first, later, answers) != (1, 0, 0):
                problems.append(
                    f"<image> must appear exactly once, in the first human turn "
                    f"(first turn {first}, later human turns {later}, answers {answers})")
    return problems


def check_file(path: Path, image_folder: Path | None = None) -> list[Violation]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [Violation(str(path), -1, None, f"not one JSON document ({exc.msg}): json.load fails")]
    if not isinstance(data, list):
        return [Violation(str(path), -1, None, "the file must hold one JSON array")]
    return [Violation(str(path), i, record_id(r), rule)
            for i, r in enumerate(data) for rule in check_record(r, image_folder)]


_BOX = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,"
                  r"\s*(-?\d+(?:\.\d+)?)\s*\]")


def parse_boxes(record: Any) -> list[list[float]]:
    """Every ``[x1, y1, x2, y2]`` (0..1) box in the record's gpt turns, in order."""
    return [[float(v) for v in m] for text in gpt_texts(record) for m in _BOX.findall(text)]
