-- One row per (general image, category present in it): how many non-crowd instances,
-- whether a crowd region hides an unknown number more, and where the largest instance
-- sits on a 3x3 grid of the image. Category names come with their English plural and
-- Chinese name and measure word.
with

annotations as (

    select * from {{ ref('int_annotations_normalized') }}

),

category_names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by asset_id, category_id
            order by is_crowd asc, bbox_w_px * bbox_h_px desc, annotation_id
        ) as size_rank

    from annotations

),

counted as (

    select
        asset_id,
        coco_image_id,
        category_id,
        any_value(category_name) as category_name,
        count(*) filter (where not is_crowd) as instance_count,
        bool_or(is_crowd) as has_crowd_region,
        max(bbox_w_px * bbox_h_px) filter (where not is_crowd) as largest_area_px,
        any_value((grid_ymin + grid_ymax) / 2.0) filter (where size_rank = 1)
            as largest_center_y_grid,
        any_value((grid_xmin + grid_xmax) / 2.0) filter (where size_rank = 1)
            as largest_center_x_grid

    from ranked
    group by asset_id, coco_image_id, category_id

),

positioned as (

    select
        counted.*,
        case
            when largest_center_y_grid < 1000 / 3 then 0
            when largest_center_y_grid < 2000 / 3 then 1
            else 2
        end * 3
        + case
            when largest_center_x_grid < 1000 / 3 then 0
            when largest_center_x_grid < 2000 / 3 then 1
            else 2
        end as position_cell

    from counted

),

named as (

    select
        positioned.*,
        coalesce(names.category_name_singular_en, positioned.category_name)
            as category_name_singular_en,
        coalesce(names.category_name_plural_en, en_plural(positioned.category_name))
            as category_name_plural_en,
        coalesce(names.category_name_zh, positioned.category_name) as category_name_zh,
        coalesce(names.measure_word_zh, '个') as measure_word_zh,
        [
            'at the top left', 'at the top', 'at the top right',
            'on the left', 'in the center', 'on the right',
            'at the bottom left', 'at the bottom', 'at the bottom right'
        ][position_cell + 1
        ] as position_en,
        ['左上方', '上方', '右上方', '左侧', '中央', '右侧', '左下方', '下方', '右下方'][position_cell + 1]
            as position_zh

    from positioned
    left join category_names as names on names.category_name = positioned.category_name

),

phrased as (

    -- how a sentence states the category's count: "1 pair of skis", "3 people", "many
    -- people" (a crowd region); "3只狗", "许多人"
    select
        *,
        case
            when has_crowd_region then 'many ' || category_name_plural_en
            else {{ en_count('instance_count', 'category_name_singular_en',
                'category_name_plural_en') }}
        end as count_phrase_en,
        case
            when has_crowd_region then '许多' || category_name_zh
            else instance_count || measure_word_zh || category_name_zh
        end as count_phrase_zh

    from named

)

select * from phrased
