-- counting_visual_qa: "how many <category>?" for categories with non-crowd instances.
-- A category that also has a crowd region in the image is skipped: its true count is
-- unknowable. At most var('counting_max_per_image') categories per image: categories with
-- 2-10 instances first, then more than 10, then single instances, by a stable hash within
-- each band so that rebuilds ask the same questions. A question whose answer would be 1
-- is kept only for a stable var('counting_single_instance_fraction') of them, so that
-- "1" does not dominate the answers (it was 61% of them when every category was equal).
with

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

countable as (

    select
        *,
        row_number() over (
            partition by asset_id
            order by
                case
                    when instance_count between 2 and 10 then 0
                    when instance_count > 10 then 1
                    else 2
                end,
                {{ stable_pick("asset_id || ':' || category_id", 1000003) }},
                category_id
        ) as pick_rank

    from objects
    where
        instance_count > 0
        and not has_crowd_region

),

final as (

    select
        asset_id || ':count:' || category_id as sample_key,
        'counting_visual_qa' as task_type,
        '' as question_kind,
        'general_image' as asset_type,
        [asset_id] as source_asset_ids,
        category_id,
        instance_count as expected_count,
        map {
            'plural': category_name_plural_en,
            'noun': case
                when instance_count = 1 then category_name else category_name_plural_en
            end,
            'be': case when instance_count = 1 then 'is' else 'are' end,
            'count': cast(instance_count as varchar)
        } as fills_en,
        map {
            'name': category_name_zh,
            'measure': measure_word_zh,
            'count': cast(instance_count as varchar)
        } as fills_zh

    from countable
    where
        pick_rank <= {{ var('counting_max_per_image') }}
        and (
            instance_count > 1
            or {{ stable_fraction("'counting-single:' || asset_id || ':' || category_id") }}
            < {{ var('counting_single_instance_fraction') }}
        )

)

select * from final
