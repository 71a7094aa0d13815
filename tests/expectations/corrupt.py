"""Copies of a built warehouse, and the ways a test breaks one.

``copy_warehouse`` copies the DuckDB file and the exports (the image folder's links made
absolute, so they still lead to the source roots from the new place; staging views keep
reading the original warehouse's landed Parquet by its absolute path).

``reseal`` makes the copy's bookkeeping agree with its (corrupted) files again: every
listed file's row count, size and sha256 in training_manifest.json, and the counts in the
manifest and in p3_metrics.json, recounted here in plain Python (independently of the
checks' SQL). A corruption followed by ``reseal`` is a build that went wrong consistently,
which is what each check other than manifest_matches_artifacts must catch on its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.settings import Warehouse

FINAL = "final_llava_dataset.jsonl"
SPLITS = {"train": "train.jsonl", "val": "val.jsonl"}
SMOKE = "smoke_test.jsonl"
MANIFEST = "training_manifest.json"
METRICS = "p3_metrics.json"


def copy_warehouse(src: Warehouse, dst_root: Path) -> Warehouse:
    """A copy of ``src`` that the checks can read and corrupt: its DuckDB file, exports and
    the checks' facts cache copied (as in a user's copy: expectations/facts_cache.py), its
    ``derived/`` folder (renders, found relative to the warehouse) a link to the
    original's, which nothing here changes."""
    dst = Warehouse(dst_root)
    dst_root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src.database, dst.database)
    if src.derived.exists():
        dst.derived.symlink_to(src.derived.resolve(), target_is_directory=True)
    shutil.copytree(src.exports, dst.exports, symlinks=True)
    if src.record_facts_cache.is_dir():
        shutil.copytree(src.record_facts_cache, dst.record_facts_cache, ignore=shutil.ignore_patterns(".lock"))
    for root, _dirs, files in os.walk(dst.exports):
        for name in [*files, *_dirs]:
            path = Path(root) / name
            if path.is_symlink():
                original = src.exports / path.relative_to(dst.exports)
                target = original.resolve()
                path.unlink()
                path.symlink_to(target, target_is_directory=target.is_dir())
    return dst


# ---- reading and writing export files ---------------------------------------------------
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")


def edit_jsonl(wh: Warehouse, rel: str, fn) -> None:
    path = wh.exports / rel
    write_jsonl(path, fn(read_jsonl(path)))


