"""Rules shared by the consumers: conversation shape, placeholders, image files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMAGE_TOKEN = "<image>"


@dataclass(frozen=True)
class Violation:
    """One record that a consumer would drop or crash on, and why."""

    file: str
    record_index: int
    record_id: str | None
    rule: str

    def __str__(self) -> str:
        return f"{self.file}[{self.record_index}] ({self.record_id}): {self.rule}"


def turns(record: dict[str, Any], key: str) -> list[dict[str, Any]] | None:
    """The list of turns under ``key``, or None when it is missing or not a list."""
    value = record.get(key)
    return value if isinstance(value, list) else None


def check_turns(conversation: list[Any], roles: tuple[str, str] = ("human", "gpt")) -> list[str]:
    """Human first, strictly alternating, even count, each turn a {from, value} with a
    non-empty string value."""
    problems: list[str] = []
    if not conversation:
        return ["conversation is empty"]
    for i, turn in enumerate(conversation):
        if not isinstance(turn, dict) or set(turn) != {"from", "value"}:
            problems.append(f"turn {i} is not an object with exactly 'from' and 'value'")
            continue
        expected = roles[i % 2]
        if turn["from"] != expected:
            problems.append(f"turn {i} is from {turn['from']!r}, expected {expected!r} (human first, alternating)")
        if not isinstance(turn["value"], str) or not turn["value"].strip():
            problems.append(f"turn {i} has an empty or non-string value")
    if len(conversation) % 2:
        problems.append(f"odd number of turns ({len(conversation)}): the last human turn has no answer")
    return problems


def placeholder_counts(conversation: list[Any]) -> tuple[int, int, int]:
    """(placeholders in the first human turn, in later human turns, in gpt turns)."""
    first = later = answers = 0
    for i, turn in enumerate(conversation):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            continue
        n = turn["value"].count(IMAGE_TOKEN)
        if turn.get("from") == "human":
            if i == 0:
                first += n
            else:
                later += n
        else:
            answers += n
    return first, later, answers


def missing_images(paths: list[str], image_folder: Path | None) -> list[str]:
    """Paths that do not name a file under ``image_folder`` (skipped when it is None)."""
    if image_folder is None:
        return []
    return [p for p in paths if not (image_folder / p).is_file()]


def read_jsonl(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(index, record or None, parse error) per non-empty line."""
    with open(path, encoding="utf-8") as f:
        index = 0
        for line in f:
            if not line.strip():
                continue
            try:
                yield index, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield index, None, f"line is not JSON ({exc.msg})"
            index += 1


def check_jsonl(
    path: Path,
    check_record: Callable[[Any, Path | None], list[str]],
    image_folder: Path | None = None,
) -> list[Violation]:
    """Every violation of a JSON-lines file: a line that is not JSON, or what the trainer's
    ``check_record(record, image_folder)`` says of the record on it."""
    out: list[Violation] = []
    for i, record, error in read_jsonl(path):
        rules = [error] if error else check_record(record, image_folder)
        out += [Violation(str(path), i, record_id(record), rule) for rule in rules]
    return out


def record_id(record: Any) -> str | None:
    return record.get("id") if isinstance(record, dict) else None


def gpt_texts(record: Any) -> list[str]:
    """The text of every answer turn (``from == "gpt"``) of a record's ``conversations``."""
    conversation = record.get("conversations") if isinstance(record, dict) else None
    if not isinstance(conversation, list):
        return []
    return [t["value"] for t in conversation
            if isinstance(t, dict) and t.get("from") == "gpt" and isinstance(t.get("value"), str)]


def numbers(text: str) -> list[float]:
    """The numbers of a comma-separated list such as ``"1, 2.5, 3"`` (empty when one is not
    a number)."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        return []
