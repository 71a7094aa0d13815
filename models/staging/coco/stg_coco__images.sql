-- COCO ids are unique within one annotation file only: the keys here are prefixed with
-- the source ('coco128:9'); the file's own id is kept as source_image_id.
-- The same photo landed under several COCO sources (COCO128 and then the train2017 it was
-- cut from; a second annotation of the same photos) is one asset with several records:
-- is_primary_record marks the one whose boxes stand for it, its first record that has any
-- boxes, by source, then file name (the order stg_landing__assets picks an asset's
-- location in). Every reader of a photo's boxes keeps only that record's: merging them
-- counted every object twice.
with

source as (

    select * from {{ source('coco', 'images') }}

),

annotated as (

    select distinct
        source,
        coco_image_id

    from {{ source('coco', 'annotations') }}

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

),

ranked as (

    select
        renamed.*,
        row_number() over (
            partition by renamed.asset_id
            order by annotated.coco_image_id is null, renamed.source, renamed.file_name
        ) = 1 as is_primary_record

    from renamed
    left join annotated
        on
        annotated.source = renamed.source
        and annotated.coco_image_id = renamed.source_image_id

)

select * from ranked
where {{ not_taken_down('asset_id') }}
