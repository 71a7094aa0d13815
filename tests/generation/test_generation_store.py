"""generation.store: explicit schemas, atomic batch files, resume look-ups."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow.parquet as pq

from generation.redact import Scrubber, Secret
from generation.store import (
    GENERATIONS,
    SCHEMAS,
    BatchWriter,
    ensure_generation_tables,
    landed_keys,
    ok_generations,
    read_landed,
    succeeded_hashes,
)
from lakehouse.tables.generation import GENERATIONS_SCHEMA


def _row(h: str, status: str, text: str | None = "hello", at: int = 0) -> dict:
    now = datetime(2025, 1, 1, 0, 0, at, tzinfo=UTC)
    return {
        "request_hash": h,
        "run_id": "r1",
        "batch_no": 1,
        "stage": "recaption",
        "item_id": "i",
        "sample_index": 0,
        "asset_ids": ["a"],
        "base_url": "http://x/v1",
        "model": "m",
        "temperature": 0.2,
        "top_p": 1.0,
        "max_tokens": 10,
        "template_id": "t",
        "template_hash": "th",
        "inputs_hash": "ih",
        "response_text": text,
        "attempts": 1,
        "status": status,
        "requested_at": now,
        "completed_at": now,
    }


def test_batches_land_atomically_with_the_declared_schema(wh) -> None:
    ensure_generation_tables(wh)
    w = BatchWriter(wh, GENERATIONS, "20250101T000000Z-abcd1234", Scrubber())
    p1 = w.write([_row("h1", "ok"), _row("h2", "timeout", None)])
    p2 = w.write([_row("h3", "ok")])
    assert w.write([]) is None
    assert [p.name for p in (p1, p2)] == [
        "20250101T000000Z-abcd1234-00001.parquet",
        "20250101T000000Z-abcd1234-00002.parquet",
    ]
    assert pq.read_schema(p1).equals(GENERATIONS_SCHEMA, check_metadata=False)
    folder = wh.landing / GENERATIONS
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".tmp") == []
    for name, schema in SCHEMAS.items():
        assert pq.read_schema(wh.landing / name / "_schema.parquet").equals(
            schema, check_metadata=False
        )
    # dbt-style read of the whole folder, schema file included
    with duckdb.connect() as con:
        n = con.execute(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchone()[0]
        ts = con.execute(
            f"select typeof(completed_at) from read_parquet('{folder}/*.parquet') limit 1"
        ).fetchone()[0]
    assert n == 3 and ts == "TIMESTAMP WITH TIME ZONE"


def test_resume_lookups(wh) -> None:
    w = BatchWriter(wh, GENERATIONS, "r1", Scrubber())
    w.write([_row("h1", "timeout", None, 0), _row("h2", "ok", "first", 1)])
    w.write([_row("h1", "ok", "retried", 2), _row("h3", "http_error", None, 3)])
    assert succeeded_hashes(wh) == {"h1", "h2"}
    got = ok_generations(wh, ["h1", "h2", "h3"])
    assert {h: r["response_text"] for h, r in got.items()} == {"h1": "retried", "h2": "first"}
    assert landed_keys(wh, GENERATIONS, ["request_hash", "status"]) >= {
        ("h1", "ok"),
        ("h1", "timeout"),
    }
    assert read_landed(wh, "judgements").num_rows == 0


def test_every_string_is_scrubbed(wh) -> None:
    key = "sk-test-0123456789abcdef"
    w = BatchWriter(wh, GENERATIONS, "r1", Scrubber(Secret(key)))
    w.write([{**_row("h1", "ok", f"echo {key}"), "error": f"x {key}", "asset_ids": [key]}])
    assert key.encode() not in w.files[0].read_bytes()
    row = read_landed(wh, GENERATIONS).to_pylist()[0]
    assert row["response_text"] == "echo [REDACTED]" and row["asset_ids"] == ["[REDACTED]"]


def test_a_later_run_never_replaces_an_earlier_ones_rows(wh) -> None:
    """Generation landings add files and replace none, so the shrink guard of the other
    landings (lakehouse.commit) has nothing to guard here: a second run, even of one
    failed call, leaves every row of the first."""
    first = BatchWriter(wh, GENERATIONS, "20250101T000000Z-aaaa0000", Scrubber())
    first.write([_row("h1", "ok"), _row("h2", "ok")])
    before = {p.name: p.read_bytes() for p in (wh.landing / GENERATIONS).glob("*.parquet")}
    second = BatchWriter(wh, GENERATIONS, "20250102T000000Z-bbbb1111", Scrubber())
    second.write([_row("h1", "timeout", None)])
    after = {p.name: p.read_bytes() for p in (wh.landing / GENERATIONS).glob("*.parquet")}
    assert {k: v for k, v in after.items() if k in before} == before
    assert read_landed(wh, GENERATIONS).num_rows == 3
    assert succeeded_hashes(wh) == {"h1", "h2"}
