"""Row-by-row expectations settled on the distinct values of their columns, counted by
DuckDB, instead of on every row.

An expectation that judges each row on its own (``batched.ROW_BY_ROW``) gives a row the
same verdict as any other row holding the same values in its columns. So for a query of
millions of rows whose columns hold few distinct values (types, flags, counts of image
tokens), DuckDB groups the rows by those values (on every core, without pandas) and
Great Expectations validates one row per group. When no group is unexpected, neither is
any row: the expectation is settled, with the rows counted by the groups. When a group
is unexpected, or the values are too many to group (a column of ids), the expectation is
left to the batches (``expectations.batched``), which give the offending rows, their
order and values exactly as before.

A null / not-null expectation is grouped by whether the value is missing (as pandas
sees it: null, or NaN in a floating column), so it settles even on a column of ids.

In: a frame whose ``df`` is a ``Query`` without a transform, its row-by-row
expectations, a validator. Out: the settled results (by ``parts.expectation_key``) and
the expectations left over.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from expectations.inputs import plain
from expectations.parts import Frame, Query, Result, expectation_columns, expectation_key, has_raised, sql_name

MAX_GROUPS = 50_000
"""Most distinct values an expectation is settled on; above it (by DuckDB's estimate) the
rows are read in batches instead. A frame of 50,000 groups is validated in well under a
second; a column that holds more distinct values than that is mostly ids."""
COUNT = "_mmfactory_rows"
NULLNESS = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})
PAIRS = frozenset({"expect_column_pair_values_to_be_equal", "expect_column_pair_values_a_to_be_greater_than_b"})
FLOATING = ("FLOAT", "DOUBLE", "REAL")


def _missing_sql(column: str, types: dict[str, str]) -> str:
    """Whether a value is missing as pandas sees it once fetched: null, or NaN."""
    c = sql_name(column)
    return f"({c} is null or isnan({c}))" if types.get(column, "").upper() in FLOATING else f"({c} is null)"


def _groups_sql(query: Query, expectation: Any, types: dict[str, str]) -> str:
    """One row per group of the query's rows with the same values in the expectation's
    columns (for a null / not-null expectation: the same missingness, any value of the
    group standing for it), and how many rows it holds."""
    columns = expectation_columns(expectation)
    if expectation.expectation_type in NULLNESS:
        [column] = columns
        return (f"select any_value({sql_name(column)}) as {sql_name(column)}, count(*) as {COUNT} "
                f"from ({query.sql}) group by {_missing_sql(column, types)}")
    names = ", ".join(sql_name(c) for c in columns)
    return f"select {names}, count(*) as {COUNT} from ({query.sql}) group by all"


def _estimates_sql(query: Query, grouped: list[Any]) -> str:
    """The query's row count and DuckDB's estimate (HyperLogLog) of each expectation's
    distinct values, in one pass."""
    parts = ["count(*)"]
    for expectation in grouped:
        parts.append(f"approx_count_distinct(hash({', '.join(sql_name(c) for c in expectation_columns(expectation))}))")
    return f"select {', '.join(parts)} from ({query.sql})"


def _missing_rows(expectation: Any, groups: pd.DataFrame) -> int:
    """The rows Great Expectations counts as missing for the expectation (a null / NaN
    value; for a pair, as its ``ignore_row_if`` says), from the groups' counts."""
    columns = expectation_columns(expectation)
    nulls = [groups[c].isnull() for c in columns]
    if expectation.expectation_type in PAIRS:
        rule = expectation.configuration.kwargs.get("ignore_row_if") or "both_values_are_missing"
        if rule == "neither":
            return 0
        missing = (nulls[0] & nulls[1]) if rule == "both_values_are_missing" else (nulls[0] | nulls[1])
    else:
        missing = nulls[0]
    return int(groups.loc[missing, COUNT].sum())


def _counted(groups_result: dict[str, Any], rows: int, missing: int) -> dict[str, Any]:
    """GX's result on the groups, made the result on the ``rows`` they hold (``missing`` of
    them missing, for the expectations whose result counts missing values) when none is
    unexpected: the counts and shares of rows, the lists of unexpected values and rows
    empty."""
    out = {key: [] if isinstance(value, list) else value for key, value in groups_result.items()}
    if "missing_count" not in out:  # null / not null: a missing value is judged, not left out
        missing = 0
    counted = rows - missing
    shares = {"element_count": rows, "unexpected_count": 0, "unexpected_percent": 0.0 if counted else None,
              "missing_count": missing, "missing_percent": 100 * missing / rows if rows else None,
              "unexpected_percent_total": 0.0 if rows else None,
              "unexpected_percent_nonmissing": 0.0 if counted else None}
    out.update({key: value for key, value in shares.items() if key in out or key in (
        "element_count", "unexpected_count", "unexpected_percent")})
    return out


def settle_by_values(check: str, frame: Frame, expectations: list[Any], validator: Any,
                     more_than: int = 0) -> tuple[dict[str, Result], list[Any], int]:
    """The expectations of ``frame`` (a ``Query`` without a transform) that hold on every
    row, settled on their columns' distinct values; the rest, left for the batches; and the
    query's row count. Nothing is settled when the query returns ``more_than`` rows or
    fewer (a frame that small is validated whole). An expectation with ``mostly`` (a share
    of rows allowed to fail) is always left: its verdict needs the unexpected rows counted,
    not only found."""
    query = frame.df
    assert isinstance(query, Query) and query.transform is None
    types = query.column_types
    candidates = [e for e in expectations
                  if e.configuration.kwargs.get("mostly") in (None, 1, 1.0)
                  and all(c in types for c in expectation_columns(e))]
    [counts] = query.con.execute(_estimates_sql(query, candidates), query.params).fetchall()
    rows, estimates = int(counts[0]), counts[1:]
    if rows <= more_than:
        return {}, list(expectations), rows
    settled: dict[str, Result] = {}
    for expectation, estimate in zip(candidates, estimates, strict=True):
        if expectation.expectation_type not in NULLNESS and estimate > MAX_GROUPS:
            continue
        groups = plain(query.con.execute(_groups_sql(query, expectation, types), query.params).df())
        if len(groups) > 2 * MAX_GROUPS:  # the estimate was far off: the batches read them
            continue
        values = groups.drop(columns=[COUNT])
        if frame.id_column not in values:
            values = values.assign(**{frame.id_column: range(len(values))})
        [result] = validator.validate(check, replace(frame, df=values, expectations=[expectation])).results
        got = dict(result.result or {})
        if not result.success or got.get("unexpected_count") or has_raised(result.exception_info):
            continue  # some rows are unexpected: the batches find which, in order
        settled[expectation_key(expectation.configuration)] = Result(
            result.expectation_config, True, _counted(got, rows, _missing_rows(expectation, groups)),
            result.exception_info)
    left = [e for e in expectations if expectation_key(e.configuration) not in settled]
    return settled, left, rows
