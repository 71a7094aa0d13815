{{ keyed_incremental('int_image_boxes_hashed', 'asset_id', 'asset_id') }}
-- Every annotation with what "the dog" / "the leftmost dog" / "the rightmost dog" resolve
-- against in its image: the instances of its category (by name, as a question names it),
-- ranked left to right by box centre on the grid. One model, read by the grounding task
-- (int_grounding_samples_derived) and by its audit (int_grounding_samples_audited), so
-- that both rank referents the same way.
--   category_annotation_count, category_has_crowd: over all the category's annotations
--     in the image, crowd regions included;
--   left_rank, right_rank: 1 for the leftmost / rightmost NON-crowd instance (ties by
--     annotation_id); NULL for a crowd region;
--   second_left_center_x_grid, second_right_center_x_grid: the centre of the next
--     non-crowd instance from the left / from the right (NULL when there is none);
--   is_left_edge_extreme, is_right_edge_extreme: the box's left (right) edge lies strictly
--     left (right) of every other non-crowd instance's (true when it is the only one; NULL
--     for a crowd region). "The leftmost X" must hold by the centre AND by the edge, so a
--     wide box whose centre is leftmost but whose edge is not is no "leftmost" referent.
-- Built incrementally per image: an incremental run ranks only the images whose boxes
-- changed (int_image_boxes_hashed, macros/incremental.sql); every row keeps its
-- image's inputs_hash.
with

hashed as (

    {{ keyed_inputs_hash('int_image_boxes_hashed', 'asset_id') }}

),

changed_assets as (

    {{ changed_keys('hashed', 'asset_id', 'asset_id') }}

),

annotations as (

    select * from {{ ref('int_annotations_normalized') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

centred as (

    select
        *,
        (grid_xmin + grid_xmax) / 2.0 as center_x_grid

    from annotations

),

ranked as (

    select
        *,
        count(*) over same_category as category_annotation_count,
        bool_or(is_crowd) over same_category as category_has_crowd,
        case when not is_crowd then row_number() over (
            partition by asset_id, category_name, is_crowd
            order by center_x_grid asc, annotation_id asc
        ) end as left_rank,
        case when not is_crowd then row_number() over (
            partition by asset_id, category_name, is_crowd
            order by center_x_grid desc, annotation_id asc
        ) end as right_rank

    from centred
    window same_category as (partition by asset_id, category_name)

),

with_neighbours as (

    select
        *,
        max(center_x_grid) filter (where left_rank = 2) over same_category
            as second_left_center_x_grid,
        max(center_x_grid) filter (where right_rank = 2) over same_category
            as second_right_center_x_grid,
        case when not is_crowd then coalesce(
            grid_xmin < min(grid_xmin) filter (where not is_crowd) over other_instances, true
        ) end as is_left_edge_extreme,
        case when not is_crowd then coalesce(
            grid_xmax > max(grid_xmax) filter (where not is_crowd) over other_instances, true
        ) end as is_right_edge_extreme

    from ranked
    window
        same_category as (partition by asset_id, category_name),
        other_instances as (
            partition by asset_id, category_name
            rows between unbounded preceding and unbounded following exclude current row
        )

),

final as (

    {{ with_inputs_hash('with_neighbours', 'asset_id') }}

)

select * from final
