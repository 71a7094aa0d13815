"""A frame whose rows are a query, validated a batch of rows at a time, so that a check's
memory does not grow with the corpus.

A ``Frame`` whose ``df`` is a ``Query`` (expectations.parts) is read from the inputs'
DuckDB connection ``BATCH_VECTORS`` DuckDB vectors (2,048 rows each) at a time, as pandas
the way ``CheckInputs.df`` gives it, with the query's ``transform`` applied to each batch.
When the query returns one batch or less, that batch is validated as a whole frame, with
every expectation, exactly as a frame held in memory. When it returns more:

- the expectations that judge each row on its own (``ROW_BY_ROW``: values in a set, not
  null, null, between, matching a pattern, pair equal, pair greater) are first settled
  on their columns' distinct values where they can be (``expectations.grouped``: a
  query without a transform, few distinct values, no row unexpected). The others are
  validated by Great Expectations on each batch (only the columns they read, and the
  id), and their results added up: rows seen, rows unexpected, the offending rows' ids in
  order, the first unexpected values. When every one is settled, no row is read;
- ``expect_column_distinct_values_to_contain_set`` is validated on the distinct values
  of its column, gathered over the batches, or asked of DuckDB when no batch is read
  (few: types, task types);
- ``expect_table_row_count_to_be_between`` is validated on a frame of as many rows as
  the query returned and no column (no memory);
- uniqueness (``expect_column_values_to_be_unique``, ``expect_compound_columns_to_be_unique``)
  is validated on the rows whose values DuckDB finds more than once in the query (its
  columns, not a transform's): none when the values are unique, so the frame is empty.

In: the frame, the check's name and a validator (``expectations.validation.Validator``:
``validate(check, frame)`` gives GX's validation result). Out: ``Validated``, one result
per expectation, with what ``outcomes_of_frame`` reads of GX's own (which puts them in
the frame's order), and the row count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pandas as pd

from expectations.grouped import settle_by_values
from expectations.inputs import plain
from expectations.parts import Frame, Query, Result, expectation_columns, expectation_key, has_raised, sql_name

BATCH_VECTORS = 100
"""DuckDB vectors per batch: at most 204,800 rows. Each batch is a Great Expectations
validation of its own: at 118,000 photos, batches of 250 vectors saved ~1 s of the six
heaviest checks' ~25 s and raised check 4's peak by ~390 MB (BENCHMARKS.md)."""

ROW_BY_ROW = frozenset({
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
})
ROW_COUNT = "expect_table_row_count_to_be_between"
DISTINCT = "expect_column_distinct_values_to_contain_set"
UNIQUE = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
VECTOR_ROWS = 2_048
"""Rows in a DuckDB vector."""
PARTIAL_VALUES = 20
"""How many unexpected values a merged result keeps, as GX's ``partial_unexpected_list``."""


class FrameValidator(Protocol):
    def validate(self, check: str, frame: Frame) -> Any: ...


@dataclass
class Validated:
    results: list[Any]
    row_count: int


class UnsupportedExpectationError(ValueError):
    """An expectation that cannot be validated batch by batch."""


def _kind(expectation: Any) -> str:
    return expectation.expectation_type


def batches(query: Query, vectors: int) -> Iterator[pd.DataFrame]:
    """The query's rows, about ``vectors`` DuckDB vectors at a time (a vector may be part
    full), transformed: the first batch always (empty when the query returns no row, with
    its columns), then every further one that holds rows. No other query may run on the
    connection until the last batch is read."""
    cursor = query.con.execute(query.ordered_sql, query.params)
    first = True
    while True:
        chunk = cursor.fetch_df_chunk(vectors)
        if not first and (chunk is None or len(chunk) == 0):
            return
        first = False
        df = plain(chunk)
        yield query.transform(df) if query.transform is not None else df


