"""What a check is made of: the parts it builds and the contract they are held to.

``Check`` names one of the project checks and how it builds its parts from the inputs;
a ``Frame`` is a DataFrame, or a ``Query`` whose rows are read a batch at a time
(``expectations.batched``), with the native Great Expectations it must meet, a
``Violations`` frame holds the rows breaking a cross-table rule (expected: none), and a
``Missing`` part says what could not be read. The suites (``expectations/suites/``) build
parts; the runner (``expectations/runner.py``) validates them. Both import this module,
never each other.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import duckdb
import pandas as pd

from expectations.config import CheckConfig
from expectations.inputs import CheckInputs


# ---- parts ------------------------------------------------------------------------------
@dataclass
class Query:
    """The rows of a frame as one DuckDB query on the inputs' connection, for a frame
    whose rows grow with the corpus: the runner reads them in batches
    (``expectations.batched``), so the check's memory does not. ``transform`` (pandas
    in, pandas out) is applied to each batch: it must take each row on its own. ``order``
    is what the rows are read in order of (an ORDER BY list appended to ``sql``); it is
    kept out of ``sql`` so that the queries that only count or group the rows
    (``expectations.grouped``) do not sort them: 0.7 s a query on the 5.2M records of
    118,000 photos."""

    con: duckdb.DuckDBPyConnection
    sql: str
    params: list[Any] | dict[str, Any] = field(default_factory=list)
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    order: str = ""

    @property
    def ordered_sql(self) -> str:
        """``sql`` with its ORDER BY: the rows as the batches read them."""
        return f"{self.sql}\norder by {self.order}" if self.order else self.sql

    @cached_property
    def column_types(self) -> dict[str, str]:
        """The query's columns and their DuckDB types (``DOUBLE``, ``VARCHAR``, ...), asked
        once, without reading a row."""
        described = self.con.execute(f"select * from ({self.sql}) limit 0", self.params).description
        return {name: str(kind) for name, kind, *_ in described}


def sql_name(column: str) -> str:
    """``column`` as a quoted SQL identifier (a ``"`` in it doubled)."""
    return '"' + column.replace('"', '""') + '"'


class Extremes:
    """A ``Query``'s transform that leaves each batch as it is and notes the smallest and
    largest value of ``columns`` over the batches it sees (nulls skipped), for a frame's
    summary, without a second pass over the rows."""

    def __init__(self, *columns: str) -> None:
        self.columns = columns
        self.low: dict[str, Any] = {}
        self.high: dict[str, Any] = {}

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        for column in self.columns:
            values = df[column].dropna()
            if len(values):
                low, high = values.min(), values.max()
                self.low[column] = min(self.low.get(column, low), low)
                self.high[column] = max(self.high.get(column, high), high)
        return df


class DistinctValues:
    """A ``Query``'s transform that leaves each batch as it is and notes the distinct values
    of ``column`` (nulls skipped) over the batches it sees, for a frame's summary: for a
    column of few values (types, task types)."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.values: set[Any] = set()

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        self.values.update(df[self.column].dropna().unique().tolist())
        return df


@dataclass
class Frame:
    """A DataFrame (or a ``Query``) and the native expectations it must meet."""

    name: str
    df: pd.DataFrame | Query
    expectations: list[Any]
    id_column: str
    # what the check's result says of this part; a function of the frame's row count
    # for a ``Query``, whose rows are counted as they are validated
    summary: str | Callable[[int], str] = ""
    # The offending rows' names from their id column's values, when that column holds a
    # number standing for a longer name (``CheckInputs.record_keys``: millions of record
    # keys cost more to fetch as strings than the few offending ones cost to look up).
    id_labels: Callable[[list[Any]], dict[Any, str]] | None = None


@dataclass
class Violations:
    """Rows that break a cross-table rule (one row per offence); must be none."""

    name: str
    df: pd.DataFrame
    id_column: str
    description: str
    summary: str = ""


@dataclass
class Missing:
    """A part that could not be evaluated: what is missing."""

    name: str
    reasons: list[str]


Part = Frame | Violations | Missing


@dataclass(frozen=True)
class Check:
    number: int
    name: str
    title: str
    build: Callable[[CheckInputs, CheckConfig], list[Part]]


@dataclass
class Result:
    """One expectation's result put together from Great Expectations' own (a frame read in
    batches, ``expectations.batched``; values counted in groups, ``expectations.grouped``),
    with the fields ``validation.outcomes_of_frame`` reads of GX's
    ``ExpectationValidationResult``."""

    expectation_config: Any
    success: bool
    result: dict[str, Any]
    exception_info: Any


def has_raised(info: Any) -> bool:
    """Whether GX's ``exception_info`` of a result says an exception was raised."""
    if isinstance(info, dict) and "raised_exception" in info:
        return bool(info.get("raised_exception"))
    return isinstance(info, dict) and any(has_raised(v) for v in info.values())


def expectation_columns(expectation: Any) -> list[str]:
    """The columns a native expectation reads: its ``column_list``, its pair
    (``column_A``, ``column_B``) or its one ``column``."""
    kwargs = expectation.configuration.kwargs
    if kwargs.get("column_list"):
        return list(kwargs["column_list"])
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return [kwargs["column"]]


def expectation_key(config: Any) -> str:
    """An expectation's identity within a frame, the same for its configuration
    (``expectation.configuration``) as for the one of GX's result of it
    (``result.expectation_config``): its type, description and arguments (GX adds the
    batch's id to a result's)."""
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return json.dumps([config.type, config.description, kwargs], sort_keys=True, default=str)


# ---- Great Expectations, imported once -----------------------------------------------------------------
_GX: Any = None


def gx_module() -> Any:
    """Import Great Expectations once, with analytics off, ``scipy.stats`` deferred and
    without the fingerprint it takes of every pandas batch.

    GX hashes each dataframe it is handed as a batch (``pd.util.hash_pandas_object`` on
    every row, then MD5) to label the batch with a ``pandas_data_fingerprint`` marker;
    it skips that for frames over ``HASH_THRESHOLD`` (1 GB) of memory. The checks never
    read the marker, and the hashing was 42 s of the 207 s all twelve checks took on the
    118k-photo build (py-spy; BENCHMARKS.md): the threshold is set to 0 here, so no frame
    is hashed. Which rows pass and fail is computed as before.

    ``scipy.stats`` is deferred first (``defer_scipy_stats``)."""
    global _GX
    if _GX is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        defer_scipy_stats()
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        pandas_execution_engine.HASH_THRESHOLD = 0
        _GX = gx
    return _GX


def defer_scipy_stats() -> bool:
    """Make ``scipy.stats`` a module that loads when one of its names is first used; True
    when it did (False: already imported, or scipy is not installed).

    Importing GX imports every native expectation, and one of them (KL divergence, which
    the checks never use) runs ``from scipy import stats`` at import: a process that
    imports GX took 3.10 s of CPU, 2.21 with this (medians of 7 paired runs; BENCHMARKS.md,
    issue 12 session 14).

    The module is put in ``sys.modules`` and on the ``scipy`` package as the standard
    library's lazy module (``importlib.util.LazyLoader``), so that import binds it without
    running it; the first attribute read (``stats.entropy``) loads it whole, as a plain
    import would have. It is set on the package as well because ``from scipy import
    stats`` would otherwise reach it through the import machinery, whose first look at a
    module (its ``__spec__``) already loads a lazy one. Python 3.11's lazy module does
    not guard that first load against two threads at once; nothing in mmfactory reads
    scipy.stats, so it is never loaded at all in a build."""
    if "scipy.stats" in sys.modules:
        return False
    try:
        import scipy
        spec = importlib.util.find_spec("scipy.stats")
    except ImportError:
        return False
    if spec is None or spec.loader is None:
        return False
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    spec.loader.exec_module(module)
    scipy.stats = module
    return True


def gxe() -> Any:
    """``great_expectations.expectations`` (the native expectation classes)."""
    return gx_module().expectations
