"""expectations.batched: a frame whose rows are a query, validated a batch at a time,
gives the outcomes Great Expectations gives for the whole frame held in memory: the same
successes, offending rows (in order), counts and observed values; on a real DuckDB
query, and on every check of a damaged copy of the real build."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pytest

from expectations import batched, grouped
from expectations.inputs import plain
from expectations.parts import Frame, Query, gxe
from expectations.runner import run_checks
from expectations.validation import Validator, outcomes_of_frame
from tests.expectations import corrupt

ROWS = 9_000  # four DuckDB vectors and a part

_SQL = f"""
    select
        i as row_id,
        -- one id twice, the two rows in different batches
        case when i = 8_500 then 'id-00007' else 'id-' || lpad(i::varchar, 5, '0') end as id,
        case when i in (3, 6_000) then null else i % 3 end as remainder,
        case when i = 4_100 then 'x' else 'ab' end as code,
        case when i = 2_050 then i + 1 else i end as copy_of_id,
        case when i < 10 then 'early' else 'late' end as phase_now
    from range({ROWS}) as r(i)
"""


def _expectations() -> list[Any]:
    E = gxe()
    return [
        E.ExpectTableRowCountToBeBetween(min_value=1, max_value=ROWS - 1, description="too many rows"),
        E.ExpectColumnValuesToNotBeNull(column="remainder", description="remainder set"),
        E.ExpectColumnValuesToBeInSet(column="code", value_set=["ab"], description="code in set"),
        E.ExpectColumnValuesToBeBetween(column="remainder", min_value=0, max_value=1, description="0 or 1"),
        E.ExpectColumnValuesToMatchRegex(column="id", regex=r"^id-\d{5}$", description="id shape"),
        E.ExpectColumnPairValuesToBeEqual(column_A="row_id", column_B="copy_of_id", description="copy"),
        E.ExpectColumnValuesToBeUnique(column="id", description="ids unique"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["id", "phase_now"], description="id, phase unique"),
        E.ExpectColumnDistinctValuesToContainSet(column="phase", value_set=["early", "late", "none"],
                                                 description="every phase"),
    ]


def _phase(df: pd.DataFrame) -> pd.DataFrame:
    """A batch's ``phase``, computed in Python from ``phase_now`` (as a check's transform)."""
    return df.assign(phase=df["phase_now"].astype(object))


def _summary(outcomes: list[Any]) -> list[tuple]:
    return [(o.description, o.success, o.offending, o.unexpected_count, o.observed, o.error) for o in outcomes]


def test_a_query_in_batches_gives_the_outcomes_of_the_whole_frame() -> None:
    con = duckdb.connect()
    validator = Validator()
    whole = Frame("rows", _phase(plain(con.execute(_SQL + " order by i").df())), _expectations(), "row_id")
    expected = outcomes_of_frame(whole, validator.validate("test", whole))

    frame = Frame("rows", Query(con, _SQL, transform=_phase, order="i"), _expectations(), "row_id")
    seen = list(batched.batches(frame.df, 1))
    assert len(seen) >= 5 and sum(map(len, seen)) == ROWS
    validated = batched.validate_query_frame("test", frame, validator, vectors=1)
    assert validated.row_count == ROWS
    got = outcomes_of_frame(frame, validated, validated.row_count)

    assert "phase" in seen[0]
    assert _summary(got) == _summary(expected)
    failing = {o.description: o.offending for o in got if not o.success}
    assert failing == {
        "too many rows": [], "remainder set": ["3", "6000"], "code in set": ["4100"],
        "0 or 1": [str(i) for i in range(ROWS) if i % 3 == 2 and i not in (3, 6000)],
        "copy": ["2050"], "ids unique": ["7", "8500"], "every phase": ["missing none"],
    }


def test_a_query_of_one_batch_is_validated_as_a_frame_held_in_memory() -> None:
    con = duckdb.connect()
    validator = Validator()
    sql = _SQL.replace(f"range({ROWS})", "range(100)")
    whole = Frame("rows", _phase(plain(con.execute(sql + " order by i").df())), _expectations(), "row_id")
    frame = Frame("rows", Query(con, sql, transform=_phase, order="i"), _expectations(), "row_id")
    validated = batched.validate_query_frame("test", frame, validator)
    assert _summary(outcomes_of_frame(frame, validated, validated.row_count)) == _summary(
        outcomes_of_frame(whole, validator.validate("test", whole)))


def test_an_empty_query_keeps_its_columns() -> None:
    con = duckdb.connect()
    frame = Frame("rows", Query(con, "select 1 as a, 'x' as b where false"),
                  [gxe().ExpectTableRowCountToBeBetween(min_value=1, description="rows")], "a")
    validated = batched.validate_query_frame("test", frame, Validator(), vectors=1)
    [outcome] = outcomes_of_frame(frame, validated, validated.row_count)
    assert (validated.row_count, outcome.success, outcome.observed) == (0, False, "observed 0")


def test_an_expectation_that_needs_the_whole_table_at_once_is_refused() -> None:
    con = duckdb.connect()
    frame = Frame("rows", Query(con, "select range as a from range(5000)"),
                  [gxe().ExpectColumnMeanToBeBetween(column="a", min_value=0, description="mean")], "a")
    with pytest.raises(batched.UnsupportedExpectationError, match="expect_column_mean_to_be_between"):
        batched.validate_query_frame("test", frame, Validator(), vectors=1)


def test_uniqueness_of_a_column_the_query_does_not_give_is_refused() -> None:
    con = duckdb.connect()
    frame = Frame("rows", Query(con, _SQL, transform=_phase, order="i"),
                  [gxe().ExpectColumnValuesToBeUnique(column="phase", description="unique")], "row_id")
    with pytest.raises(batched.UnsupportedExpectationError, match="phase is not a column of the query"):
        batched.validate_query_frame("test", frame, Validator(), vectors=1)


def _results(result) -> list[dict[str, Any]]:
    return [{k: v for k, v in check.to_dict(max_offending=10_000).items() if k != "duration_s"}
            for check in result.checks]


def test_every_check_gives_the_same_result_in_batches_of_one_vector(fresh_copy, monkeypatch) -> None:
    for damage in (corrupt.unknown_asset_type, corrupt.duplicate_id, corrupt.dropped_image_token,
                   corrupt.box_at_1001, corrupt.same_image_twice, corrupt.boxes_swapped_in_profile):
        damage(fresh_copy)
    whole = run_checks(fresh_copy, helpers=0)
    monkeypatch.setattr(batched, "BATCH_VECTORS", 1)
    monkeypatch.setattr(grouped, "MAX_GROUPS", 500)  # the record ids too many to group, as in a corpus
    read: list[tuple[int, int]] = []  # (vectors asked, batches read) per query
    original = batched.batches

    def counted(query: Query, vectors: int):
        n = 0
        for batch in original(query, vectors):
            n += 1
            yield batch
        read.append((vectors, n))

    monkeypatch.setattr(batched, "batches", counted)
    settled: list[tuple[str, int, int]] = []  # (frame, expectations settled, left) per grouped frame
    settle = batched.settle_by_values

    def noted(check: str, frame: Frame, expectations: list[Any], validator: Any, more_than: int = 0):
        done, left, rows = settle(check, frame, expectations, validator, more_than)
        settled.append((frame.name, len(done), len(left)))
        return done, left, rows

    monkeypatch.setattr(batched, "settle_by_values", noted)
    in_batches = run_checks(fresh_copy, helpers=0)

    assert {vectors for vectors, _ in read} == {1}
    # the records' frames (every line of every export file; the canonical files) span
    # several batches of 2,048 rows even on COCO128; the lakehouse's do not. Some of their
    # expectations are settled on their distinct values; the ones the damage breaks, and
    # the ids' shape, are read row by row
    assert sum(n > 1 for _, n in read) >= 2, read
    assert {name for name, done, _ in settled if done} >= {"record_files", "conversations"}, settled
    assert {name for name, _, left in settled if left} >= {"record_files", "conversations"}, settled
    assert _results(in_batches) == _results(whole)
    failed = {c.name for c in whole.checks if not c.success}
    assert {"asset_type_coverage", "record_schema", "conversation_format", "alignment_has_bbox",
            "multi_image_has_multiple_images", "profile_boxes_match_source"} <= failed
