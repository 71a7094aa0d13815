with

source as (

    select * from {{ source('landing', 'release_manifests') }}

),

renamed as (

    select
        release_id,
        release_profile,
        release_version,
        sample_id,
        task_type,
        template_id,
        template_hash,
        source_asset_ids,
        released_at,
        ingest_run_id

    from source

)

select * from renamed
