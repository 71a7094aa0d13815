"""The ``perceptual_hashes`` table: a pHash and a dHash of every landed asset.

One row per asset content (``asset_id`` = sha256 of the bytes), whatever source landed
it: the same bytes under two sources are hashed once. Both hashes are 64 bits (8x8),
stored as unsigned 64-bit integers (DuckDB ``ubigint``) so that SQL can XOR them and
count bits. ``decode_mode`` names how the pixels were obtained (see
``ingest.perceptual_hashes.DECODE_MODE``) and ``hasher_version`` the ``imagehash``
release: hashes from another decode mode or hasher are not comparable and are computed
again.

The stage lands one file per finished chunk (``chunk-<digest>.parquet``) so that a run
killed half-way keeps what it hashed, then compacts them into ``hashes.parquet``.
"""

from __future__ import annotations

import pyarrow as pa

from lakehouse.tables.documents import RUN_FIELDS

PERCEPTUAL_HASHES_TABLE = "perceptual_hashes"

PERCEPTUAL_HASHES_SCHEMA = pa.schema(
    [
        pa.field("asset_id", pa.string(), nullable=False),
        pa.field("phash", pa.uint64(), nullable=False),  # imagehash.phash, 8x8 DCT bits
        pa.field("dhash", pa.uint64(), nullable=False),  # imagehash.dhash, 8x8 gradient bits
        pa.field("decode_mode", pa.string(), nullable=False),
        pa.field("hasher_version", pa.string(), nullable=False),
        pa.field("hash_seconds", pa.float64(), nullable=False),  # decode + both hashes
        *RUN_FIELDS,
    ]
)

LANDED_TABLES: dict[str, pa.Schema] = {PERCEPTUAL_HASHES_TABLE: PERCEPTUAL_HASHES_SCHEMA}
