with

source as (

    select * from {{ source('landing', 'asset_sources') }}

),

renamed as (

    select
        source,
        source_kind,
        asset_type,
        images_root,
        annotations_path,
        landed_at,
        ingest_run_id

    from source

)

select * from renamed
