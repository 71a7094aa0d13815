-- Every document image of the balanced pool with its ground-truth text, its kind, its
-- first line, and whether OCR could read it (int_ocr_usability_resolved.is_ocr_usable: the
-- character recall of the ground truth by the OCR output is above the landing's threshold,
-- for an unread drawn page that of its layout's sample).
-- Only readable documents become OCR supervision. printed_text is the text as the page
-- prints it (form entities rebuilt from their words' boxes, else the landed full text);
-- title is a form's top-most header of two or more words that reads as a label and is not
-- a section label or question (ending in ':' or '?'); page stamps and numbers are not.
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

    select * from {{ ref('int_ocr_usability_resolved') }}

),

kinds as (

    select * from {{ ref('stg_seeds__document_kinds') }}

),

entities as (

    select * from {{ ref('int_form_entities_respaced') }}

),

form_texts as (

    select
        asset_id,
        string_agg(text, chr(10) order by line_index) filter (where trim(text) <> '')
            as printed_text,
        arg_min(text, line_index) filter (
            where label = 'header'
            and ({{ label_refusal('text') }} is null or length(text) between 41 and 80)
            and len(string_split(trim(text), ' ')) >= 2
            and not regexp_matches(text, '[0-9]{3,}|[:?]\s*$')
            and len({{ spacing_artefacts('text') }}) = 0
        ) as title

    from entities
    group by asset_id

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
        coalesce(form_texts.printed_text, texts.full_text) as printed_text,
        form_texts.title,
        texts.line_count,
        first_lines.first_line,
        usability.char_recall as ocr_char_recall,
        coalesce(usability.is_ocr_usable, false) as is_ocr_usable

    from pool
    inner join texts on texts.asset_id = pool.asset_id
    left join first_lines on first_lines.asset_id = pool.asset_id
    left join form_texts on form_texts.asset_id = pool.asset_id
    left join usability on usability.asset_id = pool.asset_id
    left join kinds on kinds.layout = texts.layout

)

select * from profiled
