"""Which images the OCR stage reads: every real document and chart, a sample per layout of
the documents and per kind of the charts mmfactory drew; checked on the rule, and on the
real session build together with what the models make of the pages left unread."""

from __future__ import annotations

import hashlib
import random

import duckdb
import pytest

from ingest.ocr_policy import (
    BEYOND_KIND_SAMPLE,
    BEYOND_LAYOUT_SAMPLE,
    DEFAULT_DRAWN_CHARTS_PER_KIND,
    DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
    plan_reads,
)


def _drawn(asset_type: str, counts: dict[str | None, int], suffix: str = ""
           ) -> tuple[list[dict], dict[str, str | None]]:
    """Candidate rows of images mmfactory drew, ``counts[kind]`` of each kind, and their kinds."""
    rows: list[dict] = []
    drawn: dict[str, str | None] = {}
    for kind, n in counts.items():
        for i in range(n):
            aid = f"{kind}{suffix}{i}"
            rows.append({"asset_id": aid, "asset_type": asset_type})
            drawn[aid] = kind
    return rows, drawn


def _candidates() -> tuple[list[dict], dict[str, str | None]]:
    """5 documents, 2 real charts, drawn charts: 12 bar, 3 pie, 4 of unknown kind."""
    rows = [{"asset_id": f"doc{i}", "asset_type": "document_image"} for i in range(5)]
    rows += [{"asset_id": f"real{i}", "asset_type": "chart_image"} for i in range(2)]
    drawn_rows, drawn = _drawn("chart_image", {"bar": 12, "pie": 3, None: 4})
    return rows + drawn_rows, drawn


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


def _drawn_documents() -> tuple[list[dict], dict[str, str | None]]:
    """3 real documents, drawn documents: 7 invoices, 2 receipts, 3 of unknown layout."""
    rows = [{"asset_id": f"form{i}", "asset_type": "document_image"} for i in range(3)]
    drawn_rows, drawn = _drawn("document_image", {"invoice": 7, "receipt": 2, None: 3}, "-page")
    return rows + drawn_rows, drawn


def test_real_documents_are_always_read_drawn_ones_by_layout() -> None:
    charts, drawn_charts = _candidates()
    documents, drawn_documents = _drawn_documents()
    plan = plan_reads(charts + documents, drawn_charts, 2, drawn_documents, per_layout=2)
    read = {r["asset_id"] for r in plan.read}
    assert {"form0", "form1", "form2"} <= read
    for layout in ("invoice", "receipt", None):
        ids = sorted((a for a, k in drawn_documents.items() if k == layout), key=_rank)
        assert set(ids[:2]) <= read and not set(ids[2:]) & read
        assert {plan.unread[a] for a in ids[2:]} <= {BEYOND_LAYOUT_SAMPLE}
    # a drawn chart's sample and a drawn document's are counted apart
    assert sum(r == BEYOND_LAYOUT_SAMPLE for r in plan.unread.values()) == (7 - 2) + 0 + (3 - 2)
    charts_unread = sum(r == BEYOND_KIND_SAMPLE for r in plan.unread.values())
    assert plan.summary() == (f"{charts_unread} unread ({BEYOND_KIND_SAMPLE}), "
                              f"6 unread ({BEYOND_LAYOUT_SAMPLE})")
    every = plan_reads(documents, {}, drawn_documents=drawn_documents, per_layout=None)
    assert len(every.read) == len(documents)
    none = plan_reads(documents, {}, drawn_documents=drawn_documents, per_layout=0)
    assert {r["asset_id"] for r in none.read} == {"form0", "form1", "form2"}
    with pytest.raises(ValueError, match="per_layout must be >= 0"):
        plan_reads(documents, {}, drawn_documents=drawn_documents, per_layout=-1)


def test_none_reads_every_chart_and_zero_reads_no_drawn_chart() -> None:
    rows, drawn = _candidates()
    every = plan_reads(rows, drawn, per_kind=None)
    assert len(every.read) == len(rows) and not every.unread
    assert every.summary() == "every document and chart image read"
    none = plan_reads(rows, drawn, per_kind=0)
    assert {r["asset_id"] for r in none.read} == {f"doc{i}" for i in range(5)} | {"real0", "real1"}
    with pytest.raises(ValueError, match="per_kind must be >= 0"):
        plan_reads(rows, drawn, per_kind=-1)


def test_the_built_lakehouse_read_every_real_page_and_a_sample_per_layout_and_kind(
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
    con.execute(f"""create view layouts as select asset_id, layout
        from read_parquet('{landing}/document_texts/*.parquet', union_by_name = true)""")
    for asset_type, kinds_view, column, per_kind, least_kinds in (
            ("document_image", "layouts", "layout", DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT, 4),
            ("chart_image", "charts", "chart_type", DEFAULT_DRAWN_CHARTS_PER_KIND, 3)):
        unread_real = con.execute(f"""
            select count(*) from assets where asset_type = '{asset_type}'
            and asset_id not in (select asset_id from lineage)
            and asset_id not in (select asset_id from usability)""").fetchone()[0]
        assert unread_real == 0, asset_type
        drawn = con.execute(f"""
            select a.asset_id, coalesce(k.{column}, 'unknown'),
                   a.asset_id in (select asset_id from usability)
            from assets a join lineage using (asset_id) left join {kinds_view} k using (asset_id)
            where a.asset_type = '{asset_type}'""").fetchall()
        kinds = {k for _, k, _ in drawn}
        assert len(kinds) >= least_kinds and len(drawn) > per_kind * len(kinds), asset_type
        for kind in kinds:
            ranked = sorted((a for a, k, _ in drawn if k == kind), key=_rank)
            read = {a for a, k, was_read in drawn if k == kind and was_read}
            assert read == set(ranked[:per_kind]), kind


def test_an_unread_drawn_page_takes_its_layouts_verdict_and_its_printed_text(
        built_warehouse) -> None:
    """In the built lakehouse: every drawn document left unread has its layout sample's
    lowest recall and verdict, and the lines it printed as its OCR text; every page that was
    read keeps its own."""
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        resolved = con.execute("""
            select u.asset_id, t.layout, u.usability_basis, u.char_recall, u.is_ocr_usable,
                   u.layout_read_count, x.text_basis
            from int_ocr_usability_resolved u
            left join stg_documents__texts t using (asset_id)
            left join int_ocr_texts_assembled x using (asset_id)""").fetchall()
        reads = con.execute("""
            select asset_id, char_recall, is_ocr_usable from stg_ocr__usability""").fetchall()
        printed = dict(con.execute("""
            select asset_id, string_agg(text, ' ' order by line_index)
            from stg_documents__lines group by asset_id""").fetchall())
        texts = dict(con.execute(
            "select asset_id, ocr_text from int_ocr_texts_assembled").fetchall())
    own = {a: (r, u) for a, r, u in reads}
    sampled = [row for row in resolved if row[2] == "layout_sample"]
    assert sampled and {row[0] for row in sampled}.isdisjoint(own)
    for asset_id, layout, _, recall, usable, count, text_basis in sampled:
        layout_reads = [own[a] for a, k, basis, *_ in resolved if k == layout and basis == "read"]
        assert count == len(layout_reads) == DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT
        assert recall == min(r for r, _ in layout_reads)
        assert usable == all(u for _, u in layout_reads)
        assert text_basis == "printed" and texts[asset_id] == printed[asset_id]
    for asset_id, _, basis, recall, usable, count, text_basis in resolved:
        if basis == "read":
            assert (recall, usable) == own[asset_id] and count is None
