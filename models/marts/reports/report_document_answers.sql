-- The figures a reader of the page cares about, measured on the SHIPPED document samples
-- (ocr_summary and document_qa in the samples mart) and on every landed document:
--   shipped_document_samples             document samples in the dataset
--   answers_with_spacing_artefacts       samples whose answer has a space inside a token
--                                        (spacing_artefacts) that the OCR text lacks
--   degenerate_answers                   document_qa samples whose value breaks an
--                                        askable-value rule or whose label breaks an
--                                        askable-label rule
--   zh_samples_with_bare_latin_field_names  Chinese samples naming a field in Latin letters
--                                        outside quotation marks
--   summary_values_failing_qa_audit      values stated by shipped summaries that are not
--                                        askable fields or fail a document-QA value check
--   real_documents_landed / real_documents_in_dataset
--   real_documents_dropped_without_reason  real documents with disposition 'unexplained'
with

samples as (

    select * from {{ ref('samples') }}
    where task_type in ('ocr_summary', 'document_qa')

),

templated as (

    select
        sample_id,
        stated_values
    from {{ ref('int_samples_templated') }}

),

audited as (

    select * from {{ ref('int_document_samples_audited') }}

),

screened as (

    select * from {{ ref('int_document_fields_screened') }}

),

dispositions as (

    select * from {{ ref('document_dispositions') }}

),

ocr as (

    -- the latest OCR text per asset
    select * from {{ ref('int_ocr_texts_assembled') }}

),

shipped as (

    select
        samples.sample_id,
        samples.task_type,
        samples.language,
        samples.source_asset_ids[1] as asset_id,
        samples.question_text,
        samples.answer_text,
        coalesce(templated.stated_values, []) as stated_values,
        {{ fold_spaced('ocr.ocr_text') }} as ocr_folded

    from samples
    inner join templated on templated.sample_id = samples.sample_id
    left join ocr on ocr.asset_id = samples.source_asset_ids[1]

),

stated as (

    select
        shipped.*,
        stated_value.field as field_name,
        stated_value.value as stated_value
    from shipped
    cross join unnest(shipped.stated_values) as unnested (stated_value)

),

spacing as (

    select count(*) as sample_count
    from shipped
    where len(list_filter(
        {{ spacing_artefacts('answer_text') }},
        lambda spot: not contains(ocr_folded, lower(spot))
    )) > 0

),

degenerate as (

    select count(distinct sample_id) as sample_count
    from stated
    where
        task_type = 'document_qa'
        and (
            {{ value_refusal('stated_value') }} is not null
            or {{ label_refusal('field_name') }} is not null
        )

),

bare_latin as (

    select count(distinct sample_id) as sample_count
    from stated
    where
        language = 'zh'
        and regexp_matches(field_name, '[A-Za-z]')
        and contains(question_text || answer_text, field_name)
        and not contains(question_text || answer_text, '“' || field_name || '”')

),

summary_values as (

    select count(*) as value_count
    from stated
    where
        task_type = 'ocr_summary'
        and (
            (field_name is not null and not exists (
                select 1 from screened
                where
                    screened.asset_id = stated.asset_id
                    and screened.is_askable
                    and screened.field_name = stated.field_name
                    and screened.field_value = stated.stated_value
            ))
            or exists (
                select 1 from audited, unnest(audited.failed_checks) as failed (failed_check)
                where
                    audited.sample_id = stated.sample_id
                    and failed.failed_check.check in (
                        'summary_value', 'value_field', 'value_spacing', 'value_case',
                        'value_degenerate'
                    )
                    and contains(failed.failed_check.evidence, stated.stated_value)
            )
        )

),

real_documents as (

    select
        count(*) as landed_count,
        count(*) filter (where disposition = 'in_dataset') as in_dataset_count,
        count(*) filter (where disposition = 'unexplained') as unexplained_count

    from dispositions
    where not is_derived

),

final as (

    select
        'shipped_document_samples' as metric,
        (select count(*) from shipped) as value
    union all
    select
        'answers_with_spacing_artefacts' as metric,
        sample_count as value
    from spacing
    union all
    select
        'degenerate_answers' as metric,
        sample_count as value
    from degenerate
    union all
    select
        'zh_samples_with_bare_latin_field_names' as metric,
        sample_count as value
    from bare_latin
    union all
    select
        'summary_values_failing_qa_audit' as metric,
        value_count as value
    from summary_values
    union all
    select
        'real_documents_landed' as metric,
        landed_count as value
    from real_documents
    union all
    select
        'real_documents_in_dataset' as metric,
        in_dataset_count as value
    from real_documents
    union all
    select
        'real_documents_dropped_without_reason' as metric,
        unexplained_count as value
    from real_documents

)

select * from final
