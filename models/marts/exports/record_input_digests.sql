-- One row per sample of `samples` and inputs_hash: a digest of everything the record
-- models built incrementally by sample make that sample's records from (training_records,
-- llamafactory_records and the trainer profiles' records of macros/profile_records.sql):
-- the sample's row in samples, its source box in int_annotations_normalized, its rows in
-- profile_boxes (every profile's: whether its box is kept there), the size of its first
-- image (stg_landing__assets: internvl_records writes it), and the task types seed, read
-- whole (training_records' record_set). Each of those models
-- builds again only the samples whose hash changed (macros/incremental.sql,
-- keyed_incremental); a record model that comes to read anything else of a sample must
-- add it here.
-- Digested as in int_description_inputs_hashed: DuckDB's 64-bit hash() of whole rows (a
-- sample's profile_boxes rows summed, order-free); hash() may differ between DuckDB
-- versions, which only makes every sample count as changed.
-- A table, not a view: nine models read it, each twice in an incremental run (its
-- pre-hook and its query).
with

samples as (

    select * from {{ ref('samples') }}

),

boxes as (

    select * from {{ ref('int_annotations_normalized') }}

),

profile_boxes as (

    select * from {{ ref('profile_boxes') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

profile_box_digests as (

    select
        sample_id,
        sum(hash(profile_boxes)) as profile_boxes_digest

    from profile_boxes
    group by sample_id

),

final as (

    select
        samples.sample_id,
        hash(
            samples,
            boxes,
            profile_box_digests.profile_boxes_digest,
            assets.width_px,
            assets.height_px,
            {{ table_digest('task_types') }}
        )::varchar as inputs_hash

    from samples
    left join boxes on boxes.annotation_id = samples.annotation_id
    left join profile_box_digests on profile_box_digests.sample_id = samples.sample_id
    left join assets on assets.asset_id = samples.source_asset_ids[1]

)

select * from final
