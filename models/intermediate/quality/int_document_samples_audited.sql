{{ config(enabled=var('quality_audit_documents', true)) }}
-- ocr_summary and document_qa against the documents' ground-truth text, from the TEXT
-- only, against stg_documents__texts, stg_documents__fields and stg_ocr__usability. On
-- unless var('quality_audit_documents') is false (then int_samples_audited fails every
-- document sample with ground_truth_unchecked). Checks (all ocr_omission):
--   * document_qa: the value the answer gives ("The document gives "V" for F." /
--     文档中“F”一项为“V”。 / the bare answer) appears in the document's full text
--     (case and whitespace folded), and equals the landed field value when the question's
--     field is a known key;
--   * ocr_summary: every number of 2+ digits the summary states appears in the full text,
--     and at least one key field value of the document is mentioned;
--   * both: the page is readable by OCR (ocr_usability.char_recall at least its
--     usable_recall_threshold). threshold_margin = char_recall - threshold.
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type in ('ocr_summary', 'document_qa')

),

texts as (

    select * from {{ ref('stg_documents__texts') }}

),

fields as (

    select * from {{ ref('stg_documents__fields') }}

),

usability as (

    -- the latest OCR run per asset
    select * from {{ ref('stg_ocr__usability') }}
    qualify row_number() over (partition by asset_id order by ingested_at desc, engine asc) = 1

),

parsed as (

    select
        sample_id,
        task_type,
        source_asset_ids[1] as asset_id,
        answer_text,
        coalesce(
            nullif(regexp_extract(answer_text, 'The document gives "(.+)" for ', 1), ''),
            nullif(regexp_extract(answer_text, '一项为“(.+)”。', 1), ''),
            trim(answer_text)
        ) as answer_value,
        coalesce(
            nullif(regexp_extract(question_text, 'what is the (.+)\?$', 1), ''),
            nullif(regexp_extract(question_text, 'What is written for "(.+)"\?', 1), ''),
            nullif(regexp_extract(question_text, '根据这份文档，(.+)是什么？', 1), ''),
            nullif(regexp_extract(question_text, '文档中“(.+)”一项', 1), '')
        ) as question_field

    from samples

),

folded as (

    select
        parsed.*,
        lower(regexp_replace(texts.full_text, '\s+', ' ', 'g')) as folded_text,
        lower(regexp_replace(parsed.answer_value, '\s+', ' ', 'g')) as folded_value,
        texts.asset_id is not null as has_text

    from parsed
    left join texts on texts.asset_id = parsed.asset_id

),

field_checks as (

    select
        folded.sample_id,
        bool_or(lower(fields.field_key) = lower(folded.question_field)) as is_known_field,
        bool_or(
            lower(fields.field_key) = lower(folded.question_field)
            and lower(regexp_replace(fields.field_value, '\s+', ' ', 'g')) = folded.folded_value)
            as matches_field,
        count(fields.field_value) filter (
            where contains(lower(folded.answer_text), lower(fields.field_value))
        ) as mentioned_field_count,
        count(fields.field_value) as field_count

    from folded
    left join fields on fields.asset_id = folded.asset_id
    group by folded.sample_id

),

numbers as (

    select
        sample_id,
        list_filter(
            regexp_extract_all(answer_text, '\d{2,}'),
            lambda n: not contains(regexp_replace(folded_text, '\D', '', 'g'), n)
        ) as missing_numbers

    from folded

),

checked as (

    select
        folded.sample_id,
        folded.task_type,
        folded.answer_value,
        folded.question_field,
        usability.char_recall,
        usability.usable_recall_threshold,
        round(usability.char_recall - usability.usable_recall_threshold, 9) as threshold_margin,
        list_filter([
            case when not folded.has_text then {
                'check': 'document_truth', 'error_type': 'ocr_omission',
                'evidence': 'the document has no ground-truth text'
            } end,
            case
                when
                    usability.asset_id is null or not coalesce(usability.is_ocr_usable, false)
                    then {
                        'check': 'ocr_usability', 'error_type': 'ocr_omission',
                        'evidence': 'OCR reads '
                        || coalesce(round(usability.char_recall, 3)::varchar, 'no')
                        || ' of the characters (usable from '
                        || coalesce(usability.usable_recall_threshold::varchar, '?')
                        || ')'
                    }
            end,
            case
                when
                    folded.task_type = 'document_qa' and folded.has_text
                    and not contains(folded.folded_text, folded.folded_value)
                    then {
                        'check': 'document_answer', 'error_type': 'ocr_omission',
                        'evidence': 'the answer "'
                        || folded.answer_value
                        || '" is not in the document text'
                    }
            end,
            case
                when
                    folded.task_type = 'document_qa' and field_checks.is_known_field
                    and not field_checks.matches_field
                    then {
                        'check': 'document_field', 'error_type': 'ocr_omission',
                        'evidence': 'the document''s '
                        || folded.question_field
                        || ' is not "'
                        || folded.answer_value
                        || '"'
                    }
            end,
            case when folded.task_type = 'ocr_summary' and len(numbers.missing_numbers) > 0 then {
                'check': 'summary_numbers', 'error_type': 'ocr_omission',
                'evidence': 'numbers not in the document: '
                || array_to_string(numbers.missing_numbers, ', ')
            } end,
            case
                when
                    folded.task_type = 'ocr_summary' and field_checks.field_count > 0
                    and field_checks.mentioned_field_count = 0
                    then {
                        'check': 'summary_fields', 'error_type': 'ocr_omission',
                        'evidence': 'the summary mentions none of the document''s '
                        || field_checks.field_count
                        || ' key field values'
                    }
            end
        ], lambda check_result: check_result is not null) as failed_checks

    from folded
    left join field_checks on field_checks.sample_id = folded.sample_id
    left join numbers on numbers.sample_id = folded.sample_id
    left join usability on usability.asset_id = folded.asset_id

),

final as (

    select
        *,
        array_to_string(
            list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type))), ','
        ) as failed_error_types

    from checked

)

select * from final
