with

source as (

    select * from {{ source('landing', 'asset_pool_exclusions') }}

),

renamed as (

    select
        asset_id,
        asset_type,
        asset_source as source,
        reason,
        per_type,
        source as pool_source,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
