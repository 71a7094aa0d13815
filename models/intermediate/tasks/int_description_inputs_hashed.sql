{{ config(materialized='view') }}
-- One row per image with boxes (the images int_description_samples_derived can
-- describe) and inputs_hash: a digest of everything its description is made from (its
-- boxes' digest, int_image_boxes_hashed: its rows in int_annotations_normalized and
-- int_image_objects_counted and the category names; its rows in
-- int_object_relations_computed, its landed re-caption, and the supercategory names, read
-- whole). The description model describes again only the images whose hash changed
-- (macros/incremental.sql, keyed_incremental).
-- A table's rows of one image are digested as the sum of DuckDB's 64-bit hash() of each
-- row: order-free (a row twice counts twice) and ~50x cheaper than md5 of the rows' JSON;
-- a changed image keeps a stale row only if its new sums all equal its old ones (odds
-- ~2^-64 per change). hash() may differ between DuckDB versions; that only makes every
-- image count as changed.
-- A view (no Python function in it): its ~0.1 s query at 50,000 images is cheaper than a
-- table's write, and the description model reads it twice (its pre-hook and its query).
with

boxes as (

    select * from {{ ref('int_image_boxes_hashed') }}

),

relations as (

    select * from {{ ref('int_object_relations_computed') }}

),

model_answers as (

    select * from {{ ref('int_model_answers_selected') }}
    where stage = 'recaption'

),

supercategory_names as (

    select * from {{ ref('stg_seeds__coco_supercategory_names') }}

),

relation_digests as (

    select
        asset_id,
        sum(hash(relations)) as relations_digest

    from relations
    group by asset_id

),

answer_digests as (

    select
        item_id as asset_id,
        sum(hash(model_answers)) as answer_digest

    from model_answers
    group by item_id

),

final as (

    select
        boxes.asset_id,
        md5(to_json({
            'boxes': boxes.inputs_hash,
            'relations': relation_digests.relations_digest,
            'answer': answer_digests.answer_digest,
            'supercategory_names': {{ table_digest('supercategory_names') }}
        })) as inputs_hash

    from boxes
    left join relation_digests on relation_digests.asset_id = boxes.asset_id
    left join answer_digests on answer_digests.asset_id = boxes.asset_id

)

select * from final
