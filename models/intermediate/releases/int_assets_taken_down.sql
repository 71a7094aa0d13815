-- Every asset a takedown removes: the requested content hashes and, transitively through
-- lineage, every asset derived from them (a chart drawn from a taken-down photo, a page
-- made from such a chart, ...). Keyed on asset_id, the sha256 of the bytes, so the same
-- bytes landed again under another name or source stay blocked.
-- Reads the landed lineage itself (not stg_landing__asset_lineage): the staging models
-- filter their rows with this model (macros/takedowns.sql), so they cannot feed it.
with recursive

takedowns as (

    select * from {{ ref('stg_landing__takedowns') }}

),

lineage as (

    select distinct
        asset_id,
        parent_asset_id
    from {{ source('landing', 'asset_lineage') }}

),

requested as (

    select
        asset_id,
        min(requested_at) as first_requested_at,
        list(distinct reason order by reason) as reasons

    from takedowns
    group by asset_id

),

descendants as (

    select
        asset_id,
        asset_id as requested_asset_id,
        0 as lineage_depth

    from requested

    union

    select
        lineage.asset_id,
        descendants.requested_asset_id,
        descendants.lineage_depth + 1 as lineage_depth

    from descendants
    inner join lineage on lineage.parent_asset_id = descendants.asset_id

),

final as (

    select
        descendants.asset_id,
        min(descendants.lineage_depth) = 0 as is_requested,
        min(descendants.lineage_depth) as lineage_depth,
        list(distinct descendants.requested_asset_id order by descendants.requested_asset_id)
            as requested_asset_ids,
        min(requested.first_requested_at) as first_requested_at

    from descendants
    inner join requested on requested.asset_id = descendants.requested_asset_id
    group by descendants.asset_id

)

select * from final
