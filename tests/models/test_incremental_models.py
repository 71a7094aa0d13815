"""The models built incrementally (macros/incremental.sql): after their inputs change, an
incremental dbt run gives exactly the rows of a full refresh, with real dbt on one copy of
the session build (the models are first rebuilt in full on it, so that their hashes are
this code's; the upstream models are never rebuilt).

The per-sample audits: each input an audit's ``inputs_hash`` covers is changed for one
sample in the copy's tables: a sample's answer (every audit), an image's annotations (the
description statements), the objects an image holds (CHAIR mentions and the object list),
a chart's visible text (the language audit of a Chinese answer quoting its title), one
sample removed, and one answer made to mention nothing (CHAIR then has no row for it). The
grounding audit's samples change with the boxes of their images (below).

The image descriptions (keyed_incremental by image, int_description_inputs_hashed), on
images none of those samples shows: an image's boxes mirrored (its spatial relations,
built by image from its boxes, swap left and right), the box that makes
another object the largest, a re-caption landed for a third, and every counted object of
a fourth removed (it then has no description, and the incremental run must delete the row
it had).

The models built from an image's boxes (keyed_incremental by image,
int_image_boxes_hashed: the grounding referents, the salient objects' relations, the
grounding and counting samples), on images none of those touch: an image's boxes
mirrored left to right (its leftmost referent becomes the rightmost), one category's
boxes taken out of a second image (its counting question goes), and every box of a third
removed.

The trainer-profile and canonical record models (keyed_incremental by sample,
record_input_digests), on samples whose images none of the above touches: a sample's
conversation, a grounding sample's source box, a grounding sample left out of the LLaVA
profile (profile_boxes), and one sample removed from samples.

The templated samples (keyed_incremental by task sample, int_sample_inputs_hashed), the
samples mart and the release samples (by sample: int_samples_split,
release_sample_digests) and the packed records (by image, packed_record_digests), run on
their own after the others, on images none of the above touches: a counting sample's
count, a model answer landed for an English description (it then has a template twin), a
grounding sample removed from its task model, a sample made unshippable, an image moved to
val (its packed records must follow), an image's license withdrawn in every release
profile and a grounding sample's source box halved (profile_boxes, by sample).

In each, one row nothing changed is marked beforehand: the incremental run must keep it
(it builds only what changed), the full refresh replaces it.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from lakehouse.dbt import run_dbt
from lakehouse.settings import Warehouse
from tests.warehouses import scratch_copy

AUDITS = ("int_sample_language_checked", "int_sample_structure_checked",
          "int_description_statements_audited", "int_description_samples_audited",
          "int_sample_mentions_extracted", "int_grounding_samples_audited")
DESCRIPTIONS = ("int_description_inputs_hashed", "int_description_samples_derived")
BOXES = {  # model: (its rows' key, the image a row is of)
    "int_grounding_referents_ranked": ("annotation_id", "asset_id"),
    "int_object_relations_computed": ("asset_id || ':' || subject_category_name || ':' || object_category_name",
                                      "asset_id"),
    "int_grounding_samples_derived": ("sample_key", "source_asset_ids[1]"),
    "int_counting_samples_derived": ("sample_key", "source_asset_ids[1]"),
}
BOX_IMAGES = ("mirrored", "dropped", "gone", "kept")
"""What _change_box_inputs chose that is an image (it also names a sample and a question)."""
RECORDS = ("training_records", "llamafactory_records", "llava_records", "qwen2vl_records", "qwen25vl_records",
           "qwen3vl_records", "internvl_records", "swift_records", "llamafactory_qwen25vl_records")
TEMPLATED = ("int_sample_inputs_hashed", "int_samples_templated", "int_samples_split", "samples",
             "release_sample_digests", "release_samples", "packed_record_digests", "packed_records",
             "profile_boxes")
TEMPLATED_ROWS = {"int_samples_templated": "sample_id", "int_samples_split": "sample_id", "samples": "sample_id",
                  "release_samples": "sample_id", "packed_records": "image[1]", "profile_boxes": "sample_id"}
"""The models of TEMPLATED whose rows are compared, by sample (release_samples and
profile_boxes: a sample's rows in every profile together) or by image (packed_records: an
image's records)."""
MARK = "kept by the incremental run"
ANSWER = "A photo the model described in its own words."


def _audit_rows(wh: Warehouse) -> dict[str, list[tuple[str, str]]]:
    """Each audit's rows as (sample_id, the whole row written out), sorted."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return {m: sorted((row[0], repr(row)) for row in con.execute(f"select * from {m}").fetchall())
                for m in AUDITS}


def _description_rows(wh: Warehouse) -> dict[str, str]:
    """Each description's whole row written out, by its image."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        rows = con.execute("select source_asset_ids[1], * from int_description_samples_derived").fetchall()
    found = {row[0]: repr(row[1:]) for row in rows}
    assert len(found) == len(rows), "an image described twice"
    return found


def _record_rows(wh: Warehouse) -> dict[str, dict[str, tuple[str, str]]]:
    """Each record model's rows by record id: (the record written out, its inputs_hash)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    with duckdb.connect(str(wh.database), read_only=True) as con:
        for model in RECORDS:
            rows = con.execute(f"select id, inputs_hash, * exclude (inputs_hash) from {model}").fetchall()
            found[model] = {row[0]: (repr(row[2:]), row[1]) for row in rows}
            assert len(found[model]) == len(rows), f"a sample with two records in {model}"
    return found


def _box_rows(wh: Warehouse) -> dict[str, dict[str, tuple[str, str]]]:
    """Each per-image box model's rows by key: (its image, the whole row written out)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    with duckdb.connect(str(wh.database), read_only=True) as con:
        for model, (key, image) in BOXES.items():
            rows = con.execute(f"select {key}, {image}, * from {model}").fetchall()
            found[model] = {row[0]: (row[1], repr(row[2:])) for row in rows}
            assert len(found[model]) == len(rows), f"a {key} twice in {model}"
    return found


def _templated_rows(wh: Warehouse) -> dict[str, dict[str, str]]:
    """The rows of TEMPLATED_ROWS' models by their key, written out whole."""
    found: dict[str, dict[str, str]] = {}
    with duckdb.connect(str(wh.database), read_only=True) as con:
        for model, key in TEMPLATED_ROWS.items():
            rows = con.execute(f"select {key}, * from {model} order by all").fetchall()
            found[model] = {}
            for row in rows:
                found[model][row[0]] = found[model].get(row[0], "") + repr(row[1:])
            if model in ("int_samples_templated", "int_samples_split", "samples"):
                assert len(found[model]) == len(rows), f"a sample twice in {model}"
    return found


def _rows(wh: Warehouse) -> dict[str, Any]:
    return {"audits": _audit_rows(wh), "descriptions": _description_rows(wh), "boxes": _box_rows(wh),
            "records": _record_rows(wh)}


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    row = con.execute(sql).fetchone()
    assert row is not None, f"the session build has nothing for: {sql}"
    return row[0]


def _change_audit_inputs(wh: Warehouse) -> dict[str, str]:
    """Change one input of each kind of the audits in the copy's tables; the samples it
    chose."""
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


def _images_of(wh: Warehouse, samples: list[str]) -> list[str]:
    """The images ``samples`` show (their rows in int_samples_templated)."""
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return [r[0] for r in con.execute("select distinct unnest(source_asset_ids) from int_samples_templated "
                                          "where sample_id in (select unnest(?::varchar[]))", [samples]).fetchall()]


def _change_description_inputs(wh: Warehouse, samples: list[str]) -> dict[str, str]:
    """Change one input of each kind of the descriptions in the copy's tables, on images
    none of ``samples`` (the audits' choice) shows; the images it chose."""
    images = _images_of(wh, samples)
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create temp table audited_images as select unnest(?::varchar[]) as asset_id", [images])
        described = ("select source_asset_ids[1] as asset_id from int_description_samples_derived "
                     "where source_asset_ids[1] not in (select asset_id from audited_images)")
        related = _one(con, f"""
            select asset_id from ({described})
            where asset_id in (select asset_id from int_object_relations_computed
                               where list_has_any(relations, ['left of', 'right of']))
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
                                "and source_asset_ids[1] not in (select asset_id from audited_images) "
                                "order by 1 limit 1")
        taken = f"('{related}', '{enlarged}', '{recaptioned}')"
        gone = _one(con, f"select asset_id from ({described}) where asset_id not in {taken} "
                         "order by asset_id limit 1")
        taken = f"('{related}', '{enlarged}', '{recaptioned}', '{gone}')"
        kept = _one(con, f"select asset_id from ({described}) where asset_id not in {taken} "
                         "order by asset_id limit 1")
        con.execute("update int_annotations_normalized set grid_xmin = 1000 - grid_xmax, grid_xmax = 1000 - grid_xmin "
                    f"where asset_id = '{related}'")  # its objects' left and right swap
        con.execute("update int_annotations_normalized set bbox_w_px = 100000, bbox_h_px = 100000 "
                    f"where annotation_id = '{annotation}'")
        con.execute("insert into int_model_answers_selected (stage, item_id, generation_request_hash, "
                    "generation_model, model_answer_text) "
                    f"values ('recaption', '{recaptioned}', 'request-1', 'a-model', '{ANSWER}')")
        con.execute(f"delete from int_image_objects_counted where asset_id = '{gone}'")
        con.execute(f"update int_description_samples_derived set sentence_plan_id = '{MARK}' "
                    f"where source_asset_ids[1] = '{kept}'")
    return {"related": related, "enlarged": enlarged, "recaptioned": recaptioned, "gone": gone, "kept": kept}


def _change_box_inputs(wh: Warehouse, images: list[str]) -> dict[str, str]:
    """Change the boxes of images none of ``images`` is, in the copy's tables (the counted
    objects kept in step, as int_image_objects_counted would count them); the images it
    chose."""
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create temp table touched as select unnest(?::varchar[]) as asset_id", [images])
        free = "source_asset_ids[1] not in (select asset_id from touched)"
        grounded = f"from int_grounding_samples_derived where {free}"
        mirrored, leftmost = con.execute(f"select source_asset_ids[1], sample_key {grounded} "
                                         "and referent_kind = 'leftmost' order by 1, 2 limit 1").fetchone()
        # an image with rows in every box model: counting samples and salient objects' relations
        in_every_model = ("source_asset_ids[1] in (select source_asset_ids[1] from int_counting_samples_derived) "
                          "and source_asset_ids[1] in (select asset_id from int_object_relations_computed)")
        gone = _one(con, f"select source_asset_ids[1] {grounded} and source_asset_ids[1] <> '{mirrored}' "
                         f"and {in_every_model} order by 1 limit 1")
        taken = f"('{mirrored}', '{gone}')"
        dropped, category = con.execute(f"""
            select source_asset_ids[1], category_id from int_counting_samples_derived
            where {free} and source_asset_ids[1] not in {taken} order by 1, 2 limit 1""").fetchone()
        taken = f"('{mirrored}', '{gone}', '{dropped}')"
        kept = _one(con, f"select source_asset_ids[1] {grounded} and source_asset_ids[1] not in {taken} "
                         f"and {in_every_model} order by 1 limit 1")
        con.execute("update int_annotations_normalized set grid_xmin = 1000 - grid_xmax, grid_xmax = 1000 - grid_xmin "
                    f"where asset_id = '{mirrored}'")
        con.execute(f"delete from int_annotations_normalized where asset_id = '{dropped}' and category_id = ?",
                    [category])
        con.execute(f"delete from int_image_objects_counted where asset_id = '{dropped}' and category_id = ?",
                    [category])
        con.execute(f"delete from int_annotations_normalized where asset_id = '{gone}'")
        con.execute(f"delete from int_image_objects_counted where asset_id = '{gone}'")
        con.execute(f"update int_grounding_referents_ranked set category_name = '{MARK}' where asset_id = '{kept}'")
        con.execute(f"update int_object_relations_computed set object_referent = '{MARK}' where asset_id = '{kept}'")
        for model in ("int_grounding_samples_derived", "int_counting_samples_derived"):
            con.execute(f"update {model} set question_kind = '{MARK}' where source_asset_ids[1] = '{kept}'")
    return {"mirrored": mirrored, "leftmost": leftmost, "dropped": dropped, "question": f"{dropped}:count:{category}",
            "gone": gone, "kept": kept}


def _change_record_inputs(wh: Warehouse, images: list[str]) -> dict[str, str]:
    """Change one input of each kind of the record models in the copy's tables, on samples
    that show none of ``images`` (those the other changes chose or touched); the samples it
    chose."""
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create temp table touched as select unnest(?::varchar[]) as asset_id", [images])
        free = ("from samples where not list_has_any(source_asset_ids, (select list(asset_id) from touched))"
                " and len(source_asset_ids) = 1")
        grounding = f"{free} and task_type = 'region_grounding'"
        talked = _one(con, f"select sample_id {free} and task_type = 'counting_visual_qa' order by sample_id limit 1")
        moved = _one(con, f"select sample_id {grounding} order by sample_id limit 1")
        left_out = _one(con, f"""select sample_id {grounding} and sample_id <> '{moved}' and sample_id in
            (select sample_id from llava_records where id = sample_id) order by sample_id limit 1""")
        gone = _one(con, f"select sample_id {free} and sample_id not in ('{talked}', '{moved}', '{left_out}') "
                         "order by sample_id limit 1")
        kept = _one(con, f"select sample_id {free} and sample_id not in ('{talked}', '{moved}', '{left_out}', "
                         f"'{gone}') and sample_id in (select id from llava_records) order by sample_id limit 1")
        con.execute("update samples set conversations = list_transform(conversations, lambda t: "
                    f"{{'from': t.\"from\", 'value': t.value || ' (changed)'}}) where sample_id = '{talked}'")
        con.execute("update int_annotations_normalized set bbox_x_px = bbox_x_px / 2 "
                    f"where annotation_id = (select annotation_id from samples where sample_id = '{moved}')")
        con.execute("update profile_boxes set is_kept = false, exclusion_reason = 'left out by the test' "
                    f"where sample_id = '{left_out}' and export_profile = 'llava'")
        con.execute(f"delete from samples where sample_id = '{gone}'")
        con.execute(f"update llava_records set image = '{MARK}' where id = '{kept}'")
    return {"talked": talked, "moved": moved, "left_out": left_out, "gone": gone, "kept": kept}


def _change_templated_inputs(wh: Warehouse, images: list[str]) -> dict[str, str]:
    """Change one input of each kind of the templated samples and the samples mart in the
    copy's tables, on samples that show none of ``images``; the samples it chose."""
    with duckdb.connect(str(wh.database)) as con:
        con.execute("create temp table touched as select unnest(?::varchar[]) as asset_id", [images])
        free = ("from samples where not list_has_any(source_asset_ids, (select list(asset_id) from touched))"
                " and len(source_asset_ids) = 1")
        counted = _one(con, f"select sample_id {free} and task_type = 'counting_visual_qa' order by sample_id limit 1")
        answered = _one(con, f"""select sample_id {free} and task_type = 'image_description' and language = 'en'
            and source_asset_ids[1] not in (select source_asset_ids[1] from samples where sample_id = '{counted}')
            order by sample_id limit 1""")
        gone = _one(con, f"select sample_id {free} and task_type = 'region_grounding' order by sample_id limit 1")
        taken = f"('{counted}', '{answered}', '{gone}')"
        rejected = _one(con, f"select sample_id {free} and sample_id not in {taken} order by sample_id limit 1")
        taken = f"('{counted}', '{answered}', '{gone}', '{rejected}')"
        moved = _one(con, f"""select sample_id {free} and split = 'train' and sample_id not in {taken}
            and source_asset_ids[1] not in (select unnest(source_asset_ids) from samples
                                            where sample_id in {taken})
            order by sample_id limit 1""")
        taken = f"('{counted}', '{answered}', '{gone}', '{rejected}', '{moved}')"
        licensed = _one(con, f"""select sample_id {free} and sample_id not in {taken}
            and source_asset_ids[1] not in (select unnest(source_asset_ids) from samples
                                            where sample_id in {taken})
            order by sample_id limit 1""")
        taken = f"('{counted}', '{answered}', '{gone}', '{rejected}', '{moved}', '{licensed}')"
        grounded = f"""select sample_id {free} and task_type = 'region_grounding' and sample_id not in {{}}
            and source_asset_ids[1] not in (select unnest(source_asset_ids) from samples
                                            where sample_id in {{}})
            order by sample_id limit 1"""
        boxed = _one(con, grounded.format(taken, taken))
        taken = f"('{counted}', '{answered}', '{gone}', '{rejected}', '{moved}', '{licensed}', '{boxed}')"
        kept_box = _one(con, grounded.format(taken, taken))
        taken = (f"('{counted}', '{answered}', '{gone}', '{rejected}', '{moved}', '{licensed}', "
                 f"'{boxed}', '{kept_box}')")
        kept = _one(con, f"""select sample_id {free} and sample_id not in {taken}
            and source_asset_ids[1] not in (select unnest(source_asset_ids) from samples
                                            where sample_id in {taken})
            order by sample_id limit 1""")
        paths = {f"{name}_image": _one(con, f"select image_paths[1] from samples where sample_id = '{sample_id}'")
                 for name, sample_id in (("kept", kept), ("moved", moved), ("rejected", rejected))}
        key = "(select sample_key from samples where sample_id = ?)"
        con.execute(f"update int_counting_samples_derived set expected_count = 987654321 where sample_key = {key}",
                    [counted])
        con.execute("update int_description_samples_derived set model_answer_text = ?, "
                    f"generation_request_hash = 'request-2', generation_model = 'a-model' where sample_key = {key}",
                    [ANSWER, answered])
        con.execute(f"delete from int_grounding_samples_derived where sample_key = {key}", [gone])
        con.execute("update int_samples_qualified set is_shippable = false where sample_id = ?", [rejected])
        con.execute("update int_sample_groups_assigned set split = 'val' "
                    "where asset_id = (select source_asset_ids[1] from samples where sample_id = ?)", [moved])
        con.execute("update release_asset_gates set is_allowed = false, gate_reason = 'license_withdrawn' "
                    "where asset_id = (select source_asset_ids[1] from samples where sample_id = ?)", [licensed])
        con.execute("update int_annotations_normalized set bbox_x_px = bbox_x_px / 2 "
                    "where annotation_id = (select annotation_id from samples where sample_id = ?)", [boxed])
        con.execute(f"update profile_boxes set exclusion_reason = '{MARK}' where sample_id = ?", [kept_box])
        con.execute(f"update int_samples_templated set question_text = '{MARK}' where sample_id = ?", [kept])
        con.execute(f"update samples set human_template = '{MARK}' where sample_id = ?", [kept])
        con.execute(f"update release_samples set exclusion_reason = '{MARK}' where sample_id = ?", [kept])
        con.execute(f"update packed_records set split = '{MARK}' where image[1] = "
                    "(select image_paths[1] from samples where sample_id = ?)", [kept])
    return {"counted": counted, "answered": answered, "gone": gone, "rejected": rejected, "moved": moved,
            "licensed": licensed, "boxed": boxed, "kept_box": kept_box, "kept": kept, **paths}


def _without(rows: dict[str, list[tuple[str, str]]], sample_id: str) -> dict[str, list[tuple[str, str]]]:
    return {m: [r for r in found if r[0] != sample_id] for m, found in rows.items()}


@pytest.fixture(scope="module")
def rebuilt(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The copy's rows before the changes, after an incremental run and after a full
    refresh, and what the changes chose."""
    wh = scratch_copy(built_warehouse, tmp_path_factory.mktemp("incremental") / "warehouse")
    models = (*AUDITS, *DESCRIPTIONS, "int_image_boxes_hashed", *BOXES, "record_input_digests", *RECORDS)
    assert run_dbt(wh, ["run", "--quiet", "--select", *models, "--full-refresh"]) == 0
    before = _rows(wh)
    audits = _change_audit_inputs(wh)
    descriptions = _change_description_inputs(wh, list(audits.values()))
    touched = _images_of(wh, list(audits.values())) + list(descriptions.values())
    boxes = _change_box_inputs(wh, touched)
    touched += [boxes[k] for k in BOX_IMAGES]
    records = _change_record_inputs(wh, touched)
    touched += _images_of(wh, [records[k] for k in ("talked", "moved", "left_out", "gone", "kept")])
    assert run_dbt(wh, ["run", "--quiet", "--select", *models]) == 0
    incremental = _rows(wh)
    assert run_dbt(wh, ["run", "--quiet", "--select", *models, "--full-refresh"]) == 0
    full = _rows(wh)
    # the templated samples and the mart, on their own: the changes above were made in
    # their rows (which a full refresh of them would undo)
    assert run_dbt(wh, ["run", "--quiet", "--select", *TEMPLATED, "--full-refresh"]) == 0
    templated_before = _templated_rows(wh)
    templated = _change_templated_inputs(wh, touched)
    assert run_dbt(wh, ["run", "--quiet", "--select", *TEMPLATED]) == 0
    templated_incremental = _templated_rows(wh)
    assert run_dbt(wh, ["run", "--quiet", "--select", *TEMPLATED, "--full-refresh"]) == 0
    return {"before": {**before, "templated": templated_before},
            "incremental": {**incremental, "templated": templated_incremental},
            "full": {**full, "templated": _templated_rows(wh)},
            "audits": audits, "descriptions": descriptions, "boxes": boxes, "records": records,
            "templated": templated}


def test_incremental_audits_equal_a_full_refresh_after_their_inputs_change(rebuilt: dict[str, Any]) -> None:
    before, incremental, full = (rebuilt[k]["audits"] for k in ("before", "incremental", "full"))
    chosen = rebuilt["audits"]
    kept = [row for sample_id, row in incremental["int_sample_language_checked"] if sample_id == chosen["kept"]]
    assert len(kept) == 1 and MARK in kept[0]  # audited in the first build, not again
    assert not any(MARK in row for _, row in full["int_sample_language_checked"])
    assert _without(incremental, chosen["kept"]) == _without(full, chosen["kept"])
    for model in AUDITS:  # every change reached the audits that read it, none was missed
        assert not any(r[0] == chosen["gone"] for r in full[model]), model
        assert set(full[model]) - set(before[model]), f"no change reached {model}"
    changed = {r[0] for m in AUDITS for r in set(full[m]) ^ set(before[m])}
    assert {chosen[k] for k in ("text", "boxes", "objects", "gone", "silent", "quoted")} <= changed
    mentions = "int_sample_mentions_extracted"  # an answer that now mentions nothing: no row
    assert any(r[0] == chosen["silent"] for r in before[mentions])
    assert not any(r[0] == chosen["silent"] for r in incremental[mentions])


def test_incremental_descriptions_equal_a_full_refresh_after_their_inputs_change(rebuilt: dict[str, Any]) -> None:
    before, incremental, full = (rebuilt[k]["descriptions"] for k in ("before", "incremental", "full"))
    chosen = rebuilt["descriptions"]
    assert MARK in incremental[chosen["kept"]]  # described in the first build, not again
    assert MARK not in full[chosen["kept"]]
    assert {k: v for k, v in incremental.items() if k != chosen["kept"]} == \
        {k: v for k, v in full.items() if k != chosen["kept"]}
    assert chosen["gone"] in before and chosen["gone"] not in incremental
    for kind in ("related", "enlarged", "recaptioned"):  # every change reached the description
        assert full[chosen[kind]] != before[chosen[kind]], kind
    assert ANSWER in full[chosen["recaptioned"]]


def test_incremental_box_models_equal_a_full_refresh_after_their_boxes_change(rebuilt: dict[str, Any]) -> None:
    before, incremental, full = (rebuilt[k]["boxes"] for k in ("before", "incremental", "full"))
    chosen = rebuilt["boxes"]

    def of(rows: dict[str, tuple[str, str]], image: str) -> dict[str, str]:
        return {key: row for key, (at, row) in rows.items() if at == image}

    def others(rows: dict[str, tuple[str, str]]) -> dict[str, str]:
        return {key: row for key, (at, row) in rows.items() if at != chosen["kept"]}

    for model in BOXES:
        kept = of(incremental[model], chosen["kept"])
        assert kept and all(MARK in row for row in kept.values()), model  # built before, not again
        assert not any(MARK in row for row in of(full[model], chosen["kept"]).values()), model
        assert others(incremental[model]) == others(full[model]), model
        assert of(before[model], chosen["gone"]) and not of(incremental[model], chosen["gone"]), model
    grounding, counting = "int_grounding_samples_derived", "int_counting_samples_derived"
    leftmost = chosen["leftmost"]  # the leftmost referent, mirrored, is the rightmost
    assert "'leftmost'" in before[grounding][leftmost][1] and "'rightmost'" in incremental[grounding][leftmost][1]
    assert chosen["question"] in before[counting] and chosen["question"] not in incremental[counting]


def test_incremental_records_equal_a_full_refresh_after_their_inputs_change(rebuilt: dict[str, Any]) -> None:
    before, incremental, full = (rebuilt[k]["records"] for k in ("before", "incremental", "full"))
    chosen = rebuilt["records"]
    assert MARK in incremental["llava_records"][chosen["kept"]][0]  # made in the first build, not again
    assert MARK not in full["llava_records"][chosen["kept"]][0]
    for model in RECORDS:
        assert {k: v for k, v in incremental[model].items() if k != chosen["kept"]} == \
            {k: v for k, v in full[model].items() if k != chosen["kept"]}, model
        assert chosen["gone"] in before[model] and chosen["gone"] not in incremental[model], model
        assert "(changed)" in full[model][chosen["talked"]][0], model
    # the source box reaches every trainer profile, each of which writes the box again from
    # it; the canonical and LLaMA-Factory records keep the sample's own text, unchanged here
    moved = {m for m in RECORDS if full[m][chosen["moved"]][0] != before[m][chosen["moved"]][0]}
    assert moved == set(RECORDS) - {"training_records", "llamafactory_records"}
    assert chosen["left_out"] in before["llava_records"] and chosen["left_out"] not in incremental["llava_records"]
    assert chosen["left_out"] in incremental["qwen2vl_records"]


def test_incremental_samples_equal_a_full_refresh_after_their_inputs_change(rebuilt: dict[str, Any]) -> None:
    before, incremental, full = (rebuilt[k]["templated"] for k in ("before", "incremental", "full"))
    chosen = rebuilt["templated"]
    templated, samples, released, packed = (incremental[m] for m in
                                            ("int_samples_templated", "samples", "release_samples", "packed_records"))
    keys = {m: chosen["kept_image"] if key == "image[1]" else chosen["kept"] for m, key in TEMPLATED_ROWS.items()}
    keys["profile_boxes"] = chosen["kept_box"]
    for model in ("int_samples_templated", "samples", "release_samples", "packed_records", "profile_boxes"):
        assert MARK in incremental[model][keys[model]], model  # built before, not again
        assert MARK not in full[model][keys[model]], model
    for model in TEMPLATED_ROWS:
        assert {k: v for k, v in incremental[model].items() if k != keys[model]} == \
            {k: v for k, v in full[model].items() if k != keys[model]}, model
    for model in ("int_samples_templated", "int_samples_split", "samples", "release_samples", "profile_boxes"):
        assert chosen["gone"] in before[model] and chosen["gone"] not in incremental[model], model
    boxes = incremental["profile_boxes"]  # the halved source box reaches every profile's row
    assert boxes[chosen["boxed"]] != before["profile_boxes"][chosen["boxed"]]
    assert "987654321" in samples[chosen["counted"]] and "987654321" not in before["samples"][chosen["counted"]]
    assert ANSWER in samples[chosen["answered"]]  # the model answer, and its template twin
    twins = [row for sample_id, row in templated.items()
             if sample_id != chosen["answered"] and f"'{chosen['answered']}'" in row]
    assert len(twins) == 1 and "'template_fallback'" in twins[0]
    assert chosen["rejected"] in before["samples"] and chosen["rejected"] not in samples
    assert chosen["rejected"] in templated
    assert "'val'" in samples[chosen["moved"]] and "'train'" in before["samples"][chosen["moved"]]
    assert "license_withdrawn" in released[chosen["licensed"]]
    assert "license_withdrawn" not in before["release_samples"][chosen["licensed"]]
    assert chosen["rejected"] not in released
    moved = chosen["moved_image"]  # its packed records moved to val with it
    assert "'train'" in before["packed_records"][moved] and "'val'" in packed[moved]
    rejected = chosen["rejected_image"]  # its packed records hold it no more
    assert chosen["rejected"] in before["packed_records"][rejected]
    assert chosen["rejected"] not in packed.get(rejected, "")
