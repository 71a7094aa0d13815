with

source as (

    select * from {{ source('documents', 'fields') }}

),

renamed as (

    select
        asset_id,
        source,
        field_index,
        field_key,
        field_value,
        field_origin,
        key_line_index,
        value_line_index,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
