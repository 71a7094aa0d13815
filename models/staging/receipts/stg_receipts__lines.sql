with

source as (

    select * from {{ source('receipts', 'lines') }}

),

renamed as (

    select
        asset_id,
        source,
        line_index,
        text,
        x1_px,
        y1_px,
        x2_px,
        y2_px,
        x3_px,
        y3_px,
        x4_px,
        y4_px,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
