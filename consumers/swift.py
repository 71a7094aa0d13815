"""ms-swift (its standard dataset format): JSONL with ``messages`` (roles system, user,
assistant, tool_call, tool_response, tool; content not None), ``images`` (a list), and for
grounding ``objects`` = ``{ref: [...], bbox: [[x1, y1, x2, y2], ...], bbox_type: real |
norm1, image_id: [...]}`` with ``<ref-object>`` / ``<bbox>`` placeholders in the text.
Swift fills the i-th ``<ref-object>`` with ``ref[i]`` and the i-th ``<bbox>`` with
``bbox[i]``, each in order and independently, after converting the box to the model's
own convention (``int(round(x / width * norm))``, norm 1000 by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from consumers.common import IMAGE_TOKEN, Violation, check_jsonl, missing_images

ROLES = frozenset({"system", "user", "assistant", "tool_call", "tool_response", "tool"})
REF = "<ref-object>"
BBOX = "<bbox>"
BBOX_TYPES = ("real", "norm1")


def as_conversations(record: Any) -> list[dict[str, Any]] | None:
    """The record's ``messages`` as ``{from, value}`` turns (user -> human, assistant ->
    gpt, other roles kept): how the project's shared checks read a swift record."""
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list):
        return None
    names = {"user": "human", "assistant": "gpt"}
    return [{"from": names.get(m.get("role"), m.get("role")), "value": m.get("content")}
            if isinstance(m, dict) else m for m in messages]


def parse_boxes(record: Any) -> list[list[float]]:
    """The boxes of ``objects.bbox``, in order (real pixels here)."""
    objects = record.get("objects") if isinstance(record, dict) else None
    if not isinstance(objects, dict) or not isinstance(objects.get("bbox"), list):
        return []
    return [[float(v) for v in box] for box in objects["bbox"]
            if isinstance(box, list) and all(isinstance(v, (int, float)) for v in box)]


def render(record: dict[str, Any], box_text: Any = None) -> list[str]:
    """The message texts with the placeholders filled as swift fills them: the i-th
    ``<ref-object>`` with ``ref[i]``, the i-th ``<bbox>`` with ``box_text(bbox[i])``
    (default ``[x1, y1, x2, y2]``), counting across all messages in order."""
    objects = record.get("objects") or {}
    refs, boxes = list(objects.get("ref") or []), list(objects.get("bbox") or [])
    box_text = box_text or (lambda b: "[" + ", ".join(f"{v:g}" for v in b) + "]")
    out = []
    for message in record.get("messages") or []:
        text = message.get("content") or ""
        while REF in text and refs:
            text = text.replace(REF, str(refs.pop(0)), 1)
        while BBOX in text and boxes:
            text = text.replace(BBOX, box_text(boxes.pop(0)), 1)
        out.append(text)
    return out


def check_record(record: Any, image_folder: Path | None = None) -> list[str]:
    if not isinstance(record, dict):
        return ["record is not an object"]
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["no 'messages' list"]
    problems = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            problems.append(f"message {i} has no role in {sorted(ROLES)}")
        elif not isinstance(m.get("content"), str):
            problems.append(f"message {i} has no string content")
    texts = [m.get("content") or "" for m in messages if isinstance(m, dict)]
    images = record.get("images", [])
    if not isinstance(images, list):
        return problems + ["'images' must be a list"]
    tokens = sum(t.count(IMAGE_TOKEN) for t in texts)
    if tokens != len(images):
        problems.append(f"{tokens} <image> placeholders for {len(images)} images")
    refs = sum(t.count(REF) for t in texts)
    bboxes = sum(t.count(BBOX) for t in texts)
    objects = record.get("objects")
    if objects is None:
        if refs or bboxes:
            problems.append(f"{refs} {REF} and {bboxes} {BBOX} placeholders but no 'objects'")
    elif not isinstance(objects, dict):
        problems.append("'objects' must be an object")
    else:
        ref, bbox, image_id = objects.get("ref") or [], objects.get("bbox") or [], objects.get("image_id") or []
        if objects.get("bbox_type") not in BBOX_TYPES:
            problems.append(f"bbox_type must be one of {BBOX_TYPES}")
        if not (len(ref) == len(bbox) == len(image_id)):
            problems.append("objects.ref, objects.bbox and objects.image_id differ in length")
        if refs != len(ref) or bboxes != len(bbox):
            problems.append(f"{refs} {REF} / {bboxes} {BBOX} placeholders for {len(ref)} refs / {len(bbox)} boxes")
        for box in bbox:
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)) \
                    or box[0] > box[2] or box[1] > box[3] or min(box) < 0:
                problems.append(f"bbox {box!r} is not an ordered [x1, y1, x2, y2]")
            elif objects.get("bbox_type") == "norm1" and max(box) > 1:
                problems.append(f"norm1 bbox {box} exceeds 1")
        if any(not isinstance(i, int) or not 0 <= i < len(images) for i in image_id):
            problems.append(f"objects.image_id {image_id} does not index the {len(images)} images")
        for text in texts:  # each object's box right after its reference, in order
            if text.count(REF) != text.count(REF + BBOX):
                problems.append(f"every {REF} must be followed by its {BBOX}")
    problems += [f"image file missing: {p}" for p in missing_images(
        [p for p in images if isinstance(p, str)], image_folder)]
    return problems


def check_file(path: Path, image_folder: Path | None = None) -> list[Violation]:
    """Every violation in a JSON-lines export file of this trainer."""
    return check_jsonl(path, check_record, image_folder)
