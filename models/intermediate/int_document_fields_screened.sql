-- Every key field of every pool document, in its printed form, and whether it may be
-- asked about (refusal_rule null) or which rule refuses it. The printed form: a form
-- field's label and value rebuilt from their words' boxes (int_form_entities_respaced);
-- letters in the case the page prints them, taken from the transcript when it keeps case
-- (it has lower-case letters), else from the OCR text, where the value matches
-- case-insensitively (SROIE's key files and box transcripts write everything in capitals).
-- Rules, in the order they are tried:
-- label_refusal / value_refusal (macros/document_fields.sql), then
--   label_spacing, value_spacing  a space inside a token (spacing_artefacts) that the
--                        printed line (OCR) does not show
--   case_not_on_page     letters whose printed case cannot be found on the page
--   label_repeated       the label occurs twice with different values (refused or not):
--                        which one is meant? (the same label and value is kept once)
-- A form question linked to several answers is ONE field (field_index: its first link's)
-- whose value joins every answer in reading order (int_form_answers_ordered) with
-- answer_separator() ("A; B"); the rules above are tried on each answer, and the value
-- rules on the joined value too: the field is refused by the first rule any of them breaks.
with

documents as (

    select * from {{ ref('int_documents_profiled') }}

),

fields as (

    select * from {{ ref('stg_documents__fields') }}

),

entities as (

    select * from {{ ref('int_form_entities_respaced') }}

),

ordered as (

    select * from {{ ref('int_form_answers_ordered') }}

),

ocr as (

    -- the latest OCR text per asset
    select * from {{ ref('int_ocr_texts_assembled') }}

),

names as (

    select * from {{ ref('stg_seeds__document_field_names') }}

),

printed as (

    select
        fields.asset_id,
        documents.source,
        documents.layout,
        fields.field_index,
        fields.field_key as raw_key,
        fields.field_value as raw_value,
        coalesce(ordered.key_line_index::varchar, 'field ' || fields.field_index) as field_group,
        coalesce(ordered.answer_rank, 1) as answer_rank,
        trim(rtrim(trim(coalesce(key_entity.text, fields.field_key)), ':')) as field_name,
        trim(coalesce(value_entity.text, fields.field_value)) as spaced_value,
        coalesce(ocr.ocr_text, '') as ocr_text,
        documents.full_text,
        regexp_matches(documents.full_text, '[a-z]') as is_transcript_cased

    from fields
    inner join documents on documents.asset_id = fields.asset_id
    left join entities as key_entity
        on key_entity.asset_id = fields.asset_id
        and key_entity.line_index = fields.key_line_index
        and fields.field_origin = 'question_answer_link'
    left join entities as value_entity
        on value_entity.asset_id = fields.asset_id
        and value_entity.line_index = fields.value_line_index
        and fields.field_origin = 'question_answer_link'
    left join ordered
        on ordered.asset_id = fields.asset_id
        and ordered.field_index = fields.field_index
    left join ocr on ocr.asset_id = fields.asset_id

),

located as (

    -- where the value's characters (spaces aside) occur case-insensitively in the OCR
    -- text and in the transcript, as 1-based positions in their compact forms (0: absent)
    select
        *,
        {{ compact('spaced_value') }} as value_compact,
        {{ compact('ocr_text') }} as ocr_compact,
        {{ compact('full_text') }} as transcript_compact,
        lower(spaced_value) <> upper(spaced_value) as has_cased_letters

    from printed

),

matched as (

    select
        *,
        strpos(lower(ocr_compact), lower(value_compact)) as ocr_position,
        case
            when is_transcript_cased
                then strpos(lower(transcript_compact), lower(value_compact))
            else 0
        end as transcript_position

    from located

),

cased as (

    select
        *,
        case
            when not has_cased_letters then 'no_letters'
            when transcript_position > 0 then 'transcript'
            when ocr_position > 0 then 'ocr'
        end as case_source,
        case
            when not has_cased_letters then value_compact
            when transcript_position > 0
                then substr(transcript_compact, transcript_position, length(value_compact))
            when ocr_position > 0
                then substr(ocr_compact, ocr_position, length(value_compact))
            else value_compact
        end as printed_compact

    from matched

),

respelled as (

    -- the printed characters put back into the value's own spacing: character i of the
    -- value is a space, or the next character of printed_compact
    select
        *,
        array_to_string(list_transform(
            range(1, length(spaced_value) + 1),
            lambda i: case
                when regexp_matches(substr(spaced_value, i, 1), '\s')
                    then substr(spaced_value, i, 1)
                else substr(
                    printed_compact,
                    i - length(regexp_replace(left(spaced_value, i), '\S', '', 'g')), 1
                )
            end
        ), '') as field_value

    from cased

),

ruled as (

    select
        respelled.*,
        names.field_role,
        names.name_zh as field_name_zh,
        coalesce(
            {{ label_refusal('respelled.field_name') }},
            {{ value_refusal('respelled.field_value') }},
            case
                when
                    len({{ spacing_artefacts('respelled.field_name') }}) > 0
                    and not contains(
                        {{ fold_spaced('respelled.ocr_text') }},
                        {{ fold_spaced('respelled.field_name') }}
                    )
                    then 'label_spacing'
            end,
            case
                when
                    len({{ spacing_artefacts('respelled.field_value') }}) > 0
                    and not contains(
                        {{ fold_spaced('respelled.ocr_text') }},
                        {{ fold_spaced('respelled.field_value') }}
                    )
                    then 'value_spacing'
            end,
            case when respelled.case_source is null then 'case_not_on_page' end
        ) as value_rule

    from respelled
    left join names
        on names.layout = respelled.layout
        and names.field_name = lower(respelled.field_name)

),

joined as (

    -- one row per field: a question's answers in reading order, the first rule any breaks
    select
        asset_id,
        min(field_index) as field_index,
        any_value(source) as source,
        any_value(layout) as layout,
        any_value(field_name) as field_name,
        string_agg(field_value, {{ answer_separator() }} order by answer_rank) as field_value,
        any_value(raw_key) as raw_key,
        string_agg(raw_value, {{ answer_separator() }} order by answer_rank) as raw_value,
        count(*) as answer_count,
        any_value(field_role) as field_role,
        any_value(field_name_zh) as field_name_zh,
        list(case_source order by answer_rank)[1] as case_source,
        (list(value_rule order by answer_rank) filter (where value_rule is not null))[1]
            as part_rule

    from ruled
    group by asset_id, field_group

),

rejoined as (

    select
        * exclude (part_rule),
        coalesce(
            part_rule,
            case when answer_count > 1 then {{ value_refusal('field_value') }} end
        ) as value_rule

    from joined

),

repeated as (

    select
        *,
        count(distinct {{ fold_spaced('field_value') }}) over same_label
            as distinct_value_count,
        row_number() over (
            partition by asset_id, lower(field_name), value_rule is null
            order by field_index
        ) as label_rank

    from rejoined
    window same_label as (partition by asset_id, lower(field_name))

),

final as (

    select
        asset_id,
        source,
        layout,
        field_index,
        field_name,
        field_value,
        raw_key,
        raw_value,
        answer_count,
        field_role,
        field_name_zh,
        case_source,
        coalesce(
            value_rule,
            case when distinct_value_count > 1 or label_rank > 1 then 'label_repeated' end
        ) as refusal_rule,
        coalesce(
            value_rule,
            case when distinct_value_count > 1 or label_rank > 1 then 'label_repeated' end
        ) is null as is_askable

    from repeated

)

select * from final
