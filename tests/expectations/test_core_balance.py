"""asset_type_coverage and task_type_coverage judge balance over the balanced core
(manifest assets that are pool members, the records made of them) and report the photos
beyond it: a corpus of many more photos than documents passes honestly, an unbalanced
core still fails."""

from __future__ import annotations

import hashlib

import duckdb

from expectations.runner import run_checks
from tests.expectations import corrupt

CHECK = "asset_type_coverage"


def test_photos_beyond_the_core_are_reported_not_counted(fresh_copy) -> None:
    def add_photos(records):
        photo = next(r for r in records if r["asset_type"] == "general_image")
        extra = [{**photo, "asset_id": hashlib.sha256(f"extra {i}".encode()).hexdigest(),
                  "image": f"coco128/extra/{i}.jpg"} for i in range(1000)]
        return records + extra

    corrupt.edit_jsonl(fresh_copy, "asset_manifest.jsonl", add_photos)
    result = run_checks(fresh_copy, only=[CHECK]).by_name()[CHECK]
    assert result.success, result.observed
    assert "beyond the core: 1,000 general_image" in result.observed


def test_an_unbalanced_core_fails(fresh_copy) -> None:
    def drop_documents(records):
        kept, docs = [], 0
        for r in records:
            if r["asset_type"] == "document_image":
                docs += 1
                if docs > 10:
                    continue
            kept.append(r)
        return kept

    corrupt.edit_jsonl(fresh_copy, "asset_manifest.jsonl", drop_documents)
    result = run_checks(fresh_copy, only=[CHECK]).by_name()[CHECK]
    assert not result.success
    assert any("share" in str(p) for p in result.problems()), result.problems()


def _move_out_of_the_pool(wh, asset_ids: set[str]) -> None:
    """The pool relation without ``asset_ids``, as if those assets were photos beyond it."""
    with duckdb.connect(str(wh.database)) as con:
        kind = con.execute("select table_type from information_schema.tables "
                           "where table_name = 'stg_landing__asset_pool'").fetchone()[0]
        con.execute("create table pool_kept as select * from stg_landing__asset_pool "
                    "where not list_contains(?, asset_id)", [sorted(asset_ids)])
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} stg_landing__asset_pool")
        con.execute("alter table pool_kept rename to stg_landing__asset_pool")


def test_records_beyond_the_core_are_reported_not_counted_in_the_task_shares(fresh_copy) -> None:
    task = "task_type_coverage"
    largest = corrupt.skewed_task_mix(fresh_copy)  # one task type far above the 40% cap
    skewed = run_checks(fresh_copy, only=[task]).by_name()[task]
    assert not skewed.success

    # the same records, but the skew made of assets beyond the pool: reported, not counted
    attrs = corrupt.attributes(fresh_copy)
    kept = {r["id"] for r in corrupt.read_jsonl(fresh_copy.exports / corrupt.FINAL)}
    with duckdb.connect(str(fresh_copy.database), read_only=True) as con:
        assets = dict(con.execute("select sample_id, source_asset_ids from samples").fetchall())
    beyond = {a for i in kept if attrs[i]["task_type"] == largest and not attrs[i]["is_smoke"]
              for a in assets[i]}
    _move_out_of_the_pool(fresh_copy, beyond)
    moved = sum(1 for i in kept if set(assets[i]) & beyond and attrs[i]["task_type"] == largest)
    result = run_checks(fresh_copy, only=[task]).by_name()[task]
    assert result.success, result.observed
    assert f"beyond the core: {moved:,} {largest}" in result.observed
