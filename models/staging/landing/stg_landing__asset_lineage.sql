with

source as (

    select * from {{ source('landing', 'asset_lineage') }}

),

renamed as (

    select
        asset_id,
        source,
        parent_asset_id,
        parent_order,
        parent_source,
        parent_license_id,
        parent_license_name,
        generator,
        generator_version,
        params_json,
        seed,
        library_versions_json,
        license_rule,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where
    {{ not_taken_down('asset_id') }}
    and {{ not_taken_down('parent_asset_id') }}
