with

source as (

    select * from {{ source('documents', 'texts') }}

),

renamed as (

    select
        asset_id,
        source,
        document_key,
        split,
        layout,
        full_text,
        line_count,
        word_count,
        char_count,
        has_word_boxes,
        text_origin,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
