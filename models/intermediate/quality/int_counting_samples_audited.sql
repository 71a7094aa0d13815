-- counting_visual_qa against the annotations, from the TEXT only: the category is the
-- longest category term the question contains, the answer must hold exactly one number,
-- and that number must equal the image's non-crowd annotations of the category. A
-- category with a crowd region has no knowable count. The sample's own category_id and
-- expected_count columns are not used: a wrong answer text must be caught even when
-- they are right.
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type = 'counting_visual_qa'

),

question_categories as (

    select * from {{ ref('int_question_categories_matched') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

parsed as (

    select
        samples.sample_id,
        samples.source_asset_ids[1] as asset_id,
        question_categories.category_name as question_category,
        regexp_extract_all(samples.answer_text, '\d+') as answer_numbers

    from samples
    left join question_categories on question_categories.sample_id = samples.sample_id

),

compared as (

    select
        parsed.*,
        case when len(answer_numbers) = 1 then try_cast(answer_numbers[1] as bigint) end
            as answer_count,
        coalesce(objects.instance_count, 0) as true_count,
        coalesce(objects.has_crowd_region, false) as has_crowd_region

    from parsed
    left join objects
        on objects.asset_id = parsed.asset_id
        and objects.category_name = parsed.question_category

),

flagged as (

    select
        *,
        list_filter([
            case when question_category is null then {
                'check': 'count_question', 'error_type': 'format_error',
                'evidence': 'the question names no COCO category'
            } end,
            case when len(answer_numbers) <> 1 then {
                'check': 'count_answer', 'error_type': 'format_error',
                'evidence': 'the answer holds ' || len(answer_numbers) || ' numbers, not one'
            } end,
            case when question_category is not null and has_crowd_region then {
                'check': 'count_truth',
                'error_type': 'count_mismatch',
                'evidence': 'a crowd region hides how many '
                || question_category
                || ' the image holds'
            } end,
            case
                when
                    question_category is not null
                    and answer_count is not null
                    and answer_count <> true_count
                    then {
                        'check': 'count_value', 'error_type': 'count_mismatch',
                        'evidence': 'the answer says '
                        || answer_count
                        || ', the annotations hold '
                        || true_count
                        || ' non-crowd ' || question_category
                    }
            end
        ], lambda check_result: check_result is not null) as failed_checks

    from compared

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
