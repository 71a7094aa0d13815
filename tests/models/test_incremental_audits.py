"""The per-sample audits built incrementally (macros/incremental.sql): after their inputs
change, an incremental dbt run gives exactly the rows of a full refresh, with real dbt on
a copy of the session build.

Each input an audit's ``inputs_hash`` covers is changed for one sample in the copy's
tables (the upstream models are not rebuilt): a sample's answer (every audit), an image's
annotations (the description statements), the objects an image holds (CHAIR mentions
and the object list),
a chart's visible text (the language audit of a Chinese answer quoting its title), one
sample removed, and one answer made to mention nothing (CHAIR then has no row for it). One row of a sample nothing changed is marked beforehand: the
incremental run must keep it (it audits only what changed), the full refresh replaces it.
The audits are first rebuilt in full on the copy, so that their hashes are this code's.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakehouse.dbt import run_dbt
from lakehouse.settings import Warehouse
from tests.warehouses import scratch_copy

MODELS = ("int_sample_language_checked", "int_sample_structure_checked",
          "int_description_statements_audited", "int_description_samples_audited",
          "int_sample_mentions_extracted")
MARK = "kept by the incremental run"


def _rows(wh: Warehouse) -> dict[str, list[tuple[str, str]]]:
    """Each model's rows as (sample_id, the whole row written out), sorted."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return {m: sorted((row[0], repr(row)) for row in con.execute(f"select * from {m}").fetchall())
                for m in MODELS}


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    row = con.execute(sql).fetchone()
    assert row is not None, f"the session build has no sample for: {sql}"
    return row[0]


def _change_inputs(wh: Warehouse) -> dict[str, str]:
    """Change one input of each kind in the copy's tables; the samples it chose."""
    english = ("from int_samples_templated where task_type = 'image_description' and language = 'en'"
               " and generation_method = 'template'")
    with duckdb.connect(str(wh.database)) as con:
        text = _one(con, f"select sample_id {english} order by sample_id limit 1")
        boxes = _one(con, f"select sample_id {english} and answer_text like '%to the left of%' "
                          f"and sample_id <> '{text}' order by sample_id limit 1")
        objects = _one(con, f"select sample_id {english} and sample_id not in ('{text}', '{boxes}') "
                            "and source_asset_ids[1] <> (select source_asset_ids[1] from int_samples_templated "
                            f"where sample_id = '{boxes}') order by sample_id limit 1")
        gone = _one(con, f"select sample_id {english} and sample_id not in ('{text}', '{boxes}', '{objects}') "
                         "order by sample_id limit 1")
        quoted = _one(con, """
            select l.sample_id from int_samples_templated as s
            inner join int_sample_language_checked as l on l.sample_id = s.sample_id
            where s.language = 'zh' and regexp_matches(s.answer_text, '「[^」]*[A-Za-z]')
              and len(l.failed_checks) = 0
            order by l.sample_id limit 1""")
        silent = _one(con, f"select sample_id {english} and sample_id not in "
                           f"('{text}', '{boxes}', '{objects}', '{gone}') order by sample_id limit 1")
        kept = _one(con, f"select sample_id {english} and sample_id not in "
                         f"('{text}', '{boxes}', '{objects}', '{gone}', '{silent}') order by sample_id limit 1")
        con.execute("update int_samples_templated set answer_text = 'There is 1 objects. The image shows "
                    f"1 giraffe.' where sample_id = '{text}'")
        con.execute(f"""update int_annotations_normalized
            set grid_xmin = 1000 - grid_xmax, grid_xmax = 1000 - grid_xmin
            where asset_id = (select source_asset_ids[1] from int_samples_templated where sample_id = '{boxes}')""")
        con.execute(f"""delete from int_image_objects_counted
            where asset_id = (select source_asset_ids[1] from int_samples_templated where sample_id = '{objects}')""")
        con.execute(f"""delete from int_asset_visible_texts where asset_id in
            (select unnest(source_asset_ids) from int_samples_templated where sample_id = '{quoted}')""")
        con.execute(f"delete from int_samples_templated where sample_id = '{gone}'")
        con.execute(f"update int_samples_templated set answer_text = 'It is a photo.' where sample_id = '{silent}'")
        con.execute(f"update int_sample_language_checked set failed_error_types = '{MARK}' "
                    f"where sample_id = '{kept}'")
    return {"text": text, "boxes": boxes, "objects": objects, "gone": gone, "silent": silent,
            "quoted": quoted, "kept": kept}


def _without(rows: dict[str, list[tuple[str, str]]], sample_id: str) -> dict[str, list[tuple[str, str]]]:
    return {m: [r for r in found if r[0] != sample_id] for m, found in rows.items()}


def test_incremental_audits_equal_a_full_refresh_after_their_inputs_change(built_warehouse: Warehouse,
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

    kept = [row for sample_id, row in incremental["int_sample_language_checked"] if sample_id == chosen["kept"]]
    assert len(kept) == 1 and MARK in kept[0]  # audited in the first build, not again
    assert not any(MARK in row for _, row in full["int_sample_language_checked"])
    assert _without(incremental, chosen["kept"]) == _without(full, chosen["kept"])
    for model in MODELS:  # every change reached the audits that read it, none was missed
        assert not any(r[0] == chosen["gone"] for r in full[model]), model
        assert set(full[model]) - set(before[model]), f"no change reached {model}"
    changed = {r[0] for m in MODELS for r in set(full[m]) ^ set(before[m])}
    assert {chosen[k] for k in ("text", "boxes", "objects", "gone", "silent", "quoted")} <= changed
    mentions = "int_sample_mentions_extracted"  # an answer that now mentions nothing: no row
    assert any(r[0] == chosen["silent"] for r in before[mentions])
    assert not any(r[0] == chosen["silent"] for r in incremental[mentions])

