with

source as (

    select * from {{ source('forms', 'entities') }}

),

renamed as (

    select
        asset_id,
        source,
        entity_id,
        label,
        text,
        x_px,
        y_px,
        w_px,
        h_px,
        line_index,
        word_count,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
