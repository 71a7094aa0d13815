{{ config(enabled=var('quality_audit_documents', true)) }}
-- ocr_summary and document_qa against the document, value by value. Both tasks list the
-- values they state (stated_values: a document answer states one, a summary several); a
-- document answer's value is read back from the answer TEXT, a summary's listed values
-- must each be in its text, and every value gets the same checks, with the normalisation macros of
-- macros/document_text.sql and the askable-value rules of macros/document_fields.sql
-- (all error type ocr_omission):
--   * document_answer / summary_value: the value reads word for word (case and whitespace
--     folded) in the page's printed text (form entities rebuilt from their word boxes),
--     and its characters (spaces aside) occur in the annotation as landed;
--   * value_field: a value stated for a field equals a landed value of a field of that
--     label (case and spaces folded);
--   * value_spacing: no space inside a token (spacing_artefacts) that the printed line
--     (the OCR text) does not show;
--   * value_case: letters in a case the page prints: the value occurs with its case in the
--     OCR text, or in the transcript when the transcript keeps case;
--   * value_degenerate: the value breaks an askable-value rule (value_refusal);
--   * zh_field_name: a Chinese sample names a field by a bare Latin label (outside “”);
--   * summary_numbers: every number of 2+ digits a summary states is in the document;
--   * a form question linked to several answers has ONE value, every answer in reading
--     order joined with answer_separator() (int_form_answers_ordered): value_field takes
--     the landed links joined that way as the truth (so naming only some answers fails),
--     and document_answer, value_spacing, value_case and value_degenerate check each part
--     (answer_parts) against the page, value_degenerate the whole value too;
--   * both: the page is readable by OCR (int_ocr_usability_resolved.char_recall at
--     least its usable_recall_threshold: the page's own read, or for a drawn page left
--     unread its layout sample's lowest). threshold_margin = char_recall - threshold.
-- A drawn page left unread is checked against the text it printed (int_ocr_texts_assembled).
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type in ('ocr_summary', 'document_qa')

),

documents as (

    select * from {{ ref('int_documents_profiled') }}

),

texts as (

    select * from {{ ref('stg_documents__texts') }}

),

fields as (

    select * from {{ ref('stg_documents__fields') }}

),

ordered as (

    select * from {{ ref('int_form_answers_ordered') }}

),

field_values as (

    -- each landed field's value; a form question's answers joined in reading order
    select
        fields.asset_id,
        fields.field_key,
        fields.field_value

    from fields
    anti join ordered
        on ordered.asset_id = fields.asset_id
        and ordered.field_index = fields.field_index

    union all

    select
        fields.asset_id,
        any_value(fields.field_key) as field_key,
        string_agg(
            fields.field_value, {{ answer_separator() }} order by ordered.answer_rank
        ) as field_value

    from fields
    inner join ordered
        on ordered.asset_id = fields.asset_id
        and ordered.field_index = fields.field_index
    group by fields.asset_id, ordered.key_line_index

),

field_truth as (

    -- each landed field label (a trailing ':' dropped), compact, with its values
    select
        asset_id,
        {{ fold_compact("rtrim(trim(field_key), ':')") }} as key_compact,
        list({{ fold_compact('field_value') }}) as values_compact

    from field_values
    group by all

),

ocr as (

    -- the latest OCR text per asset
    select * from {{ ref('int_ocr_texts_assembled') }}

),

usability as (

    -- the latest OCR run per asset, or an unread drawn page's layout sample
    select * from {{ ref('int_ocr_usability_resolved') }}

),

stated as (

    select
        samples.sample_id,
        samples.task_type,
        samples.language,
        samples.source_asset_ids[1] as asset_id,
        samples.question_text,
        samples.answer_text,
        stated_value.field as field_name,
        -- the answer's value is read from its TEXT: the stated list only names the field
        case samples.task_type
            when 'document_qa'
                then coalesce(
                    nullif(regexp_extract(
                        samples.answer_text,
                        'The document gives "(.+)" for ', 1
                    ), ''),
                    nullif(regexp_extract(samples.answer_text, '一项为“(.+)”。', 1), ''),
                    trim(samples.answer_text)
                )
            else stated_value.value
        end as stated_value

    from samples
    cross join unnest(coalesce(samples.stated_values, [])) as unnested (stated_value)

),

