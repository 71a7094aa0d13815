-- document_qa: questions about a readable document's key fields (derived page fields,
-- SROIE's company/date/address/total, FUNSD's question->answer links), answered with the
-- value as written. Fields keyed by an object category (inventory lines) and the asset
-- hash are left out: they make no natural question. At most
-- var('document_qa_max_per_document') per document, chosen by a stable hash.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

fields as (

    select * from {{ ref('stg_documents__fields') }}

),

categories as (

    select category_name from {{ ref('stg_seeds__coco_category_names') }}

),

candidates as (

    select
        fields.asset_id,
        fields.field_index,
        rtrim(trim(fields.field_key), ':') as field_name,
        trim(fields.field_value) as field_value,
        documents.full_text

    from fields
    inner join documents on documents.asset_id = fields.asset_id
    where length(trim(fields.field_value)) between 1 and 80
      and length(rtrim(trim(fields.field_key), ':')) between 2 and 40
      and lower(rtrim(trim(fields.field_key), ':')) not in (select category_name from categories)
      and rtrim(trim(fields.field_key), ':') <> 'Asset'

),

distinct_names as (

    -- a field name asked twice in one document would be ambiguous: keep names seen once
    select *
    from candidates
    qualify count(*) over (partition by asset_id, lower(field_name)) = 1

),

picked as (

    select
        *,
        row_number() over (
            partition by asset_id
            order by {{ stable_pick("asset_id || ':field:' || field_index", 1000003) }}, field_index
        ) as pick_rank

    from distinct_names

),

final as (

    select
        asset_id || ':document_qa:' || field_index as sample_key,
        'document_qa' as task_type,
        '' as question_kind,
        'document_image' as asset_type,
        [asset_id] as source_asset_ids,
        full_text as ocr_text,
        field_name,
        field_value as expected_value,
        map {'field': field_name, 'value': field_value} as fills_en,
        map {'field': field_name, 'value': field_value} as fills_zh

    from picked
    where pick_rank <= {{ var('document_qa_max_per_document') }}

)

select * from final
