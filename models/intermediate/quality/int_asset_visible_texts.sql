-- The text visible in each asset that shows any: a document's ground-truth text (as landed
-- and as printed), a chart's text (title, axis labels, tick labels, legend, values) and
-- the latest OCR text, one row per asset. visible_text joins them by newlines;
-- visible_key is the same text lower-cased with all whitespace removed, the form the
-- language audit looks a quoted span up in (OCR and annotations disagree on spacing).
with

documents as (

    select * from {{ ref('int_documents_profiled') }}

),

charts as (

    select * from {{ ref('stg_charts__charts') }}

),

chart_elements as (

    select * from {{ ref('stg_charts__text_elements') }}

),

ocr as (

    -- a page's own read (an unread drawn page's printed text is its ground truth above)
    select * from {{ ref('int_ocr_texts_assembled') }}
    where text_basis = 'ocr'

),

texts as (

    select
        asset_id,
        full_text as text
    from documents
    union all
    select
        asset_id,
        printed_text as text
    from documents
    union all
    select
        asset_id,
        chart_text as text
    from charts
    union all
    select
        asset_id,
        title as text
    from charts
    union all
    select
        asset_id,
        text
    from chart_elements
    union all
    select
        asset_id,
        ocr_text as text
    from ocr

),

final as (

    select
        asset_id,
        string_agg(text, chr(10)) as visible_text,
        regexp_replace(lower(string_agg(text, chr(10))), '\s+', '', 'g') as visible_key

    from texts
    where nullif(trim(text), '') is not null
    group by asset_id

)

select * from final
