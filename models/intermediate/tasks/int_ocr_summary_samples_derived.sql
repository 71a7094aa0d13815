-- ocr_summary: one sample per readable document of the pool, written as a person would
-- summarise the page: what kind of document it is, its title (a form's header), who
-- issued it, its reference and date, what it is about and its total, where the page has
-- them as askable fields (int_document_fields_selected, roles from the seed
-- document_field_names), then up to two other askable fields in a sentence. Page stamps
-- and noise are never quoted: nothing comes from "the first line". Chinese summaries name
-- fields in Chinese (or quote the printed label) and quote every value read off the page
-- (“...”: Latin text in Chinese only as quoted visible text); a value printed under two
-- labels is stated once, and English quotes the other fields' printed labels.
-- stated_values lists every value the summary states, for the audit to check one by one.
-- `ocr_text` keeps the full text used.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}
    where is_ocr_usable

),

fields as (

    select * from {{ ref('int_document_fields_selected') }}

),

roles as (

    select
        asset_id,
        arg_min(field_value, field_index) filter (where field_role = 'issuer') as issuer,
        arg_min(field_value, field_index) filter (where field_role = 'date') as date_value,
        arg_min(field_value, field_index) filter (where field_role = 'reference') as reference,
        arg_min(field_value, field_index) filter (where field_role = 'purpose') as purpose,
        arg_min(field_value, field_index) filter (where field_role = 'total') as total,
        list({'field': field_name, 'value': field_value} order by field_index) filter (
            where field_role in ('issuer', 'date', 'reference', 'purpose', 'total')
        ) as role_values

    from fields
    group by asset_id

),

others as (

    select
        asset_id,
        list_slice(list({
            'field': field_name,
            'name_zh': coalesce(field_name_zh, '“' || field_name || '”'),
            'value': field_value
        } order by field_index), 1, 2) as other_fields

    from (
        -- a value the page prints under two labels is stated once (a role field first)
        select * from fields
        qualify row_number() over (
            partition by asset_id, lower(field_value)
            order by field_role is null, field_index
        ) = 1
    ) as distinct_values
    where field_role is null
    group by asset_id

),

facts as (

    select
        documents.asset_id,
        documents.kind_en,
        documents.kind_zh,
        documents.full_text,
        documents.title,
        roles.issuer,
        roles.date_value,
        roles.reference,
        roles.purpose,
        roles.total,
        coalesce(others.other_fields, []) as other_fields,
        list_transform(
            coalesce(others.other_fields, []), lambda o: '"' || o.field || '" as ' || o.value
        ) as other_phrases_en,
        list_transform(
            coalesce(others.other_fields, []), lambda o: o.name_zh || '为“' || o.value || '”'
        ) as other_phrases_zh,
        list_concat(
            case
                when documents.title is not null
                    then [{'field': null::varchar, 'value': documents.title}]
                else []
            end,
            coalesce(roles.role_values, []),
            list_transform(
                coalesce(others.other_fields, []),
                lambda o: {'field': o.field, 'value': o.value}
            )
        ) as stated_values

    from documents
    left join roles on roles.asset_id = documents.asset_id
    left join others on others.asset_id = documents.asset_id

),

final as (

    select
        asset_id || ':ocr_summary' as sample_key,
        'ocr_summary' as task_type,
        '' as question_kind,
        'document_image' as asset_type,
        [asset_id] as source_asset_ids,
        full_text as ocr_text,
        stated_values,
        map {
            'summary': 'This is '
            || case when kind_en[1] in ('a', 'e', 'i', 'o', 'u') then 'an ' else 'a ' end
            || kind_en
            || coalesce(' titled "' || title || '"', '')
            || coalesce(' from ' || issuer, '')
            || coalesce(', reference ' || reference, '')
            || coalesce(', dated ' || date_value, '')
            || '.'
            || coalesce(' It is about ' || purpose || '.', '')
            || coalesce(' The total is ' || total || '.', '')
            || case
                when len(other_fields) > 0
                    then ' It lists ' || {{ human_list('other_phrases_en', 'en') }} || '.'
                else ''
            end
        } as fills_en,
        map {
            'summary': '这是一份'
            || coalesce('来自“' || issuer || '”的', '')
            || kind_zh
            || coalesce('，标题为“' || title || '”', '')
            || coalesce('，编号为“' || reference || '”', '')
            || coalesce('，日期为“' || date_value || '”', '')
            || '。'
            || coalesce('主题是“' || purpose || '”。', '')
            || coalesce('合计为“' || total || '”。', '')
            || case
                when len(other_fields) > 0
                    then '其中' || {{ human_list('other_phrases_zh', 'zh') }} || '。'
                else ''
            end
        } as fills_zh

    from facts

)

select * from final
