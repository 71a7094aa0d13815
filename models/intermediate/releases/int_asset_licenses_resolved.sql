-- The license terms of every asset, as flags. An original asset's license is looked up by
-- its URL in seeds/licenses.csv; no URL or an URL the seed does not know is unknown (fails
-- closed). A derived asset carries the most restrictive terms of all its original
-- ancestors (recursively through lineage: a flag that restricts is or-ed, commercial use
-- is and-ed), plus attribution for the CC BY 4.0 COCO annotations it was drawn from, and
-- remembers whether any ancestor forbids derivatives (NoDerivs). An upright copy of an
-- EXIF-rotated photo (license_rule same_as_parent: the viewer's own turn, no new work)
-- carries its photo's license as its own and is not derived here.
with recursive

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

lineage as (

    select distinct
        asset_id,
        parent_asset_id
    from {{ ref('stg_landing__asset_lineage') }}
    where license_rule is distinct from 'same_as_parent'

),

licenses as (

    select * from {{ ref('licenses') }}

),

own_terms as (

    select
        assets.asset_id,
        licenses.license_key,
        coalesce(licenses.is_commercial_ok, false) as is_commercial_ok,
        coalesce(licenses.is_share_alike, false) as is_share_alike,
        coalesce(licenses.is_attribution_required, true) as is_attribution_required,
        coalesce(licenses.is_no_derivatives, false) as is_no_derivatives,
        coalesce(licenses.is_research_only, false) as is_research_only,
        coalesce(licenses.is_unknown, true) as is_unknown

    from assets
    left join licenses
        on {{ license_url_key('licenses.license_url') }}
        = {{ license_url_key('assets.license_url') }}

),

ancestors as (

    select
        asset_id,
        parent_asset_id as ancestor_asset_id
    from lineage

    union

    select
        ancestors.asset_id,
        lineage.parent_asset_id as ancestor_asset_id
    from ancestors
    inner join lineage on lineage.asset_id = ancestors.ancestor_asset_id

),

original_ancestors as (

    -- the ancestors that are not derived themselves: whose licenses the terms come from
    select
        ancestors.asset_id,
        ancestors.ancestor_asset_id
    from ancestors
    where ancestors.ancestor_asset_id not in (select asset_id from lineage)

),

inherited as (

    select
        original_ancestors.asset_id,
        list(distinct coalesce(own_terms.license_key, 'unknown') order by 1) as license_keys,
        list(distinct assets.attribution_url order by 1)
        filter (where assets.attribution_url is not null) as attribution_urls,
        -- an ancestor that has not landed (or is gone) counts as unknown
        bool_and(coalesce(own_terms.is_commercial_ok, false)) as is_commercial_ok,
        bool_or(coalesce(own_terms.is_share_alike, false)) as is_share_alike,
        bool_or(coalesce(own_terms.is_no_derivatives, false)) as has_no_derivatives_ancestor,
        bool_or(coalesce(own_terms.is_research_only, false)) as is_research_only,
        bool_or(coalesce(own_terms.is_unknown, true)) as is_unknown,
        count(distinct original_ancestors.ancestor_asset_id) as ancestor_count

    from original_ancestors
    left join own_terms on own_terms.asset_id = original_ancestors.ancestor_asset_id
    left join assets on assets.asset_id = original_ancestors.ancestor_asset_id
    group by original_ancestors.asset_id

),

final as (

    select
        assets.asset_id,
        assets.source,
        assets.relative_path,
        assets.asset_type,
        inherited.asset_id is not null as is_derived,
        assets.license_id,
        assets.license_name,
        assets.license_url,
        coalesce(inherited.license_keys, [coalesce(own_terms.license_key, 'unknown')])
            as license_keys,
        case
            when inherited.asset_id is not null then coalesce(inherited.attribution_urls, [])
            when assets.attribution_url is not null then [assets.attribution_url]
            else []
        end as attribution_urls,
        coalesce(inherited.ancestor_count, 0) as ancestor_count,
        coalesce(inherited.is_commercial_ok, own_terms.is_commercial_ok) as is_commercial_ok,
        coalesce(inherited.is_share_alike, own_terms.is_share_alike) as is_share_alike,
        -- derived assets are drawn from the CC BY 4.0 COCO annotations: always attribution
        inherited.asset_id is not null or own_terms.is_attribution_required
            as is_attribution_required,
        own_terms.is_no_derivatives,
        coalesce(inherited.has_no_derivatives_ancestor, false) as has_no_derivatives_ancestor,
        coalesce(inherited.is_research_only, own_terms.is_research_only) as is_research_only,
        coalesce(inherited.is_unknown, own_terms.is_unknown) as is_unknown

    from assets
    inner join own_terms on own_terms.asset_id = assets.asset_id
    left join inherited on inherited.asset_id = assets.asset_id

)

select * from final
