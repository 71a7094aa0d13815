-- Split groups: assets tied together by a sample (a comparison pair), by derivation
-- (a rendered document or chart and the photos it was derived from, asset_lineage) or as
-- near-duplicates (int_asset_near_duplicates_paired: a resized, re-encoded or cropped copy
-- under another path or source) form one group: the connected components of that graph,
-- found by the macro connected_components (min-label propagation). A group goes to val when a
-- stable hash of its label falls under var('val_fraction'), so every sample built from a
-- source image, from anything derived from it, from a near-duplicate of it, or from a pair
-- containing it, lands in the same split.
-- (sqlfluff's duckdb dialect cannot parse the USING KEY recursive CTE below)
with recursive  -- noqa: PRS

samples as (

    select * from {{ ref('int_samples_templated') }}

),

sample_assets as (

    select distinct sample_id, unnest(source_asset_ids) as asset_id
    from samples

),

lineage as (

    select asset_id, parent_asset_id from {{ ref('stg_landing__asset_lineage') }}

),

near_duplicates as (

    select asset_id, near_duplicate_asset_id
    from {{ ref('int_asset_near_duplicates_paired') }}

),

nodes as (

    select asset_id from sample_assets
    union
    select asset_id from lineage
    union
    select parent_asset_id from lineage
    union
    select asset_id from near_duplicates
    union
    select near_duplicate_asset_id from near_duplicates

),

directed_edges as (

    select left_side.asset_id as from_asset_id, right_side.asset_id as to_asset_id
    from sample_assets as left_side
    inner join sample_assets as right_side
        on left_side.sample_id = right_side.sample_id
        and left_side.asset_id <> right_side.asset_id
    union
    select asset_id, parent_asset_id from lineage
    union
    select asset_id, near_duplicate_asset_id from near_duplicates

),

edges as (

    select from_asset_id, to_asset_id from directed_edges
    union
    select to_asset_id, from_asset_id from directed_edges

),

components(asset_id, group_label) using key (asset_id) as (

    {{ connected_components('nodes', 'edges', 'group_label') }}

),

assigned as (

    select
        asset_id,
        {{ stable_id('g_', 'group_label') }} as group_id,
        case when {{ stable_fraction("'split:' || group_label") }} < {{ var('val_fraction') }}
             then 'val' else 'train' end as split

    from components

)

select * from assigned
