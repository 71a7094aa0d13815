{{ config(materialized='view') }}
-- One row per general image with counted objects (the images
-- int_description_samples_derived can describe) and inputs_hash: a digest of everything
-- its description is made from (its rows in int_image_objects_counted,
-- int_object_relations_computed and int_annotations_normalized, its landed re-caption,
-- and the supercategory names, read whole). The description model describes again only
-- the images whose hash changed (macros/incremental.sql, keyed_incremental).
-- A table's rows of one image are digested as the sum of DuckDB's 64-bit hash() of each
-- row: order-free (a row twice counts twice) and ~50x cheaper than md5 of the rows' JSON;
-- a changed image keeps a stale row only if its new sums all equal its old ones (odds
-- ~2^-64 per change). hash() may differ between DuckDB versions; that only makes every
-- image count as changed.
-- A view (no Python function in it): its ~0.1 s query at 50,000 images is cheaper than a
-- table's write, and the description model reads it twice (its pre-hook and its query).
with

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

relations as (

    select * from {{ ref('int_object_relations_computed') }}

),

annotations as (

    select * from {{ ref('int_annotations_normalized') }}

),

model_answers as (

    select * from {{ ref('int_model_answers_selected') }}
    where stage = 'recaption'

),

supercategory_names as (

    select * from {{ ref('stg_seeds__coco_supercategory_names') }}

),

object_digests as (

    select
        asset_id,
        sum(hash(objects)) as objects_digest

    from objects
    group by asset_id

),

relation_digests as (

    select
        asset_id,
        sum(hash(relations)) as relations_digest

    from relations
    group by asset_id

),

annotation_digests as (

    select
        asset_id,
        sum(hash(annotations)) as annotations_digest

    from annotations
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
        object_digests.asset_id,
        md5(to_json({
            'objects': object_digests.objects_digest,
            'relations': relation_digests.relations_digest,
            'annotations': annotation_digests.annotations_digest,
            'answer': answer_digests.answer_digest,
            'supercategory_names': {{ table_digest('supercategory_names') }}
        })) as inputs_hash

    from object_digests
    left join relation_digests on relation_digests.asset_id = object_digests.asset_id
    left join annotation_digests on annotation_digests.asset_id = object_digests.asset_id
    left join answer_digests on answer_digests.asset_id = object_digests.asset_id

)

select * from final
