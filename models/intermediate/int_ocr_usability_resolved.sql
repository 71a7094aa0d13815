-- Whether each page OCR judges is legible: one row per document or chart image with a
-- verdict. A page that was read has its own latest read (usability_basis 'read'). A
-- document mmfactory drew that the OCR stage left unread (ingest/ocr_policy.py reads a
-- sample of each layout: a drawn page prints exactly its landed text, so what a read
-- tells of it is how legibly its layout is drawn) takes its layout's sample
-- ('layout_sample'): char_recall the lowest recall among the layout's reads, usable when
-- every one of them is, layout_read_count reads. A layout with no read gives its unread
-- pages no row, so they are not usable.
with

usability as (

    select * from {{ ref('stg_ocr__usability') }}

),

texts as (

    select * from {{ ref('stg_documents__texts') }}

),

lineage as (

    select * from {{ ref('stg_landing__asset_lineage') }}

),

latest_reads as (

    -- the latest OCR run per asset
    select * from usability
    qualify row_number() over (
        partition by asset_id order by ingested_at desc, engine asc
    ) = 1

),

drawn_documents as (

    select
        texts.asset_id,
        texts.source,
        texts.layout

    from texts
    semi join lineage on lineage.asset_id = texts.asset_id

),

layout_samples as (

    select
        drawn_documents.layout,
        count(*) as layout_read_count,
        min(latest_reads.char_recall) as char_recall,
        max(latest_reads.usable_recall_threshold) as usable_recall_threshold,
        coalesce(bool_and(latest_reads.is_ocr_usable), false) as is_ocr_usable,
        min(latest_reads.engine) as engine,
        min(latest_reads.engine_version) as engine_version

    from drawn_documents
    inner join latest_reads on latest_reads.asset_id = drawn_documents.asset_id
    group by drawn_documents.layout

),

read_pages as (

    select
        asset_id,
        source,
        asset_type,
        engine,
        engine_version,
        char_recall,
        usable_recall_threshold,
        is_ocr_usable,
        'read' as usability_basis,
        null::bigint as layout_read_count

    from latest_reads

),

sampled_pages as (

    select
        drawn_documents.asset_id,
        drawn_documents.source,
        'document_image' as asset_type,
        layout_samples.engine,
        layout_samples.engine_version,
        layout_samples.char_recall,
        layout_samples.usable_recall_threshold,
        layout_samples.is_ocr_usable,
        'layout_sample' as usability_basis,
        layout_samples.layout_read_count

    from drawn_documents
    inner join layout_samples on layout_samples.layout = drawn_documents.layout
    anti join latest_reads on latest_reads.asset_id = drawn_documents.asset_id

),

final as (

    select * from read_pages
    union all
    select * from sampled_pages

)

select * from final
