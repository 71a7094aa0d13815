"""Issue 14's document targets on the lakehouse built from the shared data (the session's
``built_warehouse``): varied field keys, Chinese names for every derived key, totals that
add up on every landed invoice and receipt, lineage to a COCO parent."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from lakehouse.settings import Warehouse


def _sql(wh: Warehouse, query: str) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query).fetchall()


def test_document_questions_ask_many_keys_none_dominant(built_warehouse: Warehouse) -> None:
    rows = _sql(built_warehouse, """
        select lower(field_name), count(*) from samples
        where task_type = 'document_qa' group by 1 order by 2 desc""")
    total = sum(n for _, n in rows)
    assert total >= 150
    assert len(rows) >= 30, rows
    assert rows[0][1] / total <= 0.15, rows[:5]


def test_every_derived_key_asked_has_a_chinese_name(built_warehouse: Warehouse) -> None:
    unnamed = _sql(built_warehouse, """
        select distinct selected.field_name
        from int_document_fields_selected as selected
        inner join stg_documents__texts as texts on texts.asset_id = selected.asset_id
        where texts.source = 'derived_documents' and selected.field_name_zh is null""")
    assert unnamed == []
    asked = _sql(built_warehouse, """
        select count(distinct lower(selected.field_name))
        from int_document_fields_selected as selected
        inner join stg_documents__texts as texts on texts.asset_id = selected.asset_id
        where texts.source = 'derived_documents'""")
    assert asked[0][0] >= 30


def _money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


def test_landed_totals_add_up_and_documents_keep_their_parent(built_warehouse: Warehouse) -> None:
    fields = _sql(built_warehouse, """
        select texts.layout, fields.asset_id, fields.field_key, fields.field_value
        from stg_documents__fields as fields
        inner join stg_documents__texts as texts on texts.asset_id = fields.asset_id
        where texts.source = 'derived_documents' and texts.layout in ('invoice', 'receipt')""")
    by_doc: dict[tuple[str, str], dict[str, str]] = {}
    for layout, asset_id, key, value in fields:
        by_doc.setdefault((layout, asset_id), {})[key] = value
    layouts = {layout for layout, _ in by_doc}
    assert layouts == {"invoice", "receipt"}
    for (layout, _), f in by_doc.items():
        if layout == "invoice":
            assert _money(f["Subtotal"]) + _money(f["Tax"]) == _money(f["Total Due"])
        else:
            assert _money(f["Subtotal"]) + _money(f["Sales Tax"]) == _money(f["TOTAL"])
            assert _money(f["Cash"]) - _money(f["Change"]) == _money(f["TOTAL"])
    orphans = _sql(built_warehouse, """
        select count(*) from stg_documents__texts as texts
        where texts.source = 'derived_documents' and not exists (
            select 1 from stg_landing__asset_lineage as lineage
            inner join stg_landing__assets as parent on parent.asset_id = lineage.parent_asset_id
            where lineage.asset_id = texts.asset_id and parent.asset_type = 'general_image')""")
    assert orphans == [(0,)]


def test_p3_report_states_the_distinct_keys_asked(built_warehouse: Warehouse) -> None:
    md = (built_warehouse.exports / "p3_report.md").read_text(encoding="utf-8")
    assert "## Document field keys" in md
    keys = _sql(built_warehouse, """
        select count(distinct lower(field_name)) from samples where task_type = 'document_qa'""")
    assert f"{keys[0][0]} distinct field keys asked by" in md