def validate_query_frame(check: str, frame: Frame, validator: FrameValidator,
                         vectors: int | None = None) -> Validated:
    """``frame`` (its ``df`` a ``Query``) validated ``vectors`` DuckDB vectors at a time
    (None: ``BATCH_VECTORS``); see the module."""
    query = frame.df
    assert isinstance(query, Query)
    unsupported = [_kind(e) for e in frame.expectations
                   if _kind(e) not in ROW_BY_ROW | UNIQUE | {ROW_COUNT, DISTINCT}]
    if unsupported:
        raise UnsupportedExpectationError(f"{frame.name}: cannot validate {', '.join(unsupported)} in batches")
    own = [c for e in frame.expectations if _kind(e) in UNIQUE for c in expectation_columns(e)]
    if own:  # uniqueness is found by DuckDB, in the query's own columns
        absent = [c for c in own if c not in query.column_types]
        if absent:
            raise UnsupportedExpectationError(
                f"{frame.name}: {', '.join(absent)} is not a column of the query; uniqueness is checked in DuckDB")
    row_wise = [e for e in frame.expectations if _kind(e) in ROW_BY_ROW]
    distinct_columns = {c for e in frame.expectations if _kind(e) == DISTINCT for c in expectation_columns(e)}
    vectors = BATCH_VECTORS if vectors is None else vectors
    merged: dict[str, Result] = {}
    counted = 0  # the rows, when the distinct values were asked for (more than one batch)
    if query.transform is None and row_wise:  # what the rows' distinct values settle
        merged, row_wise, counted = settle_by_values(check, frame, row_wise, validator,
                                                     more_than=vectors * VECTOR_ROWS)
    several = counted > vectors * VECTOR_ROWS
    distinct: dict[str, set[Any]] = {c: set() for c in distinct_columns}
    if several and not row_wise:
        rows = counted  # every row-by-row expectation settled: no row is read
        for column in distinct_columns:
            distinct[column].update(_distinct_values(query, column))
    else:
        reading = query
        if several:  # of the columns the expectations left over read, and the id
            reading = _selected(query, [frame.id_column, *(c for e in row_wise for c in expectation_columns(e)),
                                        *sorted(distinct_columns)])
        reader = batches(reading, vectors)
        first = next(reader)
        second = next(reader, None)
        if second is None:  # one batch: validated whole, as a frame held in memory
            validation = validator.validate(check, replace(frame, df=first))
            return Validated(list(validation.results), len(first))
        rows = 0
        for batch in _chain(first, second, reader):
            rows += len(batch)
            for column in distinct_columns:
                distinct[column].update(batch[column].dropna().unique().tolist())
            if row_wise:
                validation = validator.validate(check, replace(frame, df=batch, expectations=row_wise))
                for result in validation.results:  # in an order of GX's own
                    key = expectation_key(result.expectation_config)
                    merged[key] = _add(merged.get(key), result)
    results = []
    for expectation in frame.expectations:
        kind = _kind(expectation)
        if kind in ROW_BY_ROW:
            results.append(merged[expectation_key(expectation.configuration)])
            continue
        if kind == ROW_COUNT:
            whole = pd.DataFrame(index=pd.RangeIndex(rows))
        elif kind == DISTINCT:
            [column] = expectation_columns(expectation)
            whole = pd.DataFrame({column: pd.Series(sorted(distinct[column], key=repr), dtype=object)})
        else:
            whole = _repeated_rows(query, expectation_columns(expectation), frame.id_column)
        [result] = validator.validate(check, replace(frame, df=whole, expectations=[expectation])).results
        if kind in UNIQUE:
            result = Result(result.expectation_config, result.success,
                            {**dict(result.result or {}), "element_count": rows}, result.exception_info)
        results.append(result)
    return Validated(results, rows)


def _selected(query: Query, columns: list[str]) -> Query:
    """``query``'s rows, in its order, with only ``columns`` (once each): a SELECT of one
    table keeps its input's order in DuckDB ("Order Preservation" in its SQL dialect
    docs). Reading 2 of the 8 columns of the canonical records took 0.54 s against
    1.8-1.9 s for all (1.44M rows, 118,000 photos)."""
    names = ", ".join(sql_name(c) for c in dict.fromkeys(columns))
    return Query(query.con, f"select {names} from ({query.ordered_sql})", query.params)


def _distinct_values(query: Query, column: str) -> list[Any]:
    """The distinct values of one column of the query, nulls left out, as pandas gives them."""
    df = plain(query.con.execute(f"select distinct {sql_name(column)} from ({query.sql})", query.params).df())
    return df[column].dropna().unique().tolist()


def _chain(first: pd.DataFrame, second: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield second
    yield from rest


def _add(total: Result | None, result: Any) -> Result:
    """``result`` (one batch's) added to ``total`` (the batches' before it)."""
    new = dict(result.result or {})
    if total is None:
        return Result(result.expectation_config, bool(result.success), new, result.exception_info)
    out = dict(total.result)
    for key in ("element_count", "unexpected_count", "missing_count"):
        if key in new:
            out[key] = (out.get(key) or 0) + (new[key] or 0)
    for key in ("unexpected_index_list", "unexpected_list"):
        if key in new:
            out[key] = [*(out.get(key) or []), *(new[key] or [])]
    out["partial_unexpected_list"] = [*(out.get("partial_unexpected_list") or []),
                                      *(new.get("partial_unexpected_list") or [])][:PARTIAL_VALUES]
    counted = (out.get("element_count") or 0) - (out.get("missing_count") or 0)
    out["unexpected_percent"] = 100 * (out.get("unexpected_count") or 0) / counted if counted else None
    error = total.exception_info if has_raised(total.exception_info) else result.exception_info
    return Result(total.expectation_config, total.success and bool(result.success), out, error)


def _repeated_rows(query: Query, columns: list[str], id_column: str) -> pd.DataFrame:
    """The query's rows whose ``columns`` hold values another row holds too (rows whose
    values are all null are not compared), with their ``id_column``, in its order: what
    a uniqueness expectation finds unexpected, found by DuckDB."""
    names = ", ".join(f"q.{sql_name(c)}" for c in dict.fromkeys([id_column, *columns]))
    keys = ", ".join(sql_name(c) for c in columns)
    some_set = " or ".join(f"{sql_name(c)} is not null" for c in columns)
    same = " and ".join(f"q.{sql_name(c)} is not distinct from d.{sql_name(c)}" for c in columns)
    sql = f"""
        with q as ({query.sql}),
        d as (select {keys} from q where {some_set} group by all having count(*) > 1)
        select {names} from q semi join d on {same}
        order by q.{sql_name(id_column)}
    """
    return plain(query.con.execute(sql, query.params).df())
