-- One row per (release profile, asset): whether the asset's license (its own, or for a
-- derived asset the most restrictive of its ancestors') passes the profile, and if not the
-- first rule it breaks. An unknown license never passes a gated profile (fails closed).
with

licenses as (

    select * from {{ ref('int_asset_licenses_resolved') }}

),

profiles as (

    select * from {{ ref('release_profiles') }}

),

judged as (

    select
        profiles.release_profile,
        profiles.profile_order,
        licenses.*,
        case
            when not profiles.is_gated then null
            when licenses.is_unknown then 'license_unknown'
            when licenses.is_research_only and not profiles.allows_research_only
                then 'license_research_only'
            when not licenses.is_commercial_ok and profiles.is_commercial_required
                then 'license_non_commercial'
            when licenses.is_share_alike and not profiles.allows_share_alike
                then 'license_share_alike'
            when licenses.has_no_derivatives_ancestor and not profiles.allows_no_derivatives_parents
                then 'license_no_derivatives'
        end as gate_reason

    from profiles
    cross join licenses

),

final as (

    select
        release_profile,
        asset_id,
        source,
        relative_path,
        asset_type,
        is_derived,
        license_keys,
        attribution_urls,
        is_commercial_ok,
        is_share_alike,
        is_attribution_required,
        has_no_derivatives_ancestor,
        is_research_only,
        is_unknown,
        gate_reason is null as is_allowed,
        gate_reason

    from judged

)

select * from final
