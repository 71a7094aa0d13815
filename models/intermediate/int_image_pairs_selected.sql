-- Ordered pairs of general images for multi-image comparison: images with at least one
-- non-crowd object, in the balanced pool's order (a stable hash order; images outside the
-- pool after it), taken two by two by pool slot (1st with 2nd, 3rd with 4th, ...). Pairs
-- are disjoint, so no image is paired with itself and no pair repeats; and since the pool's derived
-- charts draw their parents from blocks of 6 consecutive pool images, a pair stays
-- inside one block and ties no new images together when the splits are assigned.
with

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

eligible as (

    select asset_id
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
        -- a pool image keeps its pool slot (so a taken-down image leaves its partner
        -- unpaired instead of re-pairing every later image); others follow the pool
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

paired as (

    select
        first.asset_id as first_asset_id,
        second.asset_id as second_asset_id,
        (first.pair_rank + 1) // 2 as pair_number

    from ranked as first
    inner join ranked as second on second.pair_rank = first.pair_rank + 1
    where first.pair_rank % 2 = 1

),

final as (

    select
        'pair:' || first_asset_id || ':' || second_asset_id as pair_id,
        pair_number,
        first_asset_id,
        second_asset_id

    from paired
    where pair_number <= {{ var('comparison_pairs') }}

)

select * from final
