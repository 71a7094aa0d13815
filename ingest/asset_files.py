"""A landed asset's file, found again and checked, for the per-image stages that read it
(OCR, perceptual hashes): one work item per asset, and its bytes only while they still
hash to the asset id.

A work item is a plain picklable dict (``asset_id``, ``item``: the printable name rejects
use, ``path``: the absolute file, ``root``: its images root), so it travels to a process
pool or a Ray worker unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ingest.image_files import resolve_inside
from lakehouse.rejects import Reason, Reject


class FileProblem(NamedTuple):
    """Why a work item's file cannot be used: a reject reason and its message."""

    reason: str
    message: str


def locate(asset: Mapping[str, str], item: str, roots: Mapping[str, Path],
           table: str) -> dict | Reject:
    """The work item of ``asset`` (``asset_id``, ``source``, ``relative_path``), named
    ``item``; or a reject of ``table`` when its source has no images root or the path
    leaves that root."""
    root = roots.get(asset["source"])
    if root is None:
        return Reject(table, item, Reason.MISSING_FILE,
                      f"{item}: no images root is known for source {asset['source']!r} "
                      "(no asset_sources row)")
    path = resolve_inside(root, asset["relative_path"])
    if isinstance(path, Reject):
        return Reject(table, item, path.reason, f"{item}: {path.message}")
    return {"asset_id": asset["asset_id"], "item": item, "path": str(path), "root": str(root)}


def read_checked(item: Mapping[str, str]) -> bytes | FileProblem:
    """The bytes of a work item's file, or the problem when it cannot be read or its bytes
    no longer hash to the asset id (the file changed since it landed)."""
    try:
        data = Path(item["path"]).read_bytes()
    except OSError as exc:
        return FileProblem(str(Reason.MISSING_FILE),
                           f"{item['item']}: cannot be read under {item['root']} "
                           f"({exc.strerror})")
    if hashlib.sha256(data).hexdigest() != item["asset_id"]:
        return FileProblem(str(Reason.CONTENT_CHANGED),
                           f"{item['item']}: the file's bytes no longer hash to its asset id")
    return data
