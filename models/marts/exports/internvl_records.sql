{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- InternVL 2.5 / 3 profile: JSONL of single-image records, `image` one path string and
-- the image's `width` / `height` in pixels on every record, boxes as
-- <ref>label</ref><box>[[x1, y1, x2, y2]]</box> on 0..1000. Multi-image records would
-- need a list `image` and per-image size lists in the same file, which HF `datasets`
-- cannot load alongside strings: they go to the other profiles.

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('internvl') }}  -- noqa: PRS

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

single_image as (

    select
        records.*,
        records.source_asset_ids[1] as asset_id

    from records
    where len(records.image) = 1

),

final as (

    select
        single_image.id,
        single_image.image[1] as image,
        assets.width_px as width,
        assets.height_px as height,
        single_image.conversations,
        single_image.split,
        single_image.is_smoke,
        single_image.inputs_hash

    from single_image
    inner join assets on assets.asset_id = single_image.asset_id

)

select * from final
