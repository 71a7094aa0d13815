with

source as (

    select * from {{ source('landing', 'assets') }}

),

renamed as (

    select
        asset_id,
        source,
        relative_path,
        asset_type,
        lower(format) as image_format,
        width_px,
        height_px,
        display_width_px,
        display_height_px,
        exif_orientation,
        coalesce(exif_orientation, 1) <> 1 as has_exif_orientation,
        size_bytes,
        license_id,
        license_name,
        license_url,
        attribution_url,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
