-- Every document image of the balanced pool with its ground-truth text, its kind, its
-- first line, and whether OCR could read it (ocr_usability.is_ocr_usable: the character
-- recall of the ground truth by the OCR output is above the landing's threshold).
-- Only readable documents become OCR supervision.
with

pool as (

    select * from {{ ref('stg_landing__asset_pool') }}
    where asset_type = 'document_image'

),

texts as (

    select * from {{ ref('stg_documents__texts') }}

),

lines as (

    select * from {{ ref('stg_documents__lines') }}

),

usability as (

    select * from {{ ref('stg_ocr__usability') }}

),

kinds as (

    select * from {{ ref('stg_seeds__document_kinds') }}

),

first_lines as (

    select
        asset_id,
        arg_min(text, line_index) as first_line
    from lines
    where trim(text) <> ''
    group by asset_id

),

profiled as (

    select
        pool.asset_id,
        texts.source,
        texts.layout,
        coalesce(kinds.name_en, 'document') as kind_en,
        coalesce(kinds.name_zh, '文档') as kind_zh,
        texts.full_text,
        texts.line_count,
        first_lines.first_line,
        usability.char_recall as ocr_char_recall,
        coalesce(usability.is_ocr_usable, false) as is_ocr_usable

    from pool
    inner join texts on texts.asset_id = pool.asset_id
    left join first_lines on first_lines.asset_id = pool.asset_id
    left join usability on usability.asset_id = pool.asset_id
    left join kinds on kinds.layout = texts.layout

)

select * from profiled
