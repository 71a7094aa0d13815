{{ per_sample_incremental() }}
-- region_grounding against the annotations, from the TEXT only. The referent is read
-- from the question (the longest category term; "leftmost"/"rightmost", 最左边/最右边,
-- else the only one) and resolved among the image's annotations: "the dog" must be the
-- only dog annotation (crowd regions count), "the leftmost dog" the non-crowd dog whose
-- centre lies at least var('grounding_min_gap_grid') grid units left of the next one's
-- and whose left edge is left of every other dog's, in an image without a dog crowd region.
-- The answer must hold exactly one box
-- [ymin, xmin, ymax, xmax] on 0..1000; it is mapped back to pixels by the inverse UDF
-- bbox_grid_to_coco and must lie within half a grid cell (0.5 * side / 1000 px) of the
-- referent's COCO box (clamped to the image) on every edge. threshold_margin =
-- 0.5 - the worst edge error in grid cells: 0 is on the threshold, negative fails.
-- The sample's own annotation_id and grid_* columns are not used (matches_sample_annotation
-- only reports whether the referent found is the one the task meant).
-- Built incrementally by sample (macros/incremental.sql, per_sample_incremental): a build
-- audits again only the samples whose question, answer, question category, annotation or
-- image boxes (int_image_boxes_hashed: everything the referents are ranked from) changed.
with

templated as (

    select * from {{ ref('int_samples_templated') }}
    where task_type = 'region_grounding'

),

question_categories as (

    select * from {{ ref('int_question_categories_matched') }}

),

image_boxes as (

    select * from {{ ref('int_image_boxes_hashed') }}

),

ranked_annotations as (

    -- every annotation with its category's count and crowd flag in the image, its
    -- left/right rank among the non-crowd instances and the runners-up's centres (the
    -- same ranking the grounding task picks its referents by)
    select * from {{ ref('int_grounding_referents_ranked') }}

),

hashed as (

    -- everything a sample's audit reads: its question and answer, the category its
    -- question names, the annotation the task meant, its image's boxes and the minimum gap
    select
        templated.*,
        question_categories.category_name as question_category,
        md5(hash({
            'question_text': templated.question_text,
            'answer_text': templated.answer_text,
            'annotation_id': templated.annotation_id,
            'source_asset_ids': templated.source_asset_ids,
            'question_category': question_categories.category_name,
            'boxes': image_boxes.inputs_hash,
            'min_gap_grid': {{ var('grounding_min_gap_grid', 150) }},
            'code': '{{ model.checksum.checksum }}'
        })::varchar) as inputs_hash

    from templated
    left join question_categories on question_categories.sample_id = templated.sample_id
    left join image_boxes on image_boxes.asset_id = templated.source_asset_ids[1]

),

samples as (

    {{ with_changed_inputs('hashed') }}

),

annotations as (

    -- the referents of the images of the samples audited in this run
    select * from ranked_annotations
    where asset_id in (select samples.source_asset_ids[1] from samples)

),

parsed as (

    select
        samples.sample_id,
        samples.inputs_hash,
        samples.annotation_id as sample_annotation_id,
        samples.source_asset_ids[1] as asset_id,
        samples.question_category,
        case
            when
                regexp_matches(lower(samples.question_text), '\bleftmost\b')
                or contains(samples.question_text, '最左边') then 'leftmost'
            when
                regexp_matches(lower(samples.question_text), '\brightmost\b')
                or contains(samples.question_text, '最右边') then 'rightmost'
            else 'unique'
        end as question_referent_kind,
        regexp_extract_all(samples.answer_text, '\[[^\[\]]*\]') as answer_boxes

    from samples

),

boxed as (

    select
        *,
        regexp_extract(
            answer_boxes[1],
            '^\[\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*(-?\d+)\s*\]$',
            ['ymin', 'xmin', 'ymax', 'xmax']
        ) as box_text

    from parsed

),

answer_boxes as (

    select
        * exclude (box_text),
        case when len(answer_boxes) = 1 then try_cast(nullif(box_text.ymin, '') as integer) end
            as answer_ymin,
        case when len(answer_boxes) = 1 then try_cast(nullif(box_text.xmin, '') as integer) end
            as answer_xmin,
        case when len(answer_boxes) = 1 then try_cast(nullif(box_text.ymax, '') as integer) end
            as answer_ymax,
        case when len(answer_boxes) = 1 then try_cast(nullif(box_text.xmax, '') as integer) end
            as answer_xmax

    from boxed

),

