"""Which images the OCR stage reads: every document and real chart, a sample per kind of the
charts mmfactory drew; checked on the rule and on the real session build."""

from __future__ import annotations

import hashlib
import random

import duckdb
import pytest

from ingest.ocr_policy import BEYOND_KIND_SAMPLE, DEFAULT_DRAWN_CHARTS_PER_KIND, plan_reads


def _candidates() -> tuple[list[dict], dict[str, str | None]]:
    """5 documents, 2 real charts, drawn charts: 12 bar, 3 pie, 4 of unknown kind."""
    rows = [{"asset_id": f"doc{i}", "asset_type": "document_image"} for i in range(5)]
    rows += [{"asset_id": f"real{i}", "asset_type": "chart_image"} for i in range(2)]
    drawn: dict[str, str | None] = {}
    for kind, n in (("bar", 12), ("pie", 3), (None, 4)):
        for i in range(n):
            aid = f"{kind}{i}"
            rows.append({"asset_id": aid, "asset_type": "chart_image"})
            drawn[aid] = kind
    return rows, drawn


def _rank(aid: str) -> str:
    return hashlib.sha256(aid.encode()).hexdigest()


def test_documents_and_real_charts_are_always_read_drawn_charts_by_kind() -> None:
    rows, drawn = _candidates()
    plan = plan_reads(rows, drawn, per_kind=2)
    read = {r["asset_id"] for r in plan.read}
    assert {f"doc{i}" for i in range(5)} | {"real0", "real1"} <= read
    for kind in ("bar", "pie", None):
        ids = sorted((a for a, k in drawn.items() if k == kind), key=_rank)
        assert set(ids[:2]) <= read and not set(ids[2:]) & read
    assert len(read) == 5 + 2 + 3 * 2
    assert set(plan.unread) == {r["asset_id"] for r in rows} - read
    assert set(plan.unread.values()) == {BEYOND_KIND_SAMPLE}
    assert plan.summary() == f"{len(rows) - len(read)} unread ({BEYOND_KIND_SAMPLE})"
    # the read rows keep the order they came in
    assert [r["asset_id"] for r in plan.read] == [r["asset_id"] for r in rows if r["asset_id"] in read]


def test_the_choice_does_not_depend_on_the_order_rows_come_in() -> None:
    rows, drawn = _candidates()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    first = {r["asset_id"] for r in plan_reads(rows, drawn, per_kind=3).read}
    assert {r["asset_id"] for r in plan_reads(shuffled, drawn, per_kind=3).read} == first


def test_none_reads_every_chart_and_zero_reads_no_drawn_chart() -> None:
    rows, drawn = _candidates()
    every = plan_reads(rows, drawn, per_kind=None)
    assert len(every.read) == len(rows) and not every.unread
    assert every.summary() == "every document and chart image read"
    none = plan_reads(rows, drawn, per_kind=0)
    assert {r["asset_id"] for r in none.read} == {f"doc{i}" for i in range(5)} | {"real0", "real1"}
    with pytest.raises(ValueError, match="per_kind must be >= 0"):
        plan_reads(rows, drawn, per_kind=-1)


def test_the_built_lakehouse_read_every_document_every_real_chart_and_a_sample_per_kind(
        built_warehouse) -> None:
    """The real `mmfactory build` on COCO128, FUNSD, SROIE and ChartQA: the OCR rows are
    exactly what the rule asks for."""
    landing = built_warehouse.landing
    con = duckdb.connect()
    con.execute(f"""
        create view assets as select * from read_parquet('{landing}/assets/*.parquet', union_by_name = true);
        create view lineage as select distinct asset_id from read_parquet('{landing}/asset_lineage/*.parquet');
        create view charts as select asset_id, chart_type from read_parquet('{landing}/charts/*.parquet', union_by_name = true);
        create view usability as select asset_id from read_parquet('{landing}/ocr_usability/*.parquet', union_by_name = true);
    """)
    unread_documents = con.execute("""
        select count(*) from assets where asset_type = 'document_image'
        and asset_id not in (select asset_id from usability)""").fetchone()[0]
    assert unread_documents == 0
    unread_real_charts = con.execute("""
        select count(*) from assets where asset_type = 'chart_image'
        and asset_id not in (select asset_id from lineage)
        and asset_id not in (select asset_id from usability)""").fetchone()[0]
    assert unread_real_charts == 0
    drawn = con.execute("""
        select a.asset_id, coalesce(c.chart_type, 'unknown'), a.asset_id in (select asset_id from usability)
        from assets a join lineage using (asset_id) left join charts c using (asset_id)
        where a.asset_type = 'chart_image'""").fetchall()
    kinds = {k for _, k, _ in drawn}
    assert len(kinds) >= 3 and len(drawn) > DEFAULT_DRAWN_CHARTS_PER_KIND * len(kinds)
    for kind in kinds:
        ranked = sorted((a for a, k, _ in drawn if k == kind), key=_rank)
        read = {a for a, k, was_read in drawn if k == kind and was_read}
        assert read == set(ranked[:DEFAULT_DRAWN_CHARTS_PER_KIND]), kind
