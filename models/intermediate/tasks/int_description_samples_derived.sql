-- image_description: one sample per general image with at least one non-crowd object.
-- A landed re-caption (stage recaption) is preferred as the English answer.
-- The answer lists every category with its count (largest counts first; a category with
-- a crowd region is "many"), then where the largest instance of the three most present
-- categories sits.
with

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

model_answers as (

    select * from {{ ref('int_model_answers_selected') }}
    where stage = 'recaption'

),

phrased as (

    select
        *,
        case
            when has_crowd_region then 'many ' || category_name_plural_en
            when instance_count = 1
                then
                    case
                        when
                            category_name in ('skis', 'scissors')
                            then 'a pair of ' || category_name
                        else '1 ' || category_name
                    end
            else instance_count || ' ' || category_name_plural_en
        end as count_phrase_en,
        case
            when has_crowd_region then '许多' || category_name_zh
            else instance_count || measure_word_zh || category_name_zh
        end as count_phrase_zh,
        case
            when instance_count = 1 and not has_crowd_region then 'The ' || category_name
            else 'The largest ' || category_name
        end || ' is ' || position_en || '.' as layout_phrase_en,
        case
            when instance_count = 1 and not has_crowd_region then category_name_zh
            else '最大的那' || measure_word_zh || category_name_zh
        end || '位于画面' || position_zh || '。' as layout_phrase_zh,
        row_number() over (
            partition by asset_id
            order by instance_count desc, largest_area_px desc nulls last, category_name asc
        ) as prominence_rank

    from objects
    where instance_count > 0 or has_crowd_region

),

per_image as (

    select
        asset_id,
        list(count_phrase_en order by prominence_rank) as count_phrases_en,
        list(count_phrase_zh order by prominence_rank) as count_phrases_zh,
        list(layout_phrase_en order by prominence_rank) filter (
            where prominence_rank <= 3 and instance_count > 0
        ) as layout_phrases_en,
        list(layout_phrase_zh order by prominence_rank) filter (
            where prominence_rank <= 3 and instance_count > 0
        ) as layout_phrases_zh,
        sum(instance_count) as object_count

    from phrased
    group by asset_id
    having sum(instance_count) > 0

),

final as (

    select
        asset_id || ':description' as sample_key,
        'image_description' as task_type,
        '' as question_kind,
        'general_image' as asset_type,
        [asset_id] as source_asset_ids,
        map {
            'objects': 'The image shows ' || {{ human_list('count_phrases_en', 'en') }} || '.',
            'layout': array_to_string(layout_phrases_en, ' ')
        } as fills_en,
        map {
            'objects': '图中有' || {{ human_list('count_phrases_zh', 'zh') }} || '。',
            'layout': array_to_string(layout_phrases_zh, '')
        } as fills_zh,
        model_answers.model_answer_text,
        model_answers.generation_request_hash,
        model_answers.generation_model

    from per_image
    left join model_answers on model_answers.item_id = per_image.asset_id

)

select * from final
