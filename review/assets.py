"""Image files by asset id: the only way the review page reaches a file.

In: an asset id (the sha256 of the file's bytes) from a URL.
Out: the file's path under its source's images root and its media type, or None.

An id that is not 64 hex digits, not a registered asset, or whose file resolves outside
its images root (a symlink pointing out) gives None: the page answers 404. No part of a
URL is ever joined to a path.
"""

from __future__ import annotations

import re
from pathlib import Path

from lakehouse.settings import Warehouse
from lakehouse.sources import resolve_root
from review.reads import registered_asset

ASSET_ID = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES: dict[str, str] = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png",
                               "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp",
                               "tiff": "image/tiff"}


def asset_file(wh: Warehouse, asset_id: str) -> tuple[Path, str] | None:
    """(file path, media type) of a registered asset, or None (see the module docstring)."""
    if not ASSET_ID.match(asset_id):
        return None
    asset = registered_asset(wh, asset_id)
    if asset is None:
        return None
    root = resolve_root(asset["images_root"], wh).resolve()
    path = (root / asset["relative_path"]).resolve()
    if root not in path.parents or not path.is_file():
        return None
    media = MEDIA_TYPES.get((asset["image_format"] or "").lower(), "application/octet-stream")
    return path, media
