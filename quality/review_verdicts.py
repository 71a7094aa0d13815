"""Manual review verdicts (a CSV or JSONL file) -> the landed ``review_verdicts`` table, or rejects.

In: a file of verdicts, one per row (CSV with a header) or line (JSONL objects), with
the fields ``sample_id``, ``reviewer``, ``role``, ``verdict``, ``time`` (``reviewed_at`` is
accepted for ``time``) and optionally ``error_type`` and ``note``; the lakehouse, read-only,
for the candidate sample ids (``int_samples_templated``).
Out: ``landing/review_verdicts/<file key>.parquet`` and ``landing/rejects/review-<file key>.parquet``
(rejects carry ``source = 'review'``).

Decisions:
- The file key is the file's stem made safe (lower-case; other characters than a-z, 0-9,
  ``_`` and ``-`` become ``-``), or ``file-<hash of its absolute path>`` when nothing is
  left. Importing the same file again replaces its earlier import: the same file twice
  never duplicates a verdict, and a corrected file replaces its old rows. Another file
  with the same key (``a/day1.csv`` after ``b/day1.csv``) is refused unless ``replace``;
  so is a key that another kind of input holds (``lakehouse/commit.py``).
- A file that cannot be read, has an unknown suffix (.csv, .jsonl, .ndjson) or lacks a
  required column lands nothing (:class:`ReviewFileError`).
- A row is rejected, with a message, when: a required value is empty
  (``missing_value``); the sample id is not a candidate sample of the lakehouse
  (``unknown_sample``: the message names it); the role is not first_review,
  second_review or arbitration (``invalid_role``); the verdict is not approve, reject or
  needs_fix (``invalid_verdict``; needs_fix keeps the sample out like a reject, the note
  saying what to fix); the error type is not empty and not in the fixed taxonomy
  (``invalid_error_type``, see seeds/error_types.csv); the time does not parse, or
  has no timezone and no ``default_timezone`` was given (``invalid_time``); the same
  reviewer already holds another role for the sample, in this file or in an earlier
  import (``same_reviewer``: a second review or an arbitration must be someone else's);
  or it repeats a row of the file exactly (``duplicate_verdict``). A JSONL line that is
  not a JSON object is ``malformed_record``.
- Times are stored in UTC.

:func:`record_verdict` lands ONE verdict (the review page's): validated by the same
rules, as its own file ``web-<run id>.parquet``, so verdicts are only ever appended and a
killed server loses at most the verdict being written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.json_guard import JsonProblem, decode_json_text
from lakehouse.commit import SourceCommit
from lakehouse.landing import (
    LandingError,
    check_source_name,
    land_table,
    landed_files,
    new_run_id,
    utc_now,
)
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.report import LandingReport
from lakehouse.settings import Warehouse
from lakehouse.tables.quality import (
    REVIEW_VERDICTS_SCHEMA,
    REVIEW_VERDICTS_TABLE,
)
from lakehouse.taxonomy import error_types

LANDED_TABLES: dict[str, pa.Schema] = {REVIEW_VERDICTS_TABLE: REVIEW_VERDICTS_SCHEMA}
"""The tables this module lands."""

REJECTS_SOURCE = "review"
ROLES: tuple[str, ...] = ("first_review", "second_review", "arbitration")
VERDICTS: tuple[str, ...] = ("approve", "reject", "needs_fix")
REQUIRED_FIELDS: tuple[str, ...] = ("sample_id", "reviewer", "role", "verdict", "time")
OPTIONAL_FIELDS: tuple[str, ...] = ("error_type", "note")
TIME_ALIASES: tuple[str, ...] = ("time", "reviewed_at")
SAMPLES_RELATION = "int_samples_templated"


class ReviewReason(StrEnum):
    """Why a verdict row did not land (the ``reason_code`` of its reject)."""

    MISSING_VALUE = "missing_value"
    UNKNOWN_SAMPLE = "unknown_sample"
    INVALID_ROLE = "invalid_role"
    INVALID_VERDICT = "invalid_verdict"
    INVALID_ERROR_TYPE = "invalid_error_type"
    INVALID_TIME = "invalid_time"
    SAME_REVIEWER = "same_reviewer"
    DUPLICATE_VERDICT = "duplicate_verdict"


class ReviewFileError(LandingError):
    """A verdict file that cannot be imported at all."""


def file_key(path: Path) -> str:
    """The source name a verdict file lands under (see the module docstring)."""
    key = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-_")[:64]
    if not key:
        key = "file-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    return check_source_name(key)


def parse_time(value: str, default_timezone: str | None = None) -> datetime:
    """An ISO 8601 time as an aware UTC datetime. A time without an offset is read in
    ``default_timezone`` (an IANA name) or refused. Raises ``ValueError``."""
    text = value.strip()
    if not text:
        raise ValueError("empty time")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        if default_timezone is None:
            raise ValueError(f"time {value!r} has no timezone (write e.g. 2025-01-31T09:30:00+08:00 "
                             "or pass a default timezone)")
        parsed = parsed.replace(tzinfo=ZoneInfo(default_timezone))
    return parsed.astimezone(UTC)


def read_records(path: Path) -> list[tuple[int, dict | None]]:
    """(line number, record) per row of a CSV or line of a JSONL file; ``None`` for a
    JSONL line that is not a JSON object. Raises :class:`ReviewFileError`."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ReviewFileError(f"{path}: unknown verdict file type {suffix or '(none)'!r}; use .csv or .jsonl")
    try:
        if suffix == ".csv":  # spreadsheets write a UTF-8 byte-order mark: tolerated in CSV
            text = path.read_text(encoding="utf-8-sig")
        else:  # JSON lines follow the one JSON encoding rule (ingest.json_guard)
            decoded = decode_json_text(path.read_bytes())
            if isinstance(decoded, JsonProblem):
                raise ReviewFileError(f"{path}: {decoded.message} ({decoded.reason})")
            text = decoded
    except FileNotFoundError:
        raise ReviewFileError(f"verdict file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewFileError(f"cannot read verdict file {path}: {exc}") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in (reader.fieldnames or [])]
        _require_fields(path, header)
        reader.fieldnames = header
        return [(reader.line_num, {k: v for k, v in row.items() if k is not None}) for row in reader]
    records: list[tuple[int, dict | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested past the limit
            record = None
        records.append((number, record if isinstance(record, dict) else None))
    keys = set().union(*(r.keys() for _, r in records if r is not None)) if records else set()
    _require_fields(path, sorted(keys))
    return records


def _require_fields(path: Path, fields: list[str]) -> None:
    have = set(fields)
    missing = [f for f in REQUIRED_FIELDS
               if f not in have and not (f == "time" and have & set(TIME_ALIASES))]
    if missing:
        raise ReviewFileError(f"{path}: missing column(s) {', '.join(missing)}; a verdict file needs "
                              f"{', '.join(REQUIRED_FIELDS)} (and may have {', '.join(OPTIONAL_FIELDS)})")


def known_sample_ids(wh: Warehouse, sample_ids: set[str]) -> set[str]:
    """Those of ``sample_ids`` that are candidate samples of the lakehouse (read-only).
    Raises :class:`ReviewFileError` when the lakehouse or its samples are not there."""
    if not wh.database.exists():
        raise ReviewFileError(f"no lakehouse at {wh.database}: run `mmfactory build` first, "
                              "verdicts are checked against its samples")
    try:
        with duckdb.connect(str(wh.database), read_only=True) as con:
            rows = con.execute(f"select sample_id from {SAMPLES_RELATION} where sample_id in "
                               "(select unnest(?::varchar[]))", [sorted(sample_ids)]).fetchall()
    except duckdb.Error as exc:
        raise ReviewFileError(f"cannot read the samples of {wh.database}: {exc}") from None
    return {r[0] for r in rows}


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _earlier_roles(wh: Warehouse, key: str) -> dict[tuple[str, str], set[str]]:
    """(sample_id, reviewer) -> roles, from the verdicts other files have landed."""
    roles: dict[tuple[str, str], set[str]] = {}
    for path in landed_files(wh, REVIEW_VERDICTS_TABLE):
        if path.stem == key:
            continue
        table = pq.read_table(path, columns=["sample_id", "reviewer", "role"])
        for sample_id, reviewer, role in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            roles.setdefault((sample_id, reviewer), set()).add(role)
    return roles


def validate_records(records: list[tuple[int, dict | None]], known: set[str], file_name: str,
                     earlier_roles: dict[tuple[str, str], set[str]],
                     default_timezone: str | None = None) -> tuple[list[dict], list[Reject]]:
    """The rows that land (without the run columns) and the rejects, in file order."""
    rows: list[dict] = []
    rejects: list[Reject] = []
    roles = {k: set(v) for k, v in earlier_roles.items()}
    seen: set[tuple] = set()
    for number, record in records:
        item = f"{file_name} line {number}"

        def reject(reason: StrEnum, message: str, item: str = item) -> None:
            rejects.append(Reject(REVIEW_VERDICTS_TABLE, item, reason, f"{item}: {message}"))

        if record is None:
            reject(Reason.MALFORMED_RECORD, "not a JSON object")
            continue
        time_text = next((_text(record, a) for a in TIME_ALIASES if _text(record, a)), "")
        values = {f: _text(record, f) for f in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)} | {"time": time_text}
        empty = [f for f in REQUIRED_FIELDS if not values[f]]
        if empty:
            reject(ReviewReason.MISSING_VALUE, f"empty {', '.join(empty)}")
            continue
        sample_id, reviewer = values["sample_id"], values["reviewer"]
        role, verdict = values["role"].lower(), values["verdict"].lower()
        error_type = values["error_type"].lower()
        if sample_id not in known:
            reject(ReviewReason.UNKNOWN_SAMPLE, f"unknown sample id {sample_id!r}: not a candidate sample "
                   "of the lakehouse (int_samples_templated)")
            continue
        if role not in ROLES:
            reject(ReviewReason.INVALID_ROLE, f"role {values['role']!r} is not one of {', '.join(ROLES)}")
            continue
        if verdict not in VERDICTS:
            reject(ReviewReason.INVALID_VERDICT, f"verdict {values['verdict']!r} is not one of "
                   f"{', '.join(VERDICTS)}")
            continue
        if error_type and error_type not in error_types():
            reject(ReviewReason.INVALID_ERROR_TYPE, f"error type {values['error_type']!r} is not one of "
                   f"{', '.join(error_types())} (or empty)")
            continue
        try:
            reviewed_at = parse_time(values["time"], default_timezone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            reject(ReviewReason.INVALID_TIME, f"time {values['time']!r}: {exc}")
            continue
        signature = (sample_id, reviewer, role, verdict, error_type, reviewed_at, values["note"])
        if signature in seen:
            reject(ReviewReason.DUPLICATE_VERDICT, f"repeats an earlier row for {sample_id!r} by {reviewer!r}")
            continue
        other_roles = roles.get((sample_id, reviewer), set()) - {role}
        if other_roles:
            reject(ReviewReason.SAME_REVIEWER, f"{reviewer!r} already gave the {', '.join(sorted(other_roles))} "
                   f"of {sample_id!r}; the {role} must be someone else's")
            continue
        seen.add(signature)
        roles.setdefault((sample_id, reviewer), set()).add(role)
        rows.append({
            "sample_id": sample_id, "reviewer": reviewer, "role": role, "verdict": verdict,
            "error_type": error_type or None, "note": values["note"] or None,
            "reviewed_at": reviewed_at, "import_file": file_name, "line_number": number,
        })
    return rows, rejects


def import_verdicts(wh: Warehouse, path: Path, default_timezone: str | None = None,
                    replace: bool = False) -> LandingReport:
    """Validate the verdict file at ``path`` and land its valid rows (see the module
    docstring). Raises :class:`ReviewFileError` when nothing can be imported, and
    ``LandingError`` (nothing changed) when its key was imported from another file, is
    used by another kind of input, or the import would drop more than half of the key's
    earlier verdicts (``replace`` allows the last two)."""
    path = Path(path)
    if default_timezone is not None:
        try:
            ZoneInfo(default_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ReviewFileError(f"unknown timezone {default_timezone!r} (use an IANA name such as "
                                  "Asia/Shanghai or UTC)") from None
    return land_records(wh, path, read_records(path), default_timezone, replace)


def land_records(wh: Warehouse, path: Path, records: list[tuple[int, dict | None]],
                 default_timezone: str | None = None, replace: bool = False) -> LandingReport:
    """Validate ``records`` (line number, verdict record) read from the file at ``path``
    (by :func:`read_records` or another reader, e.g. of a Label Studio export) and land the
    valid ones under the file's key, replacing its earlier import of the same file (all or
    nothing; the refusals of :func:`import_verdicts` apply, ``replace`` lifts them)."""
    path = Path(path)
    key = file_key(path)
    commit = SourceCommit(wh, key, REJECTS_SOURCE, replace, origin=str(path.resolve()),
                          claim_names=(key, f"{REJECTS_SOURCE}-{key}"[:64]))
    wanted = {_text(r, "sample_id") for _, r in records if r is not None} - {""}
    known = known_sample_ids(wh, wanted) if wanted else set()
    rows, rejects = validate_records(records, known, path.name, _earlier_roles(wh, key), default_timezone)
    run_id, at = new_run_id(), utc_now()
    stamp = {"source": key, "ingested_at": at, "ingest_run_id": run_id}
    table = pa.Table.from_pylist([{**row, **stamp} for row in rows], schema=REVIEW_VERDICTS_SCHEMA)
    report = LandingReport(source=key, rows_in={REVIEW_VERDICTS_TABLE: len(records)}, rejects=rejects)
    with commit:
        report.files.append(commit.stage(REVIEW_VERDICTS_TABLE, table, REVIEW_VERDICTS_SCHEMA))
        report.rows_landed[REVIEW_VERDICTS_TABLE] = table.num_rows
        report.files.append(commit.stage(REJECTS_TABLE, rejects_table(rejects, REJECTS_SOURCE, run_id, at),
                                         REJECTS_SCHEMA, name=f"{REJECTS_SOURCE}-{key}"[:64]))
        commit.commit()
    return report


WEB_IMPORT_FILE = "review-page"
"""The ``import_file`` of verdicts recorded by the review page."""


class VerdictRefused(LandingError):
    """A single verdict that breaks a rule; the message is the reject's."""


def record_verdict(wh: Warehouse, sample_id: str, reviewer: str, role: str, verdict: str,
                   error_type: str | None, note: str | None, at: datetime | None = None) -> Path:
    """Validate one verdict like a row of a file and land it as its own file
    ``landing/review_verdicts/web-<run id>.parquet``; return the file's path.
    Raises :class:`VerdictRefused` naming the rule it breaks (nothing is written)."""
    at = at or utc_now()
    run_id = new_run_id()
    key = check_source_name(f"web-{run_id.lower()}")
    record = {"sample_id": sample_id, "reviewer": reviewer, "role": role, "verdict": verdict,
              "error_type": error_type or "", "note": note or "", "time": at.isoformat()}
    known = known_sample_ids(wh, {sample_id})
    rows, rejects = validate_records([(1, record)], known, WEB_IMPORT_FILE, _earlier_roles(wh, key))
    if rejects:
        raise VerdictRefused(rejects[0].message.removeprefix(f"{WEB_IMPORT_FILE} line 1: "))
    stamp = {"source": key, "ingested_at": utc_now(), "ingest_run_id": run_id}
    table = pa.Table.from_pylist([{**rows[0], **stamp}], schema=REVIEW_VERDICTS_SCHEMA)
    return land_table(wh, REVIEW_VERDICTS_TABLE, key, table, REVIEW_VERDICTS_SCHEMA)
