"""The sha256 of a file, read in 1 MiB blocks (memory independent of the file's size).

In: a path. Out: the hex digest of the file's bytes. One helper for every place that
fingerprints a file: the build state, the contracts' export checks, a release's SHA256SUMS.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK_BYTES = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
