"""expectations.grouped: row-by-row expectations settled on the distinct values DuckDB
counts give what Great Expectations gives on every row of the frame, and only when no
row is unexpected; a broken expectation, or a column of too many values, is left to the
batches."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from expectations import batched, grouped
from expectations.inputs import plain
from expectations.parts import Frame, Query, expectation_key, gxe
from expectations.validation import Validator, outcomes_of_frame

ROWS = 9_000

_SQL = f"""
    select
        i as row_id,
        'id-' || lpad(i::varchar, 5, '0') as id,
        case when i % 2 = 0 then 'a' else 'b' end as kind,
        case when i % 7 = 0 then null else i % 5 end as n,
        case when i % 11 = 0 then null else i % 3 end as x,
        case when i % 11 = 0 then null else i % 3 end as y,
        case when i % 13 = 0 then null else i / 2 end as ratio,
        case when i = 6_001 then 'nan'::double else 1.0 end as weight,
        null::varchar as note
    from range({ROWS}) as r(i)
"""


def _expectations() -> list[Any]:
    E = gxe()
    return [
        E.ExpectColumnValuesToBeInSet(column="kind", value_set=["a", "b"], description="kind in set"),
        E.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=4, description="n in range"),
        E.ExpectColumnValuesToNotBeNull(column="id", description="id set"),
        E.ExpectColumnValuesToBeNull(column="note", description="no note"),
        E.ExpectColumnPairValuesToBeEqual(column_A="x", column_B="y", description="x is y"),
        E.ExpectColumnValuesToBeNull(column="ratio", description="ratio unset"),
        E.ExpectColumnValuesToNotBeNull(column="n", description="n set"),
        E.ExpectColumnValuesToNotBeNull(column="weight", description="weight set"),
        E.ExpectColumnValuesToMatchRegex(column="id", regex=r"^id-\d{5}$", description="id shape"),
        E.ExpectTableRowCountToBeBetween(min_value=1, description="rows"),
    ]


def _summary(outcomes: list[Any]) -> list[tuple]:
    return [(o.description, o.success, o.offending, o.unexpected_count, o.observed, o.error) for o in outcomes]


def test_clean_expectations_settle_on_their_values_and_broken_ones_are_read_row_by_row(monkeypatch) -> None:
    monkeypatch.setattr(grouped, "MAX_GROUPS", 100)  # the ids are too many to group
    con = duckdb.connect()
    validator = Validator()
    whole = Frame("rows", plain(con.execute(_SQL + " order by i").df()), _expectations(), "row_id")
    by_gx = {expectation_key(r.expectation_config): r for r in validator.validate("test", whole).results}
    expected = outcomes_of_frame(whole, validator.validate("test", whole))

    frame = Frame("rows", Query(con, _SQL, order="i"), _expectations(), "row_id")
    row_wise = [e for e in frame.expectations if e.expectation_type in batched.ROW_BY_ROW]
    settled, left, rows = grouped.settle_by_values("test", frame, row_wise, validator, more_than=2_048)

    assert rows == ROWS
    assert sorted(r.expectation_config.description for r in settled.values()) == [
        "id set", "kind in set", "n in range", "no note", "x is y"]
    # the null ids are grouped by whether they are missing, so 9,000 ids settle in one group;
    # their shape is left to the rows; NaN is a missing weight, as pandas sees it
    assert [e.description for e in left] == ["ratio unset", "n set", "weight set", "id shape"]
    compared = 0
    for key, result in settled.items():  # the rows counted as GX counts them on every row
        gx = by_gx[key].result
        names = ("element_count", "unexpected_count", "missing_count", "unexpected_percent",
                 "missing_percent", "unexpected_percent_total", "unexpected_percent_nonmissing")
        assert {n: result.result[n] for n in names if n in result.result} == {n: gx[n] for n in names if n in gx}, key
        compared += gx.get("missing_count", 0) > 0
        assert result.success and by_gx[key].success
    assert compared >= 2  # n's nulls, and the pairs both null

    validated = batched.validate_query_frame("test", frame, validator, vectors=1)
    got = outcomes_of_frame(frame, validated, validated.row_count)
    assert _summary(got) == _summary(expected)
    failing = {o.description: o.offending for o in got if not o.success}
    assert failing == {"ratio unset": [str(i) for i in range(ROWS) if i % 13],
                       "n set": [str(i) for i in range(0, ROWS, 7)], "weight set": ["6001"]}


def test_a_small_query_is_not_grouped() -> None:
    con = duckdb.connect()
    frame = Frame("rows", Query(con, _SQL, order="i"), _expectations(), "row_id")
    settled, left, rows = grouped.settle_by_values("test", frame, frame.expectations[:4], Validator(),
                                                   more_than=ROWS)
    assert (settled, len(left), rows) == ({}, 4, ROWS)


@pytest.mark.parametrize("mostly", [0.5])
def test_an_expectation_with_mostly_is_left_to_the_rows(mostly: float) -> None:
    con = duckdb.connect()
    exp = gxe().ExpectColumnValuesToBeInSet(column="kind", value_set=["a", "b"], mostly=mostly,
                                            description="kind mostly in set")
    frame = Frame("rows", Query(con, _SQL, order="i"), [exp], "row_id")
    settled, left, _ = grouped.settle_by_values("test", frame, [exp], Validator(), more_than=2_048)
    assert (settled, left) == ({}, [exp])
