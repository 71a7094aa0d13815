-- Near-duplicate clusters: the connected components of int_asset_near_duplicates_paired
-- (a copy of a copy joins the same cluster), found by the macro connected_components, which
-- the split groups use too: a round costs O(pairs) and the rounds are the longest chain in
-- a cluster (a few for real copies). A cluster is named by a stable hash of its smallest asset id.
-- (sqlfluff's duckdb dialect cannot parse the USING KEY recursive CTE below)
with recursive  -- noqa: PRS

pairs as (

    select * from {{ ref('int_asset_near_duplicates_paired') }}

),

edges as (

    select asset_id as from_asset_id, near_duplicate_asset_id as to_asset_id from pairs
    union
    select near_duplicate_asset_id, asset_id from pairs

),

nodes as (

    select distinct from_asset_id as asset_id from edges

),

components(asset_id, cluster_label) using key (asset_id) as (

    {{ connected_components('nodes', 'edges', 'cluster_label') }}

),

final as (

    select
        asset_id,
        {{ stable_id('ndc_', 'cluster_label') }} as near_duplicate_cluster_id,
        count(*) over (partition by cluster_label) as cluster_asset_count

    from components

)

select * from final
