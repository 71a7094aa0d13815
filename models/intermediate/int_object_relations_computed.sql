{%- set hash_vars = ['description_salient_min_area_grid', 'description_salient_max'] -%}
{{ keyed_incremental('int_image_boxes_hashed', 'asset_id', 'asset_id', vars=hash_vars) }}
-- The salient objects of every general image and the spatial relations between them,
-- computed from their boxes on the 0..1000 grid (macro box_relations, macros/spatial.sql,
-- states the geometric rule). A salient object is the largest non-crowd instance of a
-- category that has no crowd region in the image (so "the largest dog" is well defined),
-- covering at least var('description_salient_min_area_grid') grid units (0.5% of the image);
-- the var('description_salient_max') largest are kept. One row per ordered pair of salient
-- objects (subject more salient than object): the relations of the subject to the object;
-- and one row per salient object whose category's second-largest instance is as large as a
-- salient object must be (object_referent 'second largest', object_rank 100 + its rank).
-- Built incrementally per image: an incremental run relates only the objects of the images
-- whose boxes changed (int_image_boxes_hashed, macros/incremental.sql); every row keeps its
-- image's inputs_hash. An image with fewer than two salient objects has no row, so it is
-- related again in every incremental run (a fifth of the images at 118,000 photos).
with

hashed as (

    {{ keyed_inputs_hash('int_image_boxes_hashed', 'asset_id', hash_vars) }}

),

changed_assets as (

    {{ changed_keys('hashed', 'asset_id', 'asset_id') }}

),

annotations as (

    select * from {{ ref('int_annotations_normalized') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

ranked_instances as (

    select
        annotations.asset_id,
        annotations.category_name,
        annotations.annotation_id,
        annotations.grid_ymin,
        annotations.grid_xmin,
        annotations.grid_ymax,
        annotations.grid_xmax,
        (annotations.grid_xmax - annotations.grid_xmin)
        * (annotations.grid_ymax - annotations.grid_ymin) as area_grid,
        row_number() over (
            partition by annotations.asset_id, annotations.category_name
            order by
                annotations.bbox_w_px * annotations.bbox_h_px desc, annotations.annotation_id asc
        ) as size_rank

    from annotations
    inner join objects
        on objects.asset_id = annotations.asset_id
        and objects.category_name = annotations.category_name
    where not annotations.is_crowd and not objects.has_crowd_region
    qualify size_rank <= 2

),

largest_instances as (

    select * from ranked_instances
    where size_rank = 1

),

salient as (

    select
        *,
        row_number() over (
            partition by asset_id order by area_grid desc, category_name asc
        ) as salience_rank

    from largest_instances
    where area_grid >= {{ var('description_salient_min_area_grid') }}
    qualify salience_rank <= {{ var('description_salient_max') }}

),

paired as (

    select
        subject.asset_id,
        subject.salience_rank as subject_rank,
        object.salience_rank as object_rank,
        subject.category_name as subject_category_name,
        object.category_name as object_category_name,
        subject.annotation_id as subject_annotation_id,
        object.annotation_id as object_annotation_id,
        subject.area_grid as subject_area_grid,
        object.area_grid as object_area_grid,
        'largest' as object_referent,
        {{ box_relations(
            'subject.grid_ymin', 'subject.grid_xmin', 'subject.grid_ymax', 'subject.grid_xmax',
            'object.grid_ymin', 'object.grid_xmin', 'object.grid_ymax', 'object.grid_xmax'
        ) }} as relations

    from salient as subject
    inner join salient as object
        on object.asset_id = subject.asset_id
        and object.salience_rank > subject.salience_rank

),

runners_up as (

    -- a salient object and the second-largest instance of its category, when that one is
    -- large enough to be salient too ("the largest dog" and "the second-largest dog")
    select
        subject.asset_id,
        subject.salience_rank as subject_rank,
        100 + subject.salience_rank as object_rank,
        subject.category_name as subject_category_name,
        object.category_name as object_category_name,
        subject.annotation_id as subject_annotation_id,
        object.annotation_id as object_annotation_id,
        subject.area_grid as subject_area_grid,
        object.area_grid as object_area_grid,
        'second largest' as object_referent,
        {{ box_relations(
            'subject.grid_ymin', 'subject.grid_xmin', 'subject.grid_ymax', 'subject.grid_xmax',
            'object.grid_ymin', 'object.grid_xmin', 'object.grid_ymax', 'object.grid_xmax'
        ) }} as relations

    from salient as subject
    inner join ranked_instances as object
        on object.asset_id = subject.asset_id
        and object.category_name = subject.category_name
        and object.size_rank = 2
    where object.area_grid >= {{ var('description_salient_min_area_grid') }}

),

related as (

    select * from paired
    union all
    select * from runners_up

),

final as (

    {{ with_inputs_hash('related', 'asset_id') }}

)

select * from final