candidates as (

    -- the image's annotations of the category the question names
    select
        answer_boxes.sample_id,
        annotations.annotation_id,
        annotations.is_crowd,
        annotations.category_annotation_count,
        annotations.category_has_crowd,
        annotations.center_x_grid,
        annotations.left_rank,
        annotations.right_rank,
        annotations.second_left_center_x_grid,
        annotations.second_right_center_x_grid,
        annotations.is_left_edge_extreme,
        annotations.is_right_edge_extreme

    from answer_boxes
    inner join annotations
        on annotations.asset_id = answer_boxes.asset_id
        and annotations.category_name = answer_boxes.question_category

),

referents as (

    select
        answer_boxes.sample_id,
        any_value(candidates.category_annotation_count) as category_annotation_count,
        any_value(candidates.category_has_crowd) as category_has_crowd,
        any_value(candidates.annotation_id) filter (
            where
            not candidates.is_crowd and case answer_boxes.question_referent_kind
                when 'unique' then candidates.category_annotation_count = 1
                when 'leftmost' then candidates.left_rank = 1 and candidates.is_left_edge_extreme
                else candidates.right_rank = 1 and candidates.is_right_edge_extreme
            end
        ) as referent_annotation_id,
        any_value(case answer_boxes.question_referent_kind
            when 'leftmost' then candidates.second_left_center_x_grid - candidates.center_x_grid
            when 'rightmost' then candidates.center_x_grid - candidates.second_right_center_x_grid
        end) filter (
            where not candidates.is_crowd and case answer_boxes.question_referent_kind
                when 'leftmost' then candidates.left_rank = 1
                when 'rightmost' then candidates.right_rank = 1
                else false
            end
        ) as referent_gap_grid

    from answer_boxes
    inner join candidates on candidates.sample_id = answer_boxes.sample_id
    group by answer_boxes.sample_id

),

resolved as (

    select
        answer_boxes.*,
        coalesce(referents.category_annotation_count, 0) as category_annotation_count,
        coalesce(referents.category_has_crowd, false) as category_has_crowd,
        referents.referent_annotation_id,
        referents.referent_gap_grid,
        case answer_boxes.question_referent_kind
            when 'unique'
                then
                    coalesce(referents.category_annotation_count, 0) = 1
                    and referents.referent_annotation_id is not null
            else
                not coalesce(referents.category_has_crowd, false)
                and referents.referent_annotation_id is not null
                and coalesce(
                    referents.referent_gap_grid >= {{ var('grounding_min_gap_grid', 150) }}, false
                )
        end as is_referent_unique,
        annotations.image_width_px,
        annotations.image_height_px,
        greatest(annotations.bbox_x_px, 0.0) as source_x1_px,
        greatest(annotations.bbox_y_px, 0.0) as source_y1_px,
        least(annotations.bbox_x_px + annotations.bbox_w_px, annotations.image_width_px)
            as source_x2_px,
        least(annotations.bbox_y_px + annotations.bbox_h_px, annotations.image_height_px)
            as source_y2_px

    from answer_boxes
    left join referents on referents.sample_id = answer_boxes.sample_id
    left join annotations on annotations.annotation_id = referents.referent_annotation_id

),

recovered as (

    select
        *,
        coalesce(
            answer_ymin between 0 and 1000 and answer_xmin between 0 and 1000
            and answer_ymax between 0 and 1000 and answer_xmax between 0 and 1000
            and answer_ymin < answer_ymax and answer_xmin < answer_xmax, false
        ) as is_answer_box_valid,
        bbox_grid_to_coco(
            answer_ymin, answer_xmin, answer_ymax, answer_xmax,
            image_width_px, image_height_px
        ) as recovered_box

    from resolved

),

measured as (

    select
        *,
        recovered_box.x as recovered_x1_px,
        recovered_box.y as recovered_y1_px,
        recovered_box.x + recovered_box.w as recovered_x2_px,
        recovered_box.y + recovered_box.h as recovered_y2_px,
        image_width_px / 1000.0 as grid_cell_w_px,
        image_height_px / 1000.0 as grid_cell_h_px

    from recovered

),

