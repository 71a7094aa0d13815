{%- set hash_vars = [
    'grounding_min_gap_grid', 'grounding_min_side_grid', 'grounding_max_per_image'
] -%}
{%- set hash_upstream = ['int_grounding_referents_ranked'] -%}
{{ keyed_incremental('int_image_boxes_hashed', 'asset_id', 'source_asset_ids[1]',
    vars=hash_vars, upstream=hash_upstream) }}
-- region_grounding: at most var('grounding_max_per_image') objects per image, each an
-- unambiguous referent:
--   * "the dog": the only annotation of its category in the image (crowd regions count);
--   * "the leftmost dog" / "the rightmost dog": several instances, no crowd region, and
--     the extreme one's centre lies at least var('grounding_min_gap_grid') grid units
--     from the next one's, and its outer edge is the extreme edge too (the referent holds
--     by the box centre and by the edge alike).
-- The box must be non-crowd, not collapsed on the grid, and at least
-- var('grounding_min_side_grid') grid units on each side.
-- Built incrementally per image: an incremental run derives only the images whose boxes
-- changed (int_image_boxes_hashed, macros/incremental.sql); every row keeps its
-- image's inputs_hash. An image with no referent is derived again in every run.
with

hashed as (

    {{ keyed_inputs_hash('int_image_boxes_hashed', 'asset_id', hash_vars, hash_upstream) }}

),

changed_assets as (

    {{ changed_keys('hashed', 'asset_id', 'source_asset_ids[1]') }}

),

ranked as (

    -- each annotation with its category's count and crowd flag in the image, its
    -- left/right rank among the non-crowd instances and the runners-up's centres
    select * exclude (inputs_hash) from {{ ref('int_grounding_referents_ranked') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

referents as (

    select
        *,
        case
            when category_annotation_count = 1 then 'unique'
            when category_has_crowd then null
            when
                left_rank = 1
                and is_left_edge_extreme
                and second_left_center_x_grid - center_x_grid >= {{ var('grounding_min_gap_grid') }}
                then 'leftmost'
            when
                right_rank = 1
                and is_right_edge_extreme
                and center_x_grid - second_right_center_x_grid
                >= {{ var('grounding_min_gap_grid') }}
                then 'rightmost'
        end as referent_kind

    from ranked
    where
        not is_crowd
        and not is_grid_collapsed
        and grid_ymax - grid_ymin >= {{ var('grounding_min_side_grid') }}
        and grid_xmax - grid_xmin >= {{ var('grounding_min_side_grid') }}

),

picked as (

    select
        referents.*,
        names.category_name_zh,
        -- the English phrase for one instance: "pair of skis", never "skis is"
        coalesce(names.category_name_singular_en, referents.category_name)
            as category_phrase_en,
        row_number() over (
            partition by referents.asset_id
            order by referent_kind = 'unique' desc, bbox_w_px * bbox_h_px desc, annotation_id
        ) as pick_rank

    from referents
    left join {{ ref('stg_seeds__coco_category_names') }} as names
        on names.category_name = referents.category_name
    where referent_kind is not null

),

final as (

    select
        annotation_id || ':grounding' as sample_key,
        'region_grounding' as task_type,
        '' as question_kind,
        'general_image' as asset_type,
        [asset_id] as source_asset_ids,
        annotation_id,
        category_id,
        referent_kind,
        category_name,
        category_name_zh,
        grid_ymin,
        grid_xmin,
        grid_ymax,
        grid_xmax,
        '['
        || grid_ymin
        || ', '
        || grid_xmin
        || ', '
        || grid_ymax
        || ', '
        || grid_xmax
        || ']' as box_text,
        map {
            'referent': case referent_kind
                when 'unique' then 'the ' || category_phrase_en
                when 'leftmost' then 'the leftmost ' || category_phrase_en
                else 'the rightmost ' || category_phrase_en
            end,
            'Referent': case referent_kind
                when 'unique' then 'The ' || category_phrase_en
                when 'leftmost' then 'The leftmost ' || category_phrase_en
                else 'The rightmost ' || category_phrase_en
            end,
            'box': box_text,
            'box_format': '[ymin, xmin, ymax, xmax] normalized to 0-1000'
        } as fills_en,
        map {
            'referent': case referent_kind
                when 'unique' then coalesce(category_name_zh, category_name)
                when 'leftmost' then '最左边的' || coalesce(category_name_zh, category_name)
                else '最右边的' || coalesce(category_name_zh, category_name)
            end,
            'box': box_text,
            'box_format': '[ymin, xmin, ymax, xmax]（坐标归一化到0-1000）'
        } as fills_zh

    from picked
    where pick_rank <= {{ var('grounding_max_per_image') }}

),

hashed_samples as (

    {{ with_inputs_hash('final', 'source_asset_ids[1]') }}

)

select * from hashed_samples
