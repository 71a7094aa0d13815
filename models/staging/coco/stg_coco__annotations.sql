with

source as (

    select * from {{ source('coco', 'annotations') }}

),

renamed as (

    select
        source || ':' || annotation_id as annotation_id,
        source,
        annotation_id as source_annotation_id,
        source || ':' || coco_image_id as coco_image_id,
        source || ':' || category_id as category_id,
        bbox_x as bbox_x_px,
        bbox_y as bbox_y_px,
        bbox_w as bbox_w_px,
        bbox_h as bbox_h_px,
        area as area_px,
        is_crowd,
        has_segmentation,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
-- the annotations of a taken-down image go with it (macros/takedowns.sql)
where coco_image_id not in (
    select images.source || ':' || images.coco_image_id
    from {{ source('coco', 'images') }} as images
    where not {{ not_taken_down('images.asset_id') }}
)
