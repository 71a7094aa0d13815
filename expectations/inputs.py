"""What the checks read: the lakehouse (read-only) and the exported files, loaded once.

In: a warehouse (``lakehouse.duckdb`` and ``exports/``). Out: one DuckDB connection on
which every record file under exports/ is a table ``x_records`` (one row per record, with
its parsed id, image list and conversation), the asset manifest is ``x_assets``, and
helpers that say what is missing instead of raising: ``missing_relations``,
``missing_columns``, ``missing_files``. The checks turn those answers into failures
with a clear observed value, so a relation that is not built yet fails its check rather
than crashing the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from consumers.swift import as_conversations
from expectations import config as C
from lakehouse.hashing import sha256_file
from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.sources import resolve_root

TURN = pa.struct([pa.field("from", pa.string()), pa.field("value", pa.string())])
RECORDS_SCHEMA = pa.schema([
    pa.field("file_path", pa.string()),
    pa.field("profile", pa.string()),
    pa.field("file_split", pa.string()),
    pa.field("line_no", pa.int64()),
    pa.field("record_key", pa.string()),
    pa.field("id", pa.string()),
    pa.field("parse_error", pa.string()),
    pa.field("keys", pa.string()),
    pa.field("image_kind", pa.string()),
    pa.field("images", pa.list_(pa.string())),
    pa.field("n_images", pa.int64()),
    pa.field("conversation_kind", pa.string()),
    pa.field("conversations", pa.list_(TURN)),
    pa.field("n_turns", pa.int64()),
    pa.field("first_turn", pa.string()),
    pa.field("last_answer", pa.string()),
])
ASSETS_SCHEMA = pa.schema([
    pa.field("line_no", pa.int64()),
    pa.field("parse_error", pa.string()),
    pa.field("asset_id", pa.string()),
    pa.field("image", pa.string()),
    pa.field("asset_type", pa.string()),
    pa.field("source", pa.string()),
])


@dataclass(frozen=True)
class RawRecord:
    """One record as read from an export file (``record`` is None when unparseable)."""

    file_path: str
    line_no: int
    record: Any
    parse_error: str | None

    @property
    def key(self) -> str:
        rid = self.record.get("id") if isinstance(self.record, dict) else None
        return f"{self.file_path}:{rid if rid is not None else f'line {self.line_no}'}"


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Pandas nullable dtypes (Int64, boolean, string) as object columns holding None:
    Great Expectations' pair expectations fail on ``pd.NA``."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.api.extensions.ExtensionDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _split_of(rel: str) -> str:
    stem = Path(rel).stem
    return stem if stem in ("train", "val", "smoke_test") else "all"


def _profile_of(rel: str) -> str:
    parts = Path(rel).parts
    return parts[0] if len(parts) > 1 else "canonical"


def _normalize(raw: RawRecord) -> dict[str, Any]:
    rec = raw.record
    row: dict[str, Any] = {
        "file_path": raw.file_path, "profile": _profile_of(raw.file_path),
        "file_split": _split_of(raw.file_path), "line_no": raw.line_no, "record_key": raw.key,
        "id": None, "parse_error": raw.parse_error, "keys": None, "image_kind": "missing",
        "images": [], "n_images": 0, "conversation_kind": "missing", "conversations": None,
        "n_turns": 0, "first_turn": None, "last_answer": None,
    }
    if not isinstance(rec, dict):
        if raw.parse_error is None:
            row["parse_error"] = f"record is a {type(rec).__name__}, not an object"
        return row
    rid = rec.get("id")
    row["id"] = None if rid is None else str(rid)
    row["keys"] = ",".join(sorted(rec))
    key = "image" if "image" in rec else ("images" if "images" in rec else None)
    if key is not None:
        value = rec[key]
        if isinstance(value, str):
            row["image_kind"], row["images"] = "string", [value]
        elif isinstance(value, list):
            row["image_kind"], row["images"] = "list", [v if isinstance(v, str) else json.dumps(v) for v in value]
        else:
            row["image_kind"] = type(value).__name__
    row["n_images"] = len(row["images"])
    conv = rec.get("conversations")
    if conv is None and "messages" in rec:  # ms-swift: messages of {role, content}
        conv = as_conversations(rec)
    if isinstance(conv, list):
        turns = []
        for turn in conv:
            if isinstance(turn, dict):
                src, val = turn.get("from"), turn.get("value")
                turns.append({"from": src if isinstance(src, str) else None,
                              "value": val if isinstance(val, str) else None})
            else:
                turns.append({"from": None, "value": None})
        row["conversation_kind"], row["conversations"], row["n_turns"] = "list", turns, len(turns)
        if turns:
            row["first_turn"] = turns[0]["value"]
        answers = [t["value"] for t in turns if t["from"] == "gpt"]
        row["last_answer"] = answers[-1] if answers else None
    elif conv is not None:
        row["conversation_kind"] = type(conv).__name__
    return row


def read_record_file(path: Path, rel: str) -> list[RawRecord]:
    """Every record of one export file: JSONL (one per non-empty line) or a JSON array."""
    return list(iter_record_file(path, rel))


def iter_record_file(path: Path, rel: str) -> Iterator[RawRecord]:
    """The records of one export file one at a time: a JSONL file is read line by line
    (memory independent of its size); a JSON array file is parsed whole."""
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            yield RawRecord(rel, 0, None, f"not one JSON document ({exc.msg})")
            return
        if not isinstance(data, list):
            yield RawRecord(rel, 0, None, "the file must hold one JSON array")
            return
        for i, rec in enumerate(data):
            yield RawRecord(rel, i + 1, rec, None)
        return
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                yield RawRecord(rel, i + 1, json.loads(line), None)
            except json.JSONDecodeError as exc:
                yield RawRecord(rel, i + 1, None, f"line is not JSON ({exc.msg})")


def count_file_rows(path: Path) -> int:
    """Rows as the manifest counts them: records of a JSONL / JSON-array file, keys of a
    JSON object file."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return len(data)
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


