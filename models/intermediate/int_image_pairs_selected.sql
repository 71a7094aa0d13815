-- Ordered pairs of general images for multi-image comparison: two images with at least one
-- non-crowd object each that share at least one category (so that the comparison says
-- something), taken from the same block of var('comparison_block_size') consecutive
-- images in the balanced pool's order (a stable hash order; images outside the pool after
-- it). The pool's derived charts draw their parents from the same blocks of 6, so a pair
-- ties no images together beyond a block when the splits are assigned (both images of a
-- pair always share a split group, int_sample_groups_assigned). Image 1 is the one earlier
-- in the pool. The var('comparison_pairs') pairs sharing the most categories are kept
-- (ties by a stable hash).
with

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

eligible as (

    select
        asset_id,
        list(category_name) filter (where instance_count > 0) as categories

    from objects
    group by asset_id
    having sum(instance_count) > 0

),

pool as (

    select
        asset_id,
        pool_rank
    from {{ ref('stg_landing__asset_pool') }}
    where asset_type = 'general_image'

),

ranked as (

    select
        eligible.asset_id,
        eligible.categories,
        -- a pool image keeps its pool slot (so a taken-down image changes no other
        -- image's block); others follow the pool
        coalesce(
            pool.pool_rank + 1,
            coalesce(max(pool.pool_rank + 1) over (), 0) + row_number() over (
                partition by pool.pool_rank is null
                order by
                    {{ stable_pick("'pair:' || eligible.asset_id", 1000000007) }},
                    eligible.asset_id
            )
        ) as pair_rank

    from eligible
    left join pool on pool.asset_id = eligible.asset_id

),

blocked as (

    select
        *,
        (pair_rank - 1) // {{ var('comparison_block_size') }} as block_number

    from ranked

),

paired as (

    select
        first.asset_id as first_asset_id,
        second.asset_id as second_asset_id,
        len(list_intersect(first.categories, second.categories)) as shared_category_count

    from blocked as first
    inner join blocked as second
        on second.block_number = first.block_number
        and second.pair_rank > first.pair_rank
    where len(list_intersect(first.categories, second.categories)) > 0

),

numbered as (

    select
        *,
        row_number() over (
            order by
                shared_category_count desc,
                {{ stable_pick(
                    "'pair:' || first_asset_id || ':' || second_asset_id", 1000000007
                ) }},
                first_asset_id,
                second_asset_id
        ) as pair_number

    from paired

),

final as (

    select
        'pair:' || first_asset_id || ':' || second_asset_id as pair_id,
        pair_number,
        first_asset_id,
        second_asset_id,
        shared_category_count

    from numbered
    where pair_number <= {{ var('comparison_pairs') }}

)

select * from final
