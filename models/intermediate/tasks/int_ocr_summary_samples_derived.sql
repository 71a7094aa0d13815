-- ocr_summary: one sample per readable document of the pool. The summary says what kind
-- of document it is, up to four of its key fields (as written), and its first line, all
-- from the ground truth and all visible on the page. `ocr_text` keeps the full text used.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

fields as (

    select * from {{ ref('int_document_fields_selected') }}

),

ranked_fields as (

    select
        *,
        row_number() over (partition by asset_id order by field_index) as field_rank

    from fields

),

key_fields as (

    select
        asset_id,
        list(field_name || ': ' || field_value order by field_index) filter (where field_rank <= 4)
            as field_phrases

    from ranked_fields
    group by asset_id

),

final as (

    select
        documents.asset_id || ':ocr_summary' as sample_key,
        'ocr_summary' as task_type,
        '' as question_kind,
        'document_image' as asset_type,
        [documents.asset_id] as source_asset_ids,
        documents.full_text as ocr_text,
        map {
            'summary': 'This is '
            || case when documents.kind_en[1] in ('a', 'e', 'i', 'o', 'u') then 'an ' else 'a ' end
            || documents.kind_en || '.'
            || case
                when len(coalesce(key_fields.field_phrases, [])) > 0
                    then
                        ' Key information: '
                        || array_to_string(key_fields.field_phrases, '; ')
                        || '.'
                else ''
            end
            || case
                when documents.first_line is not null
                    then ' It begins with "' || trim(documents.first_line) || '".'
                else ''
            end
        } as fills_en,
        map {
            'summary': '这是一份' || documents.kind_zh || '。'
            || case
                when len(coalesce(key_fields.field_phrases, [])) > 0
                    then '关键信息：' || array_to_string(key_fields.field_phrases, '；') || '。'
                else ''
            end
            || case
                when documents.first_line is not null
                    then '第一行是“' || trim(documents.first_line) || '”。'
                else ''
            end
        } as fills_zh

    from documents
    left join key_fields on key_fields.asset_id = documents.asset_id

)

select * from final
