-- One pHash and dHash per asset content (ingest/perceptual_hashes.py), of the newest decode
-- mode and hasher version landed for it; hashes of taken-down assets are dropped.
with

source as (

    select * from {{ source('landing', 'perceptual_hashes') }}

),

renamed as (

    select
        asset_id,
        phash,
        dhash,
        decode_mode,
        hasher_version,
        hash_seconds,
        ingested_at,
        ingest_run_id

    from source

),

deduplicated as (

    select *
    from renamed
    qualify row_number() over (partition by asset_id order by ingested_at desc) = 1

)

select * from deduplicated
where {{ not_taken_down('asset_id') }}
