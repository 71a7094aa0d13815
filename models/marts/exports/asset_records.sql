-- The asset manifest: every asset a sample uses, with its path relative to the export's
-- image folder, its sha256, size, type and license.
with

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

used as (

    select distinct unnest(source_asset_ids) as asset_id
    from {{ ref('samples') }}

),

final as (

    select
        assets.asset_id,
        assets.source || '/' || assets.relative_path as image,
        assets.asset_type,
        assets.source,
        assets.width_px,
        assets.height_px,
        assets.size_bytes,
        assets.license_id,
        assets.license_name,
        assets.license_url,
        assets.attribution_url

    from assets
    inner join used on used.asset_id = assets.asset_id

)

select * from final
