"""What the Python models built incrementally by sample share: the Python twin of
``changed_keys`` in macros/incremental.sql.

In: the model's ``dbt`` object (its ``this`` and ``is_incremental``) and the relation of
its query that holds every sample's key and ``inputs_hash``. Out: the WHERE clause that
keeps the samples no row already built holds with their hash (in a full run: none, so
every sample is kept).
"""

from __future__ import annotations

from typing import Any


def unbuilt_samples(dbt: Any, relation: str = "hashed", key: str = "sample_id") -> str:
    """``where not exists (...)`` over ``relation`` in an incremental run, else ``""``."""
    if not dbt.is_incremental:
        return ""
    return f"""where not exists (
        select 1 from {dbt.this} as built
        where built.{key} = {relation}.{key} and built.inputs_hash = {relation}.inputs_hash)"""
