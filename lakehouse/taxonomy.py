"""The project's fixed vocabularies, read from their seeds: one definition each.

``seeds/task_types.csv``, ``seeds/error_types.csv`` and ``seeds/export_profiles.csv`` are
what dbt loads (``ref('task_types')`` and so on) and what the Python side reads here, so a
task type, an error type or an export profile is added in one place. Each function
returns the rows in their declared order (the ``*_order`` column).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lakehouse.settings import PROJECT_ROOT

SEEDS_DIR: Path = PROJECT_ROOT / "seeds"


def _rows(name: str, order_column: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda r: int(r[order_column]))


@dataclass(frozen=True)
class TaskType:
    """One of the seven task types: the asset type its samples are built on, the record set
    (design documents' file) it goes to, and whether CHAIR reads its answers."""

    task_type: str
    asset_type: str
    record_set: str
    is_chair_checked: bool


@dataclass(frozen=True)
class ExportProfile:
    """One trainer profile: its files' suffix, whether a file is one JSON array, the columns
    of a record, the box convention its answers use (in words, and ``box_kind``: the name
    of its conversion in ``python_udfs.boxes.CONVENTIONS``), the image resize its boxes
    assume, and whether its folder is a LLaMA-Factory dataset_dir (dataset_info.json and
    the image folders beside the files)."""

    export_profile: str
    file_suffix: str
    is_json_array: bool
    record_columns: str
    box_convention: str
    box_kind: str = ""
    image_resize: str = ""
    is_llamafactory_dataset: bool = False


@cache
def task_types() -> tuple[TaskType, ...]:
    """Every task type, in the seed's order."""
    return tuple(
        TaskType(r["task_type"], r["asset_type"], r["record_set"], r["is_chair_checked"] == "true")
        for r in _rows("task_types", "task_order")
    )


@cache
def error_types() -> tuple[str, ...]:
    """Every error type a low-quality sample can carry, in the seed's order."""
    return tuple(r["error_type"] for r in _rows("error_types", "error_order"))


@cache
def export_profiles() -> tuple[ExportProfile, ...]:
    """Every trainer export profile, in the seed's order."""
    return tuple(
        ExportProfile(r["export_profile"], r["file_suffix"], r["is_json_array"] == "true",
                      r["record_columns"], r["box_convention"], r["box_kind"], r["image_resize"],
                      r["is_llamafactory_dataset"] == "true")
        for r in _rows("export_profiles", "profile_order")
    )
