"""The layout of a trainer-ready export, and how one file of it is written.

Shared by the build's exports (``models/marts/exports/export_files.py``) and by releases
(``releases/writer.py``): both write the same files from the same record relations, a
release only from views restricted to its samples.

In: a DuckDB connection, the name of a relation (table or view) holding records, the
columns to write, a filter. Out: JSON / JSONL files; ``file_specs`` lists every file of
the layout:

  final_llava_dataset.jsonl train.jsonl val.jsonl smoke_test.jsonl   canonical records
  llava_instruct.jsonl llava_alignment.jsonl llava_interleaved.jsonl by record set
  asset_manifest.jsonl                                               assets used
  packed/{train,val}.jsonl                                           multi-turn packed set
  <profile>/{train,val,smoke_test}.<suffix>                         every profile of the seed
                                        (+ dataset_info.json for LLaMA-Factory dataset dirs)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.taxonomy import ExportProfile, task_types

SPLIT_FILTERS: dict[str, str] = {
    "train": "split = 'train'",
    "val": "split = 'val'",
    "smoke_test": "is_smoke",
}
CANONICAL_COLUMNS = "id, image, conversations"
CANONICAL_PROFILE = "canonical"
"""What the canonical record files (LLaVA conversation form, at the top of exports/) are
filed under."""
ASSET_MANIFEST_FILE = "asset_manifest.jsonl"
"""The assets the records use, one per line."""
ASSETS_PROFILE = "assets"
"""What the asset manifest is filed under."""
IMAGES_DIR = "images"
"""Every image the records name, at images/<source>/<path>."""
PLOTS_DIR = "plots"
"""The report's figures."""
PACKED_DIR = "packed"
"""The canonical packed set (multi-turn records, one image each): packed/{train,val}.jsonl."""
PACKED_SPLITS: tuple[str, ...] = ("train", "val")
RESERVED_PROFILE_NAMES: frozenset[str] = frozenset({CANONICAL_PROFILE, ASSETS_PROFILE, PACKED_DIR, IMAGES_DIR,
                                                    PLOTS_DIR})
"""Names no trainer profile may take: a profile's folder is exports/<profile>/, and these are
the exports' own folders and the names their other files are filed under."""


@dataclass(frozen=True)
class FileSpec:
    """One file of the layout: where it goes, which relation and columns it is written
    from, its row filter, whether it is one JSON array, its profile and its split."""

    rel_path: str
    relation: str
    columns: str
    where: str
    is_json_array: bool
    profile: str
    split: str


def file_specs(profiles: Sequence[ExportProfile]) -> list[FileSpec]:
    """Every file of an export with the trainer ``profiles``, in writing order.
    ``relation`` is the record model's name (training_records, asset_records,
    packed_records, <profile>_records). A profile named as one of ``RESERVED_PROFILE_NAMES``
    raises ValueError."""
    reserved = sorted(p.export_profile for p in profiles if p.export_profile in RESERVED_PROFILE_NAMES)
    if reserved:
        raise ValueError(f"export profile(s) {reserved} take a name the exports use for their own files "
                         f"(seeds/export_profiles.csv); reserved: {sorted(RESERVED_PROFILE_NAMES)}")
    specs = [FileSpec("final_llava_dataset.jsonl", "training_records", CANONICAL_COLUMNS, "true",
                      False, CANONICAL_PROFILE, "all")]
    specs += [FileSpec(f"{split}.jsonl", "training_records", CANONICAL_COLUMNS, where, False,
                       CANONICAL_PROFILE, split) for split, where in SPLIT_FILTERS.items()]
    record_sets = dict.fromkeys(t.record_set for t in task_types())
    specs += [FileSpec(f"llava_{record_set}.jsonl", "training_records", CANONICAL_COLUMNS,
                       f"record_set = '{record_set}'", False, CANONICAL_PROFILE, "all")
              for record_set in record_sets]
    specs.append(FileSpec(ASSET_MANIFEST_FILE, "asset_records", "*", "true", False, ASSETS_PROFILE, "all"))
    specs += [FileSpec(f"{PACKED_DIR}/{split}.jsonl", "packed_records",
                       f"{CANONICAL_COLUMNS}, sample_ids", f"split = '{split}'", False, PACKED_DIR, split)
              for split in PACKED_SPLITS]
    for p in profiles:
        specs += [FileSpec(f"{p.export_profile}/{split}.{p.file_suffix}", f"{p.export_profile}_records",
                           p.record_columns, where, p.is_json_array, p.export_profile, split)
                  for split, where in SPLIT_FILTERS.items()]
    return specs


def write_file(con: Any, view: str, columns: str, where: str, path: Path, is_json_array: bool) -> int:
    """COPY ``columns`` of ``view`` where ``where`` to ``path`` as JSON lines (or one JSON
    array), ordered by record id (by asset id for an asset manifest). Returns the number of
    records written (COPY's own count: one record per row; reading the file back to count
    them cost more than writing it at 118k images)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT json, ARRAY true" if is_json_array else "FORMAT json"
    escaped = str(path).replace("'", "''")
    order = "asset_id" if view.endswith("asset_records") else "id"
    [(written,)] = con.execute(
        f"COPY (select {columns} from {view} where {where} order by {order}) TO '{escaped}' ({options})"
    ).fetchall()
    return int(written)


def dataset_names(profile: ExportProfile) -> dict[str, str]:
    """LLaMA-Factory dataset name per split for a LLaMA-Factory profile: ``mmfactory_<split>``
    for ``llamafactory``; other ones carry their name and, for absolute boxes, the resize
    their boxes assume (``mmfactory_qwen25vl_max768x768_<split>``)."""
    stem = {"llamafactory": "mmfactory",
            "llamafactory_qwen25vl": "mmfactory_qwen25vl_max768x768"}.get(
        profile.export_profile, f"mmfactory_{profile.export_profile}")
    return {split: f"{stem}_{split}" for split in SPLIT_FILTERS}


def dataset_info(profile: ExportProfile) -> dict[str, dict[str, Any]]:
    """LLaMA-Factory's dataset_info.json for a LLaMA-Factory profile's three split files
    (sharegpt format)."""
    return {
        name: {
            "file_name": f"{split}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "images": "images"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
        }
        for split, name in dataset_names(profile).items()
    }
