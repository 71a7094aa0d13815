-- The text OCR reads on each page: the lines of the asset's latest OCR run (all lines
-- landed at its latest ingested_at) joined by one space in reading order (line_index),
-- text_basis 'ocr'. A document mmfactory drew and the OCR stage left unread, whose
-- layout's sample vouches for it (int_ocr_usability_resolved, 'layout_sample'), has the
-- lines it printed (its landed document_lines) joined the same way, text_basis
-- 'printed'. One row per asset; the document models and reports read it from here.
with

lines as (

    select * from {{ ref('stg_ocr__lines') }}

),

usability as (

    select * from {{ ref('int_ocr_usability_resolved') }}

),

printed_lines as (

    select * from {{ ref('stg_documents__lines') }}

),

latest_lines as (

    select * from lines
    qualify ingested_at is not distinct from max(ingested_at) over (partition by asset_id)

),

read_texts as (

    select
        asset_id,
        string_agg(text, ' ' order by line_index) as ocr_text,
        'ocr' as text_basis

    from latest_lines
    group by asset_id

),

printed_texts as (

    select
        printed_lines.asset_id,
        string_agg(printed_lines.text, ' ' order by printed_lines.line_index) as ocr_text,
        'printed' as text_basis

    from printed_lines
    inner join usability
        on usability.asset_id = printed_lines.asset_id
        and usability.usability_basis = 'layout_sample'
    group by printed_lines.asset_id

),

final as (

    select * from read_texts
    union all
    select * from printed_texts

)

select * from final
