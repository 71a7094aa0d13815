with

source as (

    select * from {{ source('landing', 'asset_pool') }}

),

renamed as (

    select
        source,
        asset_id,
        asset_type,
        asset_source,
        pool_rank,
        is_derived,
        per_type,
        requested_per_type,
        seed,
        coco_source,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
