{{ keyed_incremental('release_sample_digests', 'sample_id', 'sample_id') }}
-- One row per (release profile, shipped sample): whether it goes into the profile's
-- release. A sample is released only when every one of its images passes the profile's
-- license gate (release_asset_gates); its license flags are the most restrictive of its
-- images' (a multi-image sample is as restricted as its most restricted image).
-- Built incrementally by sample: an incremental run builds again only the samples whose
-- inputs_hash (release_sample_digests: their columns, their images' gates, the profiles)
-- changed, and deletes the rows of samples no longer shipped (macros/incremental.sql).
with

hashed as (

    {{ keyed_inputs_hash('release_sample_digests', 'sample_id') }}

),

changed_samples as (

    {{ changed_keys('hashed', 'sample_id', 'sample_id') }}

),

samples as (

    select shipped.* replace (changed_samples.inputs_hash as inputs_hash)

    from {{ ref('samples') }} as shipped
    inner join changed_samples on changed_samples.sample_id = shipped.sample_id

),

gates as (

    select * from {{ ref('release_asset_gates') }}

),

profiles as (

    select * from {{ ref('release_profiles') }}

),

sample_assets as (

    select
        samples.sample_id,
        unnest(samples.source_asset_ids) as asset_id

    from samples

),

per_profile as (

    select
        profiles.release_profile,
        sample_assets.sample_id,
        count(*) as asset_count,
        count(gates.asset_id) as gated_asset_count,
        bool_and(coalesce(gates.is_allowed, false)) as is_every_asset_allowed,
        min(gates.gate_reason) as gate_reason,
        list_sort(list_distinct(flatten(list(gates.license_keys)))) as license_keys,
        bool_and(coalesce(gates.is_commercial_ok, false)) as is_commercial_ok,
        bool_or(coalesce(gates.is_share_alike, false)) as is_share_alike,
        bool_or(coalesce(gates.is_attribution_required, true)) as is_attribution_required,
        bool_or(coalesce(gates.is_research_only, false)) as is_research_only,
        bool_or(coalesce(gates.is_unknown, true)) as is_unknown

    from profiles
    cross join sample_assets
    left join gates
        on gates.release_profile = profiles.release_profile
        and gates.asset_id = sample_assets.asset_id
    group by profiles.release_profile, sample_assets.sample_id

),

final as (

    select
        per_profile.release_profile,
        samples.sample_id,
        samples.task_type,
        samples.asset_type,
        samples.language,
        samples.split,
        samples.is_smoke,
        samples.template_id,
        samples.template_hash,
        samples.source_asset_ids,
        per_profile.license_keys,
        per_profile.is_commercial_ok,
        per_profile.is_share_alike,
        per_profile.is_attribution_required,
        per_profile.is_research_only,
        per_profile.is_unknown,
        -- every image must be gated (an image missing from the gates is not allowed)
        per_profile.is_every_asset_allowed
        and per_profile.gated_asset_count = per_profile.asset_count as is_released,
        case
            when per_profile.gated_asset_count < per_profile.asset_count then 'license_unknown'
            else per_profile.gate_reason
        end as exclusion_reason,
        samples.inputs_hash

    from per_profile
    inner join samples on samples.sample_id = per_profile.sample_id

)

select * from final