scored as (

    select
        *,
        greatest(
            abs(recovered_x1_px - source_x1_px), abs(recovered_x2_px - source_x2_px),
            abs(recovered_y1_px - source_y1_px), abs(recovered_y2_px - source_y2_px)
        ) as max_edge_error_px,
        greatest(
            abs(recovered_x1_px - source_x1_px) / grid_cell_w_px,
            abs(recovered_x2_px - source_x2_px) / grid_cell_w_px,
            abs(recovered_y1_px - source_y1_px) / grid_cell_h_px,
            abs(recovered_y2_px - source_y2_px) / grid_cell_h_px
        ) as max_edge_error_cells,
        greatest(least(recovered_x2_px, source_x2_px) - greatest(recovered_x1_px, source_x1_px), 0)
        * greatest(
            least(recovered_y2_px, source_y2_px) - greatest(recovered_y1_px, source_y1_px), 0
        ) as intersection_px

    from measured

),

checked as (

    select
        sample_id,
        inputs_hash,
        asset_id,
        question_category,
        question_referent_kind,
        [answer_ymin, answer_xmin, answer_ymax, answer_xmax] as answer_box_grid,
        is_answer_box_valid,
        category_annotation_count,
        referent_annotation_id,
        is_referent_unique,
        referent_gap_grid,
        coalesce(referent_annotation_id = sample_annotation_id, false) as matches_sample_annotation,
        image_width_px,
        image_height_px,
        source_x1_px,
        source_y1_px,
        source_x2_px,
        source_y2_px,
        recovered_x1_px,
        recovered_y1_px,
        recovered_x2_px,
        recovered_y2_px,
        max_edge_error_px,
        max_edge_error_cells,
        0.5 as tolerance_cells,
        round(0.5 - max_edge_error_cells, 9) as threshold_margin,
        intersection_px / nullif(
            (recovered_x2_px - recovered_x1_px) * (recovered_y2_px - recovered_y1_px)
            + (source_x2_px - source_x1_px) * (source_y2_px - source_y1_px) - intersection_px, 0
        ) as iou,
        list_filter([
            case when question_category is null then {
                'check': 'grounding_question', 'error_type': 'format_error',
                'evidence': 'the question names no COCO category'
            } end,
            case when len(answer_boxes) <> 1 then {
                'check': 'grounding_answer', 'error_type': 'format_error',
                'evidence': 'the answer holds ' || len(answer_boxes) || ' boxes, not one'
            } end,
            case when len(answer_boxes) = 1 and not is_answer_box_valid then {
                'check': 'grounding_box_format',
                'error_type': 'format_error',
                'evidence': 'the answer box ' || answer_boxes[1]
                || ' is not four integers on 0..1000 with ymin < ymax and xmin < xmax'
            } end,
            case when question_category is not null and category_annotation_count = 0 then {
                'check': 'grounding_referent', 'error_type': 'grounding_offset',
                'evidence': 'the image holds no ' || question_category || ' annotation'
            } end,
            case
                when
                    question_category is not null
                    and category_annotation_count > 0
                    and not is_referent_unique
                    then {
                        'check': 'grounding_referent', 'error_type': 'grounding_offset',
                        'evidence': 'the ' || question_referent_kind || ' ' || question_category
                        || ' is not a unique referent among '
                        || category_annotation_count
                        || ' annotations'
                        || coalesce(' (gap ' || round(referent_gap_grid, 1) || ' grid units)', '')
                    }
            end,
            case
                when
                    is_referent_unique
                    and is_answer_box_valid
                    and not (max_edge_error_cells <= 0.5 + 1e-9)
                    then {
                        'check': 'grounding_box', 'error_type': 'grounding_offset',
                        'evidence': 'the answer box ' || answer_boxes[1] || ' is off annotation '
                        || referent_annotation_id
                        || ' by up to '
                        || round(max_edge_error_px, 1)
                        || ' px ('
                        || round(max_edge_error_cells, 2) || ' grid cells; at most 0.5 allowed)'
                    }
            end
        ], lambda check_result: check_result is not null) as failed_checks

    from scored

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
