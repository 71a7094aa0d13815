with

source as (

    select * from {{ source('documents', 'lines') }}

),

renamed as (

    select
        asset_id,
        source,
        line_index,
        text,
        x_px,
        y_px,
        w_px,
        h_px,
        word_count,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
