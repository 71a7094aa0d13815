-- The latest OCR text of each asset: the lines of its latest OCR run (all lines landed at
-- the asset's latest ingested_at) joined by one space in reading order (line_index). One
-- row per asset that OCR has read; the document models and reports read it from here.
with

lines as (

    select * from {{ ref('stg_ocr__lines') }}

),

latest_lines as (

    select * from lines
    qualify ingested_at is not distinct from max(ingested_at) over (partition by asset_id)

),

final as (

    select
        asset_id,
        string_agg(text, ' ' order by line_index) as ocr_text

    from latest_lines
    group by asset_id

)

select * from final