value_checks as (

    select
        stated.*,
        list_filter([
            case when not contains(stated.answer_text, stated.stated_value) then {
                'check': 'summary_value', 'error_type': 'ocr_omission',
                'evidence': '"' || stated.stated_value || '" is listed but not in the text'
            } end,
            case
                when
                    len(list_filter(
                        {{ answer_parts('stated.stated_value') }},
                        lambda part: not contains(
                            {{ fold_spaced('documents.printed_text') }},
                            {{ fold_spaced('part') }}
                        )
                        or not contains(
                            {{ fold_compact('texts.full_text') }},
                            {{ fold_compact('part') }}
                        )
                    )) > 0
                    then {
                        'check': case stated.task_type
                            when 'document_qa' then 'document_answer'
                            else 'summary_value'
                        end,
                        'error_type': 'ocr_omission',
                        'evidence': '"' || stated.stated_value || '" is not in the document text'
                    }
            end,
            case
                when
                    stated.field_name is not null
                    and not coalesce(list_contains(
                        field_truth.values_compact,
                        {{ fold_compact('stated.stated_value') }}
                    ), false)
                    then {
                        'check': 'value_field', 'error_type': 'ocr_omission',
                        'evidence': 'the document''s ' || stated.field_name || ' is not "'
                        || stated.stated_value || '"'
                    }
            end,
            case
                when
                    len(list_filter(
                        {{ answer_parts('stated.stated_value') }},
                        lambda part: len({{ spacing_artefacts('part') }}) > 0
                        and not contains(
                            {{ fold_spaced('ocr.ocr_text') }},
                            {{ fold_spaced('part') }}
                        )
                    )) > 0
                    then {
                        'check': 'value_spacing', 'error_type': 'ocr_omission',
                        'evidence': '"' || stated.stated_value
                        || '" has spaces the page does not print: '
                        || array_to_string({{ spacing_artefacts('stated.stated_value') }}, ' | ')
                    }
            end,
            case
                when
                    len(list_filter(
                        {{ answer_parts('stated.stated_value') }},
                        lambda part: lower(part) <> upper(part)
                        and not contains(
                            {{ compact('ocr.ocr_text') }},
                            {{ compact('part') }}
                        )
                        and not (
                            regexp_matches(texts.full_text, '[a-z]')
                            and contains(
                                {{ compact('texts.full_text') }},
                                {{ compact('part') }}
                            )
                        )
                    )) > 0
                    then {
                        'check': 'value_case', 'error_type': 'ocr_omission',
                        'evidence': '"' || stated.stated_value || '" is not printed in this case'
                    }
            end,
            case
                when
                    coalesce(
                        {{ value_refusal('stated.stated_value') }},
                        list_filter(
                            list_transform(
                                {{ answer_parts('stated.stated_value') }},
                                lambda part: {{ value_refusal('part') }}
                            ),
                            lambda rule: rule is not null
                        )[1]
                    ) is not null
                    then {
                        'check': 'value_degenerate', 'error_type': 'ocr_omission',
                        'evidence': '"' || stated.stated_value || '" is not a complete value ('
                        || coalesce(
                            {{ value_refusal('stated.stated_value') }},
                            list_filter(
                                list_transform(
                                    {{ answer_parts('stated.stated_value') }},
                                    lambda part: {{ value_refusal('part') }}
                                ),
                                lambda rule: rule is not null
                            )[1]
                        ) || ')'
                    }
            end,
            case
                when
                    stated.language = 'zh' and stated.field_name is not null
                    and regexp_matches(stated.field_name, '[A-Za-z]')
                    and contains(stated.question_text || stated.answer_text, stated.field_name)
                    and not contains(
                        stated.question_text || stated.answer_text,
                        '“' || stated.field_name || '”'
                    )
                    then {
                        'check': 'zh_field_name', 'error_type': 'format_error',
                        'evidence': 'the Chinese text names the field ' || stated.field_name
                        || ' in Latin letters outside quotation marks'
                    }
            end
        ], lambda check_result: check_result is not null) as failed_value_checks

    from stated
    left join documents on documents.asset_id = stated.asset_id
    left join texts on texts.asset_id = stated.asset_id
    left join ocr on ocr.asset_id = stated.asset_id
    left join field_truth
        on field_truth.asset_id = stated.asset_id
        and field_truth.key_compact = {{ fold_compact('stated.field_name') }}

),

per_sample as (

    select
        sample_id,
        count(*) as stated_value_count,
        count(*) filter (where len(failed_value_checks) > 0) as failed_value_count,
        flatten(list(failed_value_checks)) as failed_value_checks

    from value_checks
    group by sample_id

),

numbers as (

    select
        samples.sample_id,
        list_filter(
            regexp_extract_all(samples.answer_text, '\d{2,}'),
            lambda n: not contains(regexp_replace(texts.full_text, '\D', '', 'g'), n))
            as missing_numbers

    from samples
    left join texts on texts.asset_id = samples.source_asset_ids[1]

),

checked as (

    select
        samples.sample_id,
        samples.task_type,
        coalesce(per_sample.stated_value_count, 0) as stated_value_count,
        coalesce(per_sample.failed_value_count, 0) as failed_value_count,
        usability.char_recall,
        usability.usable_recall_threshold,
        round(usability.char_recall - usability.usable_recall_threshold, 9) as threshold_margin,
        list_concat(
            list_filter([
                case when texts.asset_id is null then {
                    'check': 'document_truth', 'error_type': 'ocr_omission',
                    'evidence': 'the document has no ground-truth text'
                } end,
                case
                    when
                        usability.asset_id is null
                        or not coalesce(usability.is_ocr_usable, false)
                        then {
                            'check': 'ocr_usability', 'error_type': 'ocr_omission',
                            'evidence': 'OCR reads '
                            || coalesce(round(usability.char_recall, 3)::varchar, 'no')
                            || ' of the characters (usable from '
                            || coalesce(usability.usable_recall_threshold::varchar, '?') || ')'
                        }
                end,
                case when per_sample.sample_id is null then {
                    'check': 'stated_values', 'error_type': 'ocr_omission',
                    'evidence': 'the sample states no value of the document'
                } end,
                case
                    when
                        samples.task_type = 'ocr_summary'
                        and len(numbers.missing_numbers) > 0
                        then {
                            'check': 'summary_numbers', 'error_type': 'ocr_omission',
                            'evidence': 'numbers not in the document: '
                            || array_to_string(numbers.missing_numbers, ', ')
                        }
                end
            ], lambda check_result: check_result is not null),
            coalesce(per_sample.failed_value_checks, [])
        ) as failed_checks

    from samples
    left join per_sample on per_sample.sample_id = samples.sample_id
    left join numbers on numbers.sample_id = samples.sample_id
    left join texts on texts.asset_id = samples.source_asset_ids[1]
    left join usability on usability.asset_id = samples.source_asset_ids[1]

),

final as (

    select
        *,
        array_to_string(list_sort(list_distinct(
            list_transform(failed_checks, lambda c: c.error_type)
        )), ',') as failed_error_types,
        array_to_string(list_sort(list_distinct(
            list_transform(failed_checks, lambda c: c.check)
        )), ',') as failed_check_names

    from checked

)

select * from final
