-- document_qa: questions about a readable document's key fields (derived page fields,
-- SROIE's company/date/address/total, FUNSD's question->answer links, as selected by
-- int_document_fields_selected), answered with the value as the page prints it. A Chinese
-- question names the field in Chinese where the seed document_field_names gives a name,
-- else quotes the label as printed (the templates quote {field}). At most
-- var('document_qa_max_per_document') per document, chosen by a stable hash.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

fields as (

    select * from {{ ref('int_document_fields_selected') }}

),

candidates as (

    select
        fields.*,
        documents.full_text
    from fields
    inner join documents on documents.asset_id = fields.asset_id

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
        [{'field': field_name, 'value': field_value}] as stated_values,
        map {'field': field_name, 'value': field_value} as fills_en,
        map {'field': coalesce(field_name_zh, field_name), 'value': field_value} as fills_zh

    from picked
    where pick_rank <= {{ var('document_qa_max_per_document') }}

)

select * from final
