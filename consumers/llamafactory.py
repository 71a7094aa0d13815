"""LLaMA-Factory (``data/converter.py``, ``data/mm_plugin.py``): a dataset registered in
``dataset_info.json`` with ``formatting: sharegpt``; messages alternate user/assistant
(by the registered tags) after at most one system message, even count; the number of
``<image>`` across ALL messages equals ``len(images)``, and ``images`` is a list."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from consumers.common import (
    IMAGE_TOKEN,
    Violation,
    check_turns,
    gpt_texts,
    missing_images,
    read_jsonl,
    record_id,
)


def check_record(record: Any, image_folder: Path | None = None, messages_key: str = "conversations",
                 images_key: str = "images", roles: tuple[str, str] = ("human", "gpt")) -> list[str]:
    if not isinstance(record, dict):
        return ["record is not an object"]
    messages = record.get(messages_key)
    if not isinstance(messages, list):
        return [f"no {messages_key!r} list"]
    problems = check_turns(messages, roles)
    images = record.get(images_key, [])
    if not isinstance(images, list):
        return problems + [f"{images_key!r} must be a list (a plain string breaks the image count)"]
    tokens = sum(m.get("value", "").count(IMAGE_TOKEN) for m in messages
                 if isinstance(m, dict) and isinstance(m.get("value"), str))
    if tokens != len(images):
        problems.append(f"{tokens} <image> tokens across all messages for {len(images)} images")
    problems += [f"image file missing: {p}" for p in missing_images(images, image_folder)]
    return problems


def check_dataset_dir(dataset_dir: Path, image_folder: Path | None = None) -> list[Violation]:
    """Every dataset registered in ``dataset_info.json`` and every record of its file. Image
    paths are looked up under ``image_folder``, by default ``dataset_dir`` itself (what
    LLaMA-Factory does when ``media_dir`` is not given)."""
    image_folder = dataset_dir if image_folder is None else image_folder
    info_path = dataset_dir / "dataset_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [Violation(str(info_path), -1, None, f"dataset_info.json unreadable: {exc}")]
    out: list[Violation] = []
    for name, entry in info.items():
        if entry.get("formatting") != "sharegpt":
            out.append(Violation(str(info_path), -1, name, "formatting must be 'sharegpt'"))
            continue
        columns, tags = entry.get("columns", {}), entry.get("tags", {})
        roles = (tags.get("user_tag", "human"), tags.get("assistant_tag", "gpt"))
        if tags.get("role_tag", "from") != "from" or tags.get("content_tag", "value") != "value":
            out.append(Violation(str(info_path), -1, name, "role/content tags must be from/value"))
        data_file = dataset_dir / entry.get("file_name", "")
        if not data_file.is_file():
            out.append(Violation(str(info_path), -1, name, f"file {data_file.name} is missing"))
            continue
        for i, record, error in read_jsonl(data_file):
            rules = [error] if error else check_record(
                record, image_folder, columns.get("messages", "conversations"), columns.get("images", "images"), roles)
            out += [Violation(str(data_file), i, record_id(record), rule) for rule in rules]
    return out


_GRID_BOX = re.compile(r"\[(\d+), (\d+), (\d+), (\d+)\]")


def parse_grid_boxes(record: Any) -> list[list[float]]:
    """The canonical ``[ymin, xmin, ymax, xmax]`` 0..1000 boxes in the gpt turns, in order."""
    return [[float(v) for v in m] for text in gpt_texts(record) for m in _GRID_BOX.findall(text)]
