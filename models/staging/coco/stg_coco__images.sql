-- COCO ids are unique within one annotation file only: the keys here are prefixed with
-- the source ('coco128:9'); the file's own id is kept as source_image_id.
with

source as (

    select * from {{ source('coco', 'images') }}

),

renamed as (

    select
        source || ':' || coco_image_id as coco_image_id,
        source,
        coco_image_id as source_image_id,
        asset_id,
        file_name,
        width_px,
        height_px,
        source || ':' || license_id as license_id,
        coco_url,
        flickr_url,
        try_strptime(date_captured, '%Y-%m-%d %H:%M:%S') as captured_at,
        has_exif_orientation,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
