-- Near-duplicate clusters (int_asset_near_duplicates_clustered): per cluster, its assets,
-- the sources and paths they came from, the largest pHash distance of its pairs, and the
-- splits its assets were assigned (split_count is 1 when any of them is in a sample: a
-- cluster never straddles train and val; 0 when none of its assets made a sample).
with

clusters as (

    select * from {{ ref('int_asset_near_duplicates_clustered') }}

),

pairs as (

    select * from {{ ref('int_asset_near_duplicates_paired') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

groups as (

    select * from {{ ref('int_sample_groups_assigned') }}

),

pair_distances as (

    select
        clusters.near_duplicate_cluster_id,
        count(*) as pair_count,
        max(pairs.phash_distance_bits) as max_phash_distance_bits

    from pairs
    inner join clusters on clusters.asset_id = pairs.asset_id
    group by clusters.near_duplicate_cluster_id

),

members as (

    select
        clusters.near_duplicate_cluster_id,
        count(*) as asset_count,
        count(distinct assets.source) as source_count,
        string_agg(
            assets.source || '/' || assets.relative_path, '; '
            order by assets.source, assets.relative_path
        ) as locations,
        array_to_string(list_sort(
            list(distinct assets.asset_type) filter (where assets.asset_type is not null)
        ), ', ') as asset_types,
        count(distinct groups.split) as split_count,
        array_to_string(list_sort(
            list(distinct groups.split) filter (where groups.split is not null)
        ), ', ') as splits

    from clusters
    inner join assets on assets.asset_id = clusters.asset_id
    left join groups on groups.asset_id = clusters.asset_id
    group by clusters.near_duplicate_cluster_id

),

final as (

    select
        members.near_duplicate_cluster_id,
        members.asset_count,
        pair_distances.pair_count,
        pair_distances.max_phash_distance_bits,
        members.source_count,
        members.asset_types,
        members.split_count,
        members.splits,
        members.locations

    from members
    inner join pair_distances
        on pair_distances.near_duplicate_cluster_id = members.near_duplicate_cluster_id

)

select * from final
order by asset_count desc, near_duplicate_cluster_id asc
