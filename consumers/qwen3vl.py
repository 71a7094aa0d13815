"""Qwen3-VL fine-tuning (``qwen-vl-finetune``, same loader as Qwen2.5-VL): the Qwen record
rules (JSONL, ``image`` a path or list, ``<image>`` in human turns matching the images),
and grounding answers as JSON ``[{"bbox_2d": [x1, y1, x2, y2], "label": ...}]`` with
integers on a RELATIVE 0..1000 grid (not the absolute pixels of Qwen2.5-VL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from consumers import qwen
from consumers.common import Violation, check_jsonl, gpt_texts

GRID_MAX = 1000
IMAGE_FACTOR = 32  # patch 16 x spatial merge 2: Qwen3-VL resizes to multiples of 32


def _json_box_lists(text: str) -> list[Any]:
    """Every JSON array in ``text`` that parses (answers may wrap the list in words)."""
    found, start = [], text.find("[{")
    while start != -1:
        end = text.find("}]", start)
        if end == -1:
            break
        try:
            found.append(json.loads(text[start:end + 2]))
        except json.JSONDecodeError:
            pass
        start = text.find("[{", end)
    return found


def parse_boxes(record: Any) -> list[list[float]]:
    """The ``bbox_2d`` of every object of every ``[{"bbox_2d": ..., "label": ...}]`` list in
    the gpt turns, in order."""
    return qwen.parse_bbox_2d(record)


def check_record(record: Any, image_folder: Path | None = None) -> list[str]:
    problems = qwen.check_record(record, image_folder)
    for text in gpt_texts(record):
        if '"bbox_2d"' not in text:
            continue
        lists = _json_box_lists(text)
        if not lists:
            problems.append('a "bbox_2d" answer is not a JSON list of {"bbox_2d", "label"} objects')
        for objects in lists:
            for obj in objects:
                box = obj.get("bbox_2d") if isinstance(obj, dict) else None
                if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int) for v in box)):
                    problems.append(f"bbox_2d {box!r} is not 4 integers")
                elif not all(0 <= v <= GRID_MAX for v in box) or box[0] > box[2] or box[1] > box[3]:
                    problems.append(f"bbox_2d {box} is not an ordered box on 0..{GRID_MAX}")
                if not isinstance(obj, dict) or not isinstance(obj.get("label"), str):
                    problems.append("a box has no string label")
    return problems


def check_file(path: Path, image_folder: Path | None = None) -> list[Violation]:
    """Every violation in a JSON-lines export file of this trainer."""
    return check_jsonl(path, check_record, image_folder)
