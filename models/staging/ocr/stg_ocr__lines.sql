with

source as (

    select * from {{ source('ocr', 'lines') }}

),

renamed as (

    select
        asset_id,
        source,
        engine,
        engine_version,
        line_index,
        text,
        confidence,
        x1_px,
        y1_px,
        x2_px,
        y2_px,
        x3_px,
        y3_px,
        x4_px,
        y4_px,
        x_px,
        y_px,
        w_px,
        h_px,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
