{%- set hash_vars = ['counting_max_per_image', 'counting_single_instance_fraction'] -%}
{{ keyed_incremental('int_image_boxes_hashed', 'asset_id', 'source_asset_ids[1]', vars=hash_vars) }}
-- counting_visual_qa: "how many <category>?" for categories with non-crowd instances.
-- A category that also has a crowd region in the image is skipped: its true count is
-- unknowable. At most var('counting_max_per_image') categories per image: categories with
-- 2-10 instances first, then more than 10, then single instances, by a stable hash within
-- each band so that rebuilds ask the same questions. A question whose answer would be 1
-- is kept only for a stable var('counting_single_instance_fraction') of them, so that
-- "1" does not dominate the answers (it was 61% of them when every category was equal).
-- Built incrementally per image: an incremental run derives only the images whose boxes
-- or their counts changed (int_image_boxes_hashed, macros/incremental.sql); every row
-- keeps its image's inputs_hash. An image with no question is derived again in every run.
with

hashed as (

    {{ keyed_inputs_hash('int_image_boxes_hashed', 'asset_id', hash_vars) }}

),

changed_assets as (

    {{ changed_keys('hashed', 'asset_id', 'source_asset_ids[1]') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

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

),

hashed_samples as (

    {{ with_inputs_hash('final', 'source_asset_ids[1]') }}

)

select * from hashed_samples
