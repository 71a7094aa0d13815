"""The failure library grows by new failures only and survives whatever the flags do."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from lakehouse.landing import landed_files
from quality.failure_library import (
    FAILURE_LIBRARY_SCHEMA,
    FAILURE_LIBRARY_TABLE,
    FailureLibraryError,
    known_failure_keys,
    record_failures,
)


def _flags(wh, rows):
    wh.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create or replace table low_quality_flags (failure_key varchar, sample_id varchar, "
                    "error_type varchar, answer_hash varchar, task_type varchar, asset_type varchar, "
                    "language varchar, source_asset_ids varchar[], question_text varchar, answer_text varchar, "
                    "evidence varchar, flag_sources varchar[], check_names varchar[])")
        for key, sample, error in rows:
            con.execute("insert into low_quality_flags values (?, ?, ?, 'h', 'counting_visual_qa', "
                        "'general_image', 'en', ['a'], 'q', 'a', 'e', ['audit'], ['count_value'])",
                        [key, sample, error])


def test_records_new_failures_once(wh):
    _flags(wh, [("k1", "s1", "count_mismatch"), ("k2", "s2", "grounding_offset")])
    assert record_failures(wh, run_id="20250101T000000Z-aaaa0001") == 2
    assert record_failures(wh) == 0  # nothing new: no file written
    files = landed_files(wh, FAILURE_LIBRARY_TABLE)
    assert [f.name for f in files] == ["20250101t000000z-aaaa0001.parquet"]
    assert pq.read_schema(files[0]).equals(FAILURE_LIBRARY_SCHEMA, check_metadata=False)

    # a rebuild where s1 is fixed and s3 fails: s1 stays in the library, s3 is appended
    _flags(wh, [("k2", "s2", "grounding_offset"), ("k3", "s3", "visual_hallucination")])
    assert record_failures(wh) == 1
    assert known_failure_keys(wh) == {"k1", "k2", "k3"}


def test_needs_a_lakehouse(wh):
    with pytest.raises(FailureLibraryError, match="dbt build"):
        record_failures(wh)
