"""The image descriptions built incrementally by image (macros/incremental.sql,
keyed_incremental; int_description_inputs_hashed): after their inputs change, an
incremental dbt run gives exactly the rows of a full refresh, with real dbt on a copy of
the session build.

Each input the image's hash covers is changed for one image in the copy's tables (the
upstream models are not rebuilt): its spatial relations, the box that makes another
object the largest, a re-caption landed for it, and every counted object of one image
removed (it then has no description, and the incremental run must delete the row it
had). One row of an image nothing changed is marked beforehand: the incremental run must
keep it (it describes only what changed), the full refresh replaces it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakehouse.dbt import run_dbt
from lakehouse.settings import Warehouse
from tests.warehouses import scratch_copy

MODELS = ("int_description_inputs_hashed", "int_description_samples_derived")
MARK = "kept by the incremental run"
ANSWER = "A photo the model described in its own words."


def _rows(wh: Warehouse) -> dict[str, str]:
    """Each description's whole row written out, by its image."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        rows = con.execute("select source_asset_ids[1], * from int_description_samples_derived").fetchall()
    found = {row[0]: repr(row[1:]) for row in rows}
    assert len(found) == len(rows), "an image described twice"
    return found


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    row = con.execute(sql).fetchone()
    assert row is not None, f"the session build has no image for: {sql}"
    return row[0]


def _change_inputs(wh: Warehouse) -> dict[str, str]:
    """Change one input of each kind in the copy's tables; the images it chose."""
    described = "select source_asset_ids[1] as asset_id from int_description_samples_derived"
    with duckdb.connect(str(wh.database)) as con:
        related = _one(con, f"""
            select asset_id from ({described})
            where asset_id in (select asset_id from int_object_relations_computed)
            order by asset_id limit 1""")
        # an image with a second category whose box can be made the largest
        enlarged, annotation = con.execute(f"""
            select a.asset_id, min(a.annotation_id)
            from int_annotations_normalized as a
            inner join ({described}) as d on d.asset_id = a.asset_id
            where not a.is_crowd and a.asset_id <> '{related}'
              and a.category_name <> (
                  select l.category_name from int_annotations_normalized as l
                  where l.asset_id = a.asset_id and not l.is_crowd
                  order by l.bbox_w_px * l.bbox_h_px desc, l.annotation_id limit 1)
            group by a.asset_id order by a.asset_id limit 1""").fetchone()
        taken = f"('{related}', '{enlarged}')"
        recaptioned = _one(con, "select source_asset_ids[1] from int_description_samples_derived "
                                f"where model_answer_text is null and source_asset_ids[1] not in {taken} "
                                "order by 1 limit 1")
        taken = f"('{related}', '{enlarged}', '{recaptioned}')"
        gone = _one(con, f"select asset_id from ({described}) where asset_id not in {taken} "
                         "order by asset_id limit 1")
        taken = f"('{related}', '{enlarged}', '{recaptioned}', '{gone}')"
        kept = _one(con, f"select asset_id from ({described}) where asset_id not in {taken} "
                         "order by asset_id limit 1")
        con.execute(f"delete from int_object_relations_computed where asset_id = '{related}'")
        con.execute("update int_annotations_normalized set bbox_w_px = 100000, bbox_h_px = 100000 "
                    f"where annotation_id = '{annotation}'")
        con.execute("insert into int_model_answers_selected (stage, item_id, generation_request_hash, "
                    "generation_model, model_answer_text) "
                    f"values ('recaption', '{recaptioned}', 'request-1', 'a-model', '{ANSWER}')")
        con.execute(f"delete from int_image_objects_counted where asset_id = '{gone}'")
        con.execute(f"update int_description_samples_derived set sentence_plan_id = '{MARK}' "
                    f"where source_asset_ids[1] = '{kept}'")
    return {"related": related, "enlarged": enlarged, "recaptioned": recaptioned, "gone": gone, "kept": kept}


def test_incremental_descriptions_equal_a_full_refresh_after_their_inputs_change(built_warehouse: Warehouse,
                                                                                 tmp_path: Path) -> None:
    wh = scratch_copy(built_warehouse, tmp_path / "warehouse")
    # built by this code, whatever code built the session's lakehouse
    assert run_dbt(wh, ["run", "--quiet", "--select", *MODELS, "--full-refresh"]) == 0
    before = _rows(wh)
    chosen = _change_inputs(wh)

    assert run_dbt(wh, ["run", "--quiet", "--select", *MODELS]) == 0
    incremental = _rows(wh)
    assert run_dbt(wh, ["run", "--quiet", "--select", *MODELS, "--full-refresh"]) == 0
    full = _rows(wh)

    assert MARK in incremental[chosen["kept"]]  # described in the first build, not again
    assert MARK not in full[chosen["kept"]]
    assert {k: v for k, v in incremental.items() if k != chosen["kept"]} == \
        {k: v for k, v in full.items() if k != chosen["kept"]}
    assert chosen["gone"] in before and chosen["gone"] not in incremental
    for kind in ("related", "enlarged", "recaptioned"):  # every change reached the description
        assert full[chosen[kind]] != before[chosen[kind]], kind
    assert ANSWER in full[chosen["recaptioned"]]
    unchanged = set(before) - {chosen[k] for k in ("related", "enlarged", "recaptioned", "gone")}
    assert all(full[a] == before[a] for a in unchanged)
