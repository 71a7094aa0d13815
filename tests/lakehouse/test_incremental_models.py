"""lakehouse.incremental_models: the clause a Python model built incrementally filters its
samples with, run in DuckDB against a built table."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb

from lakehouse.incremental_models import unbuilt_samples


def _kept(is_incremental: bool) -> list[str]:
    con = duckdb.connect()
    con.execute("create table built as select * from (values ('s1', 'h1'), ('s2', 'h2')) as t (sample_id, inputs_hash)")
    con.execute("create table hashed as select * from (values ('s1', 'h1'), ('s2', 'changed'), ('s3', 'h3')) "
                "as t (sample_id, inputs_hash)")
    dbt = SimpleNamespace(is_incremental=is_incremental, this="built")
    return [r[0] for r in con.execute(f"select sample_id from hashed {unbuilt_samples(dbt)} order by 1").fetchall()]


def test_an_incremental_run_keeps_the_samples_no_built_row_holds_with_their_hash() -> None:
    assert _kept(True) == ["s2", "s3"]


def test_a_full_run_keeps_every_sample() -> None:
    assert _kept(False) == ["s1", "s2", "s3"]
