with

source as (

    select * from {{ source('charts', 'tables') }}

),

renamed as (

    select
        asset_id,
        source,
        series_index,
        series,
        category_index,
        category,
        value,
        value_text,
        unit,
        is_suspect_value,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
