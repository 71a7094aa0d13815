{{ per_sample_incremental() }}
-- Structural checks of every candidate sample, whatever its task: required fields, no
-- unfilled {placeholder}, a two-turn human -> gpt conversation whose gpt turn is the
-- answer and whose human turn ends with the question, one <image> token per image (none
-- in the answer), image paths that are the sample's assets in the same order, distinct
-- images in a multi-image sample, and a question in the sample's language.
-- failed_checks holds one {check, error_type, evidence} per failed check: format_error,
-- except image paths out of order in a multi-image sample (multi_image_confusion).
with

templated as (

    select * from {{ ref('int_samples_templated') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

sample_images as (

    {{ image_positions('templated', 'sample_id') }}

),

expected_paths as (

    select
        sample_images.sample_id,
        list(assets.source || '/' || assets.relative_path order by sample_images.position)
            as expected_image_paths

    from sample_images
    left join assets on assets.asset_id = sample_images.asset_id
    group by sample_images.sample_id

),

hashed as (

    -- everything a sample's checks read: the sample's own columns below and the paths
    -- of its assets
    select
        templated.*,
        expected_paths.expected_image_paths,
        md5(hash({
            'task_type': templated.task_type,
            'asset_type': templated.asset_type,
            'language': templated.language,
            'template_id': templated.template_id,
            'question_text': templated.question_text,
            'answer_text': templated.answer_text,
            'source_asset_ids': templated.source_asset_ids,
            'image_paths': templated.image_paths,
            'image_count': templated.image_count,
            'conversations': templated.conversations,
            'expected_image_paths': expected_paths.expected_image_paths,
            'code': '{{ model.checksum.checksum }}'
        })::varchar) as inputs_hash

    from templated
    left join expected_paths on expected_paths.sample_id = templated.sample_id

),

samples as (

    {{ with_changed_inputs('hashed') }}

),

turns as (

    select
        samples.*,
        samples.conversations[1]['from'] as first_turn_from,
        samples.conversations[1]['value'] as human_turn,
        samples.conversations[2]['from'] as second_turn_from,
        samples.conversations[2]['value'] as gpt_turn

    from samples

),

checked as (

    select
        sample_id,
        task_type,
        coalesce(
            sample_id is not null and task_type is not null and asset_type is not null
            and language is not null and template_id is not null
            and nullif(trim(question_text), '') is not null
            and nullif(trim(answer_text), '') is not null
            and len(source_asset_ids) >= 1 and len(image_paths) = len(source_asset_ids)
            and image_count = len(source_asset_ids),
            false
        ) as has_required_fields,
        not coalesce(regexp_matches(
            concat_ws(chr(10), question_text, answer_text, human_turn, gpt_turn),
            '\{[A-Za-z_][A-Za-z0-9_]*\}'
        ), false) as is_placeholder_free,
        coalesce(
            len(conversations) = 2 and first_turn_from = 'human' and second_turn_from = 'gpt'
            and gpt_turn = answer_text and ends_with(human_turn, question_text),
            false
        ) as is_conversation_well_formed,
        (length(human_turn) - length(replace(human_turn, '<image>', '')))
        // length('<image>') as image_token_count,
        coalesce(
            (length(human_turn) - length(replace(human_turn, '<image>', ''))) // length('<image>')
            = image_count
            and not contains(gpt_turn, '<image>') and not contains(question_text, '<image>'),
            false
        ) as is_image_token_count_ok,
        coalesce(image_paths = expected_image_paths, false) as is_image_order_consistent,
        coalesce(
            image_count < 2 or len(list_distinct(source_asset_ids)) = len(source_asset_ids),
            false
        ) as has_distinct_images,
        coalesce(
            task_type <> 'multi_image_comparison' or len(source_asset_ids) >= 2,
            false
        ) as has_enough_images,
        coalesce(
            (language = 'zh' and regexp_matches(question_text, '\p{Han}'))
            or (language = 'en' and not regexp_matches(question_text, '\p{Han}')),
            false
        ) as is_language_consistent,
        image_count,
        image_paths,
        expected_image_paths,
        inputs_hash

    from turns

),

flagged as (

    select
        *,
        list_filter([
            case when not has_required_fields then {
                'check': 'required_fields', 'error_type': 'format_error',
                'evidence': 'a required field is missing or empty, '
                || 'or image lists disagree in length'
            } end,
            case when not is_placeholder_free then {
                'check': 'placeholders', 'error_type': 'format_error',
                'evidence': 'an unfilled {placeholder} remains in the question, '
                || 'answer or conversation'
            } end,
            case when not is_conversation_well_formed then {
                'check': 'conversation', 'error_type': 'format_error',
                'evidence': 'the conversation is not human -> gpt with the question and the answer'
            } end,
            case when not is_image_token_count_ok then {
                'check': 'image_tokens', 'error_type': 'format_error',
                'evidence': coalesce(image_token_count, 0)
                || ' <image> token(s) in the human turn for '
                || coalesce(image_count, 0) || ' image(s), or one in the question or answer'
            } end,
            case when not is_image_order_consistent then {
                'check': 'image_order',
                'error_type': case
                    when image_count >= 2 then 'multi_image_confusion' else 'format_error'
                end,
                'evidence': 'image paths ' || coalesce(cast(image_paths as varchar), 'NULL')
                || ' are not the assets in order '
                || coalesce(cast(expected_image_paths as varchar), 'NULL')
            } end,
            case when not has_distinct_images then {
                'check': 'distinct_images', 'error_type': 'multi_image_confusion',
                'evidence': 'the same image appears twice in a multi-image sample'
            } end,
            case when not has_enough_images then {
                'check': 'image_count', 'error_type': 'format_error',
                'evidence': 'a comparison sample with fewer than two images'
            } end,
            case when not is_language_consistent then {
                'check': 'language', 'error_type': 'format_error',
                'evidence': 'the question is not written in the sample''s language'
            } end
        ], lambda check_result: check_result is not null) as failed_checks

    from checked

),

final as (

    select
        *,
        array_to_string(
            list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type))), ','
        ) as failed_error_types

    from flagged

)

select * from final
