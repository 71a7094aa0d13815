-- One row per image that has packable samples (single-image, one question and answer:
-- what packed_records packs), by its path, and inputs_hash: a digest of those samples'
-- columns that packed_records reads (id, split, smoke flag, conversation). packed_records
-- packs again only the images whose hash changed (macros/incremental.sql,
-- keyed_incremental): an image's records depend on its own samples alone.
-- Digested as in int_image_boxes_hashed: the sum of DuckDB's 64-bit hash() of each
-- sample's columns (order-free). A table: packed_records reads it twice (its pre-hook and
-- its query).
with

samples as (

    select * from {{ ref('samples') }}

),

packable as (

    select
        image_paths[1] as image_path,
        hash(sample_id, split, is_smoke, conversations) as sample_digest

    from samples
    where image_count = 1 and len(conversations) = 2

),

final as (

    select
        image_path,
        md5(sum(sample_digest)::varchar) as inputs_hash

    from packable
    group by image_path

)

select * from final