class CheckInputs:
    """The lakehouse and the exports of one warehouse, opened read-only for one run."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self.exports = wh.exports
        self.has_database = wh.database.is_file()
        self.con = duckdb.connect(str(wh.database), read_only=True) if self.has_database else duckdb.connect()
        # staging views read landed Parquet by a path that may be relative to the project
        self.con.execute(f"SET file_search_path = '{str(PROJECT_ROOT).replace(chr(39), chr(39) * 2)}'")
        self._columns: dict[str, dict[str, str]] = {}
        for table, column, dtype in self.con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'main'"
        ).fetchall():
            self._columns.setdefault(table, {})[column] = dtype
        self._readable: dict[str, str | None] = {}
        self._json: dict[str, tuple[Any, str | None]] = {}
        self._sha: dict[Path, str] = {}
        self.record_files: list[str] = []
        self._load_records()
        self._load_assets()

    def close(self) -> None:
        self.con.close()

    # ---- the lakehouse -------------------------------------------------------------
    def columns(self, relation: str) -> dict[str, str] | None:
        return self._columns.get(relation)

    def relation_error(self, relation: str) -> str | None:
        """None when ``relation`` exists and can be read, else why not."""
        if not self.has_database:
            return f"no lakehouse file at {self.wh.database}"
        if relation not in self._columns:
            return f"relation {relation} does not exist"
        if relation not in self._readable:
            try:
                self.con.execute(f'select 1 from "{relation}" limit 1').fetchall()
                self._readable[relation] = None
            except duckdb.Error as exc:
                self._readable[relation] = f"relation {relation} cannot be read ({str(exc).splitlines()[0]})"
        return self._readable[relation]

    def missing(self, relations: dict[str, tuple[str, ...]] | None = None,
                files: tuple[str, ...] = ()) -> list[str]:
        """Why the given relations (with the given columns) and files cannot be used; empty
        when all are there."""
        reasons = []
        for relation, cols in (relations or {}).items():
            error = self.relation_error(relation)
            if error:
                reasons.append(error)
                continue
            have = self._columns[relation]
            reasons += [f"column {relation}.{c} does not exist" for c in cols if c not in have]
        for rel in files:
            path = self.exports / rel
            if not path.is_file():
                reasons.append(f"file exports/{rel} does not exist")
        return reasons

    def relation_rows(self, relation: str) -> int:
        return self.con.execute(f'select count(*) from "{relation}"').fetchone()[0]

    def df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return plain(self.con.execute(sql, params or []).df())

    # ---- the exports ---------------------------------------------------------------
    def _record_file_paths(self) -> list[str]:
        """The record files: the canonical ones at the top of exports/ and every JSON /
        JSONL file in a trainer profile's folder (other files are not records)."""
        found = [rel for rel in C.CANONICAL_FILES if (self.exports / rel).is_file()]
        for profile in C.PROFILE_DIRS:
            folder = self.exports / profile
            if folder.is_dir():
                found += sorted(f"{profile}/{p.name}" for p in folder.iterdir()
                                if p.is_file() and not p.name.startswith(".")
                                and p.suffix in (".json", ".jsonl")
                                and f"{profile}/{p.name}" not in C.NON_RECORD_FILES)
        return found

    @property
    def raw_records(self) -> Iterator[RawRecord]:
        """Every record of every record file, read again from the files one at a time
        (never all held in memory)."""
        for rel in self.record_files:
            yield from iter_record_file(self.exports / rel, rel)

    def _load_records(self, batch_rows: int = 20_000) -> None:
        """``x_records``: the record files' normalized rows, inserted batch by batch."""
        self.con.register("x_records_arrow", RECORDS_SCHEMA.empty_table())
        self.con.execute("create or replace temp table x_records as select * from x_records_arrow")
        self.con.unregister("x_records_arrow")
        self.record_files = self._record_file_paths()
        rows: list[dict[str, Any]] = []
        for raw in self.raw_records:
            rows.append(_normalize(raw))
            if len(rows) >= batch_rows:
                self._insert_records(rows)
                rows = []
        self._insert_records(rows)

    def _insert_records(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self.con.register("x_records_arrow", pa.Table.from_pylist(rows, schema=RECORDS_SCHEMA))
        self.con.execute("insert into x_records select * from x_records_arrow")
        self.con.unregister("x_records_arrow")

    def _load_assets(self) -> None:
        rows = []
        path = self.exports / C.ASSET_MANIFEST_FILE
        if path.is_file():
            for raw in read_record_file(path, C.ASSET_MANIFEST_FILE):
                rec = raw.record if isinstance(raw.record, dict) else {}
                rows.append({"line_no": raw.line_no, "parse_error": raw.parse_error,
                             **{k: (None if rec.get(k) is None else str(rec.get(k)))
                                for k in ("asset_id", "image", "asset_type", "source")}})
        self.con.register("x_assets_arrow", pa.Table.from_pylist(rows, schema=ASSETS_SCHEMA))
        self.con.execute("create or replace temp table x_assets as select * from x_assets_arrow")
        self.con.unregister("x_assets_arrow")

    def has_file(self, rel: str) -> bool:
        return (self.exports / rel).is_file()

    def json_file(self, rel: str) -> tuple[Any, str | None]:
        """(parsed JSON, None) or (None, why not) for a JSON document under exports/; a
        one-line JSONL object (DuckDB's COPY ... FORMAT json of one row) counts."""
        if rel not in self._json:
            path = self.exports / rel
            if not path.is_file():
                self._json[rel] = (None, f"file exports/{rel} does not exist")
            else:
                text = path.read_text(encoding="utf-8")
                try:
                    self._json[rel] = (json.loads(text), None)
                except json.JSONDecodeError as exc:
                    self._json[rel] = (None, f"file exports/{rel} is not JSON ({exc.msg})")
        return self._json[rel]

    def sha256(self, path: Path) -> str:
        if path not in self._sha:
            self._sha[path] = sha256_file(path)
        return self._sha[path]

    def registered_root(self, images_root: str) -> Path:
        return resolve_root(images_root)
