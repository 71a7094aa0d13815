"""Which consumer reads which export profile: its record rules and how it parses a box out
of a record. Keyed by the profile names of ``seeds/export_profiles.csv``; a profile with no
entry here is reported by the checks, never guessed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consumers import internvl, llamafactory, llava, qwen, qwen3vl, swift


@dataclass(frozen=True)
class Consumer:
    """``check_record(record, image_folder) -> problems``; ``parse_boxes(record) -> boxes``
    (the four numbers of each box in the profile's own order); ``conversations(record)``:
    the record's turns as ``{from, value}``."""

    check_record: Callable[[Any, Path | None], list[str]]
    parse_boxes: Callable[[Any], list[list[float]]]
    conversations: Callable[[Any], list[dict[str, Any]] | None] = (
        lambda r: r.get("conversations") if isinstance(r, dict) and isinstance(r.get("conversations"), list)
        else None)


CONSUMERS: dict[str, Consumer] = {
    "canonical": Consumer(qwen.check_record, llamafactory.parse_grid_boxes),
    "llava": Consumer(llava.check_record, llava.parse_boxes),
    "qwen2vl": Consumer(qwen.check_record, qwen.parse_box_tokens),
    "qwen25vl": Consumer(qwen.check_record, qwen.parse_bbox_2d),
    "llamafactory": Consumer(llamafactory.check_record, llamafactory.parse_grid_boxes),
    "qwen3vl": Consumer(qwen3vl.check_record, qwen3vl.parse_boxes),
    "internvl": Consumer(internvl.check_record, internvl.parse_boxes),
    "swift": Consumer(swift.check_record, swift.parse_boxes, swift.as_conversations),
    "llamafactory_qwen25vl": Consumer(llamafactory.check_record, qwen.parse_bbox_2d),
}
"""Profile (``canonical`` for the top-level record files) -> its consumer."""


def consumer(profile: str) -> Consumer | None:
    return CONSUMERS.get(profile)
