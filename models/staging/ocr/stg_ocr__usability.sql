with

source as (

    select * from {{ source('ocr', 'usability') }}

),

renamed as (

    select
        asset_id,
        source,
        asset_type,
        engine,
        engine_version,
        has_ground_truth,
        gt_text_kind,
        gt_char_count,
        ocr_char_count,
        matched_char_count,
        char_recall,
        char_precision,
        gt_word_count,
        matched_word_count,
        word_recall,
        ocr_line_count,
        mean_confidence,
        usable_recall_threshold,
        is_ocr_usable,
        ocr_seconds,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
