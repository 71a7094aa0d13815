"""Exports are relocatable: copy `exports/` elsewhere, move the copy again, and every
record's image still resolves to the right bytes; no exported file names a path of the
build machine."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from lakehouse.settings import PROJECT_ROOT, Warehouse


def _records(exports: Path) -> list[dict]:
    text = (exports / "final_llava_dataset.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_exports_survive_a_copy_and_a_move(reported_warehouse: Warehouse, tmp_path: Path) -> None:
    copied = tmp_path / "elsewhere" / "exports"
    shutil.copytree(reported_warehouse.exports, copied)  # symlinks would be followed or break
    moved = tmp_path / "moved" / "exports"
    moved.parent.mkdir()
    os.rename(copied, moved)
    manifest = {}
    for line in (moved / "asset_manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        manifest[row["image"]] = row["asset_id"]
    records = _records(moved)
    images = {image for r in records for image in r["image"]}
    assert records and images
    for image in sorted(images):
        path = moved / "images" / image
        assert path.is_file() and not path.is_symlink(), image
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest[image], image
    assert not [p for p in (reported_warehouse.exports / "images").rglob("*") if p.is_symlink()]


def test_no_exported_file_names_a_build_machine_path(reported_warehouse: Warehouse) -> None:
    needles = {str(reported_warehouse.root), str(reported_warehouse.root.resolve()), str(PROJECT_ROOT)}
    named = []
    for path in sorted(reported_warehouse.exports.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".md", ".txt", ".csv"):
            text = path.read_text(encoding="utf-8", errors="replace")
            named += [f"{path.relative_to(reported_warehouse.exports)}: {n}" for n in needles if n in text]
    assert named == []
