-- The asset manifest of each profile's release: every asset a released sample uses, with
-- the export manifest's columns (asset_records) plus its effective license (the keys it
-- carries, its flags) and the attribution URLs it requires.
with

released as (

    select * from {{ ref('release_samples') }}
    where is_released

),

records as (

    select * from {{ ref('asset_records') }}

),

gates as (

    select * from {{ ref('release_asset_gates') }}

),

used as (

    select distinct
        release_profile,
        unnest(source_asset_ids) as asset_id
    from released

),

final as (

    select
        used.release_profile,
        records.*,
        gates.is_derived,
        gates.license_keys,
        gates.attribution_urls,
        gates.is_commercial_ok,
        gates.is_share_alike,
        gates.is_attribution_required,
        gates.has_no_derivatives_ancestor,
        gates.is_research_only,
        gates.is_unknown

    from used
    inner join records on records.asset_id = used.asset_id
    inner join gates
        on gates.release_profile = used.release_profile
        and gates.asset_id = used.asset_id

)

select * from final
