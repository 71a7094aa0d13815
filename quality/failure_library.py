"""The failure library: an append-only landed table of every failure ever flagged.

In: the lakehouse after ``dbt build`` (read-only): ``low_quality_flags``, one row per
(sample, error type) with its evidence and the sample's content and ``failure_key`` =
sha256(sample_id | error_type | sha256(answer_text)).
Out: ``landing/failure_library/<run id>.parquet`` holding the flags whose failure_key no
earlier file holds, stamped with ``first_seen_at`` and ``first_seen_run_id``. Nothing is
written when there is nothing new.

`mmfactory build` picks the run id and time before dbt and hands them to dbt
(``recording_env``), so that ``failure_replay`` already counts this build's new failures
with the stamps they land under here: the build runs dbt once, and its models are what a
rebuild after the recording would give.

Because the library is landed (not a model), a rebuild that no longer produces a failure
does not erase it: ``failure_replay`` compares the library with the current flags to show,
per error type, how many known failures still fail. A sample whose answer changes and
fails again is a new failure (a new answer hash) of the same sample.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse.landing import ensure_tables, land_table, landed_files, new_run_id, utc_now
from lakehouse.settings import Warehouse
from lakehouse.tables.quality import (
    FAILURE_LIBRARY_SCHEMA,
    FAILURE_LIBRARY_TABLE,
)

LANDED_TABLES: dict[str, pa.Schema] = {FAILURE_LIBRARY_TABLE: FAILURE_LIBRARY_SCHEMA}
"""The tables this module lands."""

FLAGS_RELATION = "low_quality_flags"

# dbt's metadata variables (DBT_ENV_CUSTOM_ENV_<name>) that carry a build's recording to
# failure_replay (macros/failure_library.sql)
RECORDING_RUN_ID_ENV = "DBT_ENV_CUSTOM_ENV_MMFACTORY_FAILURE_RUN_ID"
RECORDING_AT_ENV = "DBT_ENV_CUSTOM_ENV_MMFACTORY_FAILURE_RECORDED_AT"

_FLAG_COLUMNS = [f.name for f in FAILURE_LIBRARY_SCHEMA if f.name not in ("first_seen_at", "first_seen_run_id")]


class FailureLibraryError(RuntimeError):
    """The lakehouse has no flags to record (not built, or built without the quality models)."""


def known_failure_keys(wh: Warehouse) -> set[str]:
    """Every failure_key the landed library holds."""
    keys: set[str] = set()
    for path in landed_files(wh, FAILURE_LIBRARY_TABLE):
        keys.update(pq.read_table(path, columns=["failure_key"]).column("failure_key").to_pylist())
    return keys


def current_flags(wh: Warehouse) -> pa.Table:
    """The lakehouse's ``low_quality_flags`` in the library's columns (read-only)."""
    if not wh.database.exists():
        raise FailureLibraryError(f"no lakehouse at {wh.database}: run dbt build first")
    try:
        with duckdb.connect(str(wh.database), read_only=True) as con:
            return con.sql(f"select {', '.join(_FLAG_COLUMNS)} from {FLAGS_RELATION} "
                           "order by failure_key").to_arrow_table()
    except duckdb.Error as exc:
        raise FailureLibraryError(f"cannot read {FLAGS_RELATION} from {wh.database}: {exc}") from None


def recording_env(run_id: str, at: datetime) -> dict[str, str]:
    """The environment that tells a dbt run which recording follows it: ``failure_replay``
    then counts the flags the library lacks as recorded under ``run_id`` at ``at`` (UTC)."""
    return {RECORDING_RUN_ID_ENV: run_id, RECORDING_AT_ENV: at.isoformat()}


def record_failures(wh: Warehouse, run_id: str | None = None, at: datetime | None = None) -> int:
    """Append the flags the library does not hold yet; return how many were appended.

    The new rows land as one file, ``<run id>.parquet`` (written atomically), so a killed
    run leaves the library as it was. ``run_id`` defaults to a fresh ingest run id, ``at``
    (timezone-aware) to now: a build passes the ones it gave dbt (``recording_env``).
    """
    ensure_tables(wh, LANDED_TABLES)
    flags = current_flags(wh)
    known = known_failure_keys(wh)
    keys = flags.column("failure_key").to_pylist()
    keep, seen = [], set()
    for i, key in enumerate(keys):
        if key not in known and key not in seen:
            keep.append(i)
            seen.add(key)
    if not keep:
        return 0
    run_id = run_id or new_run_id()
    new = flags.take(pa.array(keep, pa.int64()))
    at = at or utc_now()
    new = new.append_column("first_seen_at", pa.array([at] * new.num_rows, pa.timestamp("us", tz="UTC")))
    new = new.append_column("first_seen_run_id", pa.array([run_id] * new.num_rows, pa.string()))
    land_table(wh, FAILURE_LIBRARY_TABLE, run_id.lower(), new, FAILURE_LIBRARY_SCHEMA)
    return new.num_rows
