with

source as (

    select * from {{ source('charts', 'text_elements') }}

),

renamed as (

    select
        asset_id,
        source,
        element_index,
        role,
        text,
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
