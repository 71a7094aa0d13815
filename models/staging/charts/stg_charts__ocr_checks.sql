with

source as (

    select * from {{ source('charts', 'ocr_checks') }}

),

renamed as (

    select
        asset_id,
        source,
        engine,
        engine_version,
        table_value_count,
        values_found_count,
        value_recall,
        missing_values,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
