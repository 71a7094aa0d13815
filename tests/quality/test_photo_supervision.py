"""Issue 14's targets for the photo tasks, asserted on the built lakehouse (the session's
``built_warehouse``, a real ``mmfactory build`` of the default data):

* counting: no single answer above 35% of the counting samples, and p3_report.md prints the
  histogram;
* descriptions: at least 4 verifiable statements per description on average, at least 2
  spatial relations on average where the image has 2+ salient objects, 6 sentence plans per
  language, every statement passing its audit, pure Chinese, English counts in agreement,
  CHAIR 0;
* comparisons: at least 60 pairs, each sharing a category, both images in one split group,
  counts in agreement;
* referents: every "leftmost" / "rightmost" answer holds by the box centre and by the edge.
"""

from __future__ import annotations

import duckdb
import pytest

from lakehouse.settings import Warehouse


def _sql(wh: Warehouse, query: str) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query).fetchall()


def _one(wh: Warehouse, query: str):
    (row,) = _sql(wh, query)
    return row[0] if len(row) == 1 else row


def test_counting_answers_are_balanced_and_reported(built_warehouse):
    wh = built_warehouse
    total, largest = _one(wh, """
        select sum(n), max(n) from (
            select expected_count, count(*) as n from samples
            where task_type = 'counting_visual_qa' group by expected_count)""")
    assert total >= 100
    assert largest / total <= 0.35
    report = (wh.exports / "p3_report.md").read_text(encoding="utf-8")
    assert "## Counting answers" in report
    shares = dict(_sql(wh, "select expected_count, share from report_counting_answer_distribution"))
    assert max(shares.values()) <= 0.35 and sum(shares.values()) == pytest.approx(1.0)


def test_descriptions_are_rich_and_every_statement_holds(built_warehouse):
    wh = built_warehouse
    audited = """
        from int_description_samples_audited as a
        inner join int_samples_templated as t on t.sample_id = a.sample_id
        where t.generation_method <> 'model'"""
    mean_statements, failed = _one(wh, f"""
        select avg(a.statement_count), count(*) filter (where a.failed_error_types <> '') {audited}""")
    assert mean_statements >= 4
    assert failed == 0
    # images with 2+ salient objects: their descriptions state at least 2 relations on average
    mean_relations, images = _one(wh, f"""
        select avg(a.relation_statement_count), count(*) {audited}
        and t.source_asset_ids[1] in (select asset_id from int_object_relations_computed)""")
    assert images >= 30 and mean_relations >= 2
    plans = dict(_sql(wh, """
        select t.language, count(distinct d.sentence_plan_id)
        from int_description_samples_derived as d
        inner join int_samples_templated as t on t.sample_key = d.sample_key
        group by t.language"""))
    assert plans == {"en": 6, "zh": 6}


def test_photo_text_is_pure_chinese_and_english_counts_agree(built_warehouse):
    wh = built_warehouse
    photo_tasks = "('image_description', 'multi_image_comparison', 'counting_visual_qa')"
    latin_zh = _one(wh, f"""
        select count(*) from int_samples_templated
        where task_type in {photo_tasks} and language = 'zh'
        and regexp_matches(question_text || answer_text, '[A-Za-z]')""")
    assert latin_zh == 0
    # "1 <plural>" or "<n> <singular>" for any seeded category whose forms differ
    disagreeing = _one(wh, f"""
        select count(*) from int_samples_templated as t
        inner join stg_seeds__coco_category_names as n
            on n.category_name_plural_en <> n.category_name_singular_en
        where t.task_type in {photo_tasks} and t.language = 'en' and t.generation_method <> 'model'
        and (regexp_matches(t.answer_text, '(^|[^0-9])1 ' || n.category_name_plural_en || '\\b')
             or regexp_matches(t.answer_text, '([2-9]|[1-9][0-9]) ' || n.category_name_singular_en || '\\b'))""")
    assert disagreeing == 0
    chair = _sql(wh, "select hallucinated_mention_count from chair_scores "
                     "where scope = 'generation_method' and scope_value = 'template'")
    assert chair == [(0,)]


def test_comparisons_pair_images_that_share_a_category_inside_one_split_group(built_warehouse):
    wh = built_warehouse
    pairs, unshared, split_apart = _one(wh, """
        with pairs as (select * from int_image_pairs_selected),
        cats as (select asset_id, list(category_name) filter (where instance_count > 0) as c
                 from int_image_objects_counted group by asset_id)
        select count(*),
               count(*) filter (where len(list_intersect(f.c, s.c)) = 0),
               count(*) filter (where gf.group_id <> gs.group_id)
        from pairs
        join cats as f on f.asset_id = pairs.first_asset_id
        join cats as s on s.asset_id = pairs.second_asset_id
        join int_sample_groups_assigned as gf on gf.asset_id = pairs.first_asset_id
        join int_sample_groups_assigned as gs on gs.asset_id = pairs.second_asset_id""")
    assert pairs >= 60 and unshared == 0 and split_apart == 0
    shipped, failed = _one(wh, """
        select count(*), count(*) filter (where failed_error_types <> '')
        from int_comparison_samples_audited""")
    assert shipped >= 60 and failed == 0


def test_extreme_referents_hold_by_centre_and_edge(built_warehouse):
    wh = built_warehouse
    extremes, broken = _one(wh, """
        with g as (select * from int_grounding_samples_derived
                   where referent_kind in ('leftmost', 'rightmost')),
        others as (
            select g.sample_key, g.referent_kind, g.grid_xmin, g.grid_xmax,
                   min(a.grid_xmin) as other_min_xmin, max(a.grid_xmax) as other_max_xmax,
                   min((a.grid_xmin + a.grid_xmax) / 2.0) as other_min_cx,
                   max((a.grid_xmin + a.grid_xmax) / 2.0) as other_max_cx
            from g join int_annotations_normalized as a
                on a.asset_id = g.source_asset_ids[1] and a.category_name = g.category_name
                and a.annotation_id <> g.annotation_id and not a.is_crowd
            group by all)
        select count(*), count(*) filter (where case referent_kind
            when 'leftmost' then not (grid_xmin < other_min_xmin
                                      and (grid_xmin + grid_xmax) / 2.0 < other_min_cx)
            else not (grid_xmax > other_max_xmax and (grid_xmin + grid_xmax) / 2.0 > other_max_cx)
        end) from others""")
    assert extremes > 0 and broken == 0
