with

source as (

    select * from {{ source('landing', 'takedowns') }}

),

renamed as (

    select
        takedown_id,
        asset_id,
        requested_path,
        reason,
        requested_by,
        requested_at,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
