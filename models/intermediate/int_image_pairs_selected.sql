-- Ordered pairs of general images for multi-image comparison: images with at least one
-- non-crowd object, ranked by a stable hash, taken two by two (1st with 2nd, 3rd with
-- 4th, ...). Pairs are disjoint, so no image is paired with itself, no pair repeats, and
-- a pair ties together only its own two images when the splits are assigned.
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

ranked as (

    select
        asset_id,
        row_number() over (order by {{ stable_pick("'pair:' || asset_id", 1000000007) }}, asset_id) as pair_rank

    from eligible

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
