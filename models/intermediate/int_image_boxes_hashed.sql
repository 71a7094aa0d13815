-- One row per image with annotations and inputs_hash: a digest of its rows in
-- int_annotations_normalized and int_image_objects_counted, and of the category names
-- seed, read whole. It is everything the models built incrementally per image from its
-- boxes read of it (int_grounding_referents_ranked, int_grounding_samples_derived,
-- int_counting_samples_derived): each builds again only the images whose hash changed
-- (macros/incremental.sql, keyed_incremental). int_description_inputs_hashed adds to it
-- what the image's description reads besides.
-- Digested as in int_description_inputs_hashed: the sum of DuckDB's 64-bit hash() of each
-- row (order-free); hash() may differ between DuckDB versions, which only makes every
-- image count as changed. A table, not a view: each of those models reads it twice in an
-- incremental run (its pre-hook and its query); as a view, every read digested the boxes
-- again, and the three models took 1.7-2.5 s each in a +1% build at 118,000 photos.
with

annotations as (

    select * from {{ ref('int_annotations_normalized') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

category_names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

annotation_digests as (

    select
        asset_id,
        sum(hash(annotations)) as annotations_digest

    from annotations
    group by asset_id

),

object_digests as (

    select
        asset_id,
        sum(hash(objects)) as objects_digest

    from objects
    group by asset_id

),

final as (

    select
        annotation_digests.asset_id,
        md5(to_json({
            'annotations': annotation_digests.annotations_digest,
            'objects': object_digests.objects_digest,
            'category_names': {{ table_digest('category_names') }}
        })) as inputs_hash

    from annotation_digests
    left join object_digests on object_digests.asset_id = annotation_digests.asset_id

)

select * from final