def _rows(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return len(json.loads(text))
    return sum(1 for line in text.splitlines() if line.strip())


def attributes(wh: Warehouse) -> dict[str, dict[str, Any]]:
    """training_records' task type, asset type, language, split and smoke flag by id."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        rows = con.execute("select id, task_type, asset_type, language, split, is_smoke, record_set "
                           "from training_records").fetchall()
    keys = ("task_type", "asset_type", "language", "split", "is_smoke", "record_set")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


def recount(wh: Warehouse) -> dict[str, Any]:
    attrs = attributes(wh)
    final = read_jsonl(wh.exports / FINAL)

    def by(key: str) -> dict[str, int]:
        return dict(sorted(Counter(attrs[r["id"]][key] for r in final).items()))

    return {
        "total": len(final),
        "smoke": len(read_jsonl(wh.exports / SMOKE)),
        "by_split": {s: len(read_jsonl(wh.exports / f)) for s, f in SPLITS.items()},
        "by_task_type": by("task_type"),
        "by_asset_type": by("asset_type"),
        "by_language": by("language"),
    }


def load_manifest(wh: Warehouse) -> dict[str, Any]:
    return json.loads((wh.exports / MANIFEST).read_text(encoding="utf-8"))


def save_manifest(wh: Warehouse, manifest: dict[str, Any]) -> None:
    (wh.exports / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8")


def reseal(wh: Warehouse) -> None:
    manifest = load_manifest(wh)
    for entry in manifest["files"]:
        path = wh.exports / entry["file_path"]
        data = path.read_bytes()
        entry.update(row_count=_rows(path), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    counts = recount(wh)
    manifest.update(sample_count=counts["total"], smoke_sample_count=counts["smoke"],
                    samples_by_split=counts["by_split"], samples_by_task_type=counts["by_task_type"],
                    samples_by_asset_type=counts["by_asset_type"], samples_by_language=counts["by_language"])
    save_manifest(wh, manifest)
    metrics_path = wh.exports / METRICS
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        metrics["counts"] = counts
        metrics_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")


# ---- the corruptions, one per check -----------------------------------------------------
def _first_of(wh: Warehouse, rel: str, task_type: str, exclude: set[str] | None = None) -> dict[str, Any]:
    attrs = attributes(wh)
    return next(r for r in read_jsonl(wh.exports / rel)
                if attrs[r["id"]]["task_type"] == task_type and r["id"] not in (exclude or set()))


def empty_interleaved_set(wh: Warehouse) -> None:
    """1: a deliverable written empty (the interleaved set)."""
    (wh.exports / "llava_interleaved.jsonl").write_text("", encoding="utf-8")
    reseal(wh)


def unknown_asset_type(wh: Warehouse) -> None:
    """2: an asset of the pool labelled with a type outside the configured ones."""
    def fn(records):
        records[0]["asset_type"] = "video_frame"
        return records
    edit_jsonl(wh, "asset_manifest.jsonl", fn)
    reseal(wh)


def skewed_task_mix(wh: Warehouse) -> str:
    """3: a skewed build: the largest task type kept whole, every other task type cut
    down to its smoke records, so one task type takes far more than the 40% cap."""
    attrs = attributes(wh)
    largest = Counter(a["task_type"] for a in attrs.values()).most_common(1)[0][0]
    drop = {i for i, a in attrs.items() if a["task_type"] != largest and not a["is_smoke"]}
    for rel in (FINAL, *SPLITS.values(), "llava_instruct.jsonl", "llava_alignment.jsonl",
                "llava_interleaved.jsonl"):
        edit_jsonl(wh, rel, lambda records: [r for r in records if r["id"] not in drop])
    reseal(wh)
    return largest


def duplicate_id(wh: Warehouse) -> str:
    """4: one record written twice to the final dataset."""
    record = _first_of(wh, FINAL, "image_description")
    edit_jsonl(wh, FINAL, lambda records: [*records, record])
    reseal(wh)
    return record["id"]


def dropped_image_token(wh: Warehouse) -> str:
    """5: the <image> placeholder dropped from a record's first turn (train.jsonl)."""
    victim = _first_of(wh, "train.jsonl", "counting_visual_qa")["id"]

    def fn(records):
        for r in records:
            if r["id"] == victim:
                r["conversations"][0]["value"] = r["conversations"][0]["value"].replace("<image>\n", "")
        return records
    edit_jsonl(wh, "train.jsonl", fn)
    reseal(wh)
    return victim


def missing_image_file(wh: Warehouse) -> str:
    """6: a referenced image file missing from the exported image folder (its file under
    images/<source>/ is deleted)."""
    image = read_jsonl(wh.exports / FINAL)[0]["image"][0]
    (wh.exports / "images" / image).unlink()
    return image


def box_at_1001(wh: Warehouse) -> str:
    """7: a grounding answer whose box reaches 1001."""
    victim = _first_of(wh, FINAL, "region_grounding")["id"]

    def fn(records):
        for r in records:
            if r["id"] == victim:
                answer = r["conversations"][-1]["value"]
                head, _, tail = answer.rpartition("]")
                inner_start = head.rfind(", ")
                r["conversations"][-1]["value"] = head[: inner_start + 2] + "1001]" + tail
        return records
    edit_jsonl(wh, FINAL, fn)
    reseal(wh)
    return victim


def boxes_swapped_in_profile(wh: Warehouse, rel: str = "qwen25vl/train.jsonl") -> list[str]:
    """12: two grounding records of a trainer profile file trade their answers (and so
    their boxes); the manifest's hash is updated, so only the box audit can tell."""
    grounding = {i for i, a in attributes(wh).items() if a["task_type"] == "region_grounding"}
    records = read_jsonl(wh.exports / rel)
    first, second = [i for i, r in enumerate(records) if r["id"] in grounding][:2]
    a, b = records[first]["conversations"][-1], records[second]["conversations"][-1]
    a["value"], b["value"] = b["value"], a["value"]
    write_jsonl(wh.exports / rel, records)
    reseal(wh)
    return [records[first]["id"], records[second]["id"]]


def same_image_twice(wh: Warehouse) -> str:
    """8: a comparison record whose two images are the same one."""
    victim = _first_of(wh, FINAL, "multi_image_comparison")["id"]

    def fn(records):
        for r in records:
            if r["id"] == victim:
                r["image"] = [r["image"][0], r["image"][0]]
        return records
    edit_jsonl(wh, FINAL, fn)
    reseal(wh)
    return victim


def id_in_train_and_val(wh: Warehouse) -> str:
    """9: a val record also written to train."""
    record = read_jsonl(wh.exports / "val.jsonl")[0]
    edit_jsonl(wh, "train.jsonl", lambda records: sorted([*records, record], key=lambda r: r["id"]))
    reseal(wh)
    return record["id"]


def task_type_removed_from_smoke(wh: Warehouse) -> None:
    """10: every region_grounding record removed from the smoke set."""
    attrs = attributes(wh)
    edit_jsonl(wh, SMOKE, lambda records: [r for r in records
                                          if attrs[r["id"]]["task_type"] != "region_grounding"])
    reseal(wh)


def wrong_manifest_count(wh: Warehouse) -> None:
    """11: the manifest states one train record more than train.jsonl holds."""
    manifest = load_manifest(wh)
    manifest["samples_by_split"]["train"] += 1
    save_manifest(wh, manifest)


def wrong_manifest_hash(wh: Warehouse) -> None:
    """11: the manifest lists a sha256 that is not val.jsonl's."""
    manifest = load_manifest(wh)
    entry = next(f for f in manifest["files"] if f["file_path"] == "val.jsonl")
    entry["sha256"] = "0" * 64
    save_manifest(wh, manifest)
