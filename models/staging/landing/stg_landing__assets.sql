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

),

-- the same bytes landed under two sources (a second dataset sharing images) are one
-- asset: its first location by source, then path; every location is in
-- stg_landing__asset_locations
deduplicated as (

    select *
    from renamed
    qualify row_number() over (partition by asset_id order by source, relative_path) = 1

)

select * from deduplicated
where {{ not_taken_down('asset_id') }}
