-- One row per sample of `samples` and inputs_hash: a digest of everything release_samples
-- makes that sample's rows from: its columns in samples that release_samples reads, the
-- license gates of its images in every profile (release_asset_gates) and the release
-- profiles seed, read whole. release_samples builds again only the samples whose hash
-- changed (macros/incremental.sql, keyed_incremental): a license changed or resolved
-- anew reaches exactly the samples of its images.
-- Digested as in int_image_boxes_hashed: DuckDB's 64-bit hash() of rows (an image's gate
-- rows summed, order-free). A table: release_samples reads it twice (its pre-hook and its
-- query).
with

samples as (

    select * from {{ ref('samples') }}

),

gates as (

    select * from {{ ref('release_asset_gates') }}

),

profiles as (

    select * from {{ ref('release_profiles') }}

),

gate_digests as (

    select
        asset_id,
        sum(hash(gates)) as gates_digest

    from gates
    group by asset_id

),

sample_images as (

    {{ image_positions('samples', 'sample_id') }}

),

sample_gate_digests as (

    select
        sample_images.sample_id,
        sum(hash(sample_images.position, gate_digests.gates_digest)) as gates_digest

    from sample_images
    left join gate_digests on gate_digests.asset_id = sample_images.asset_id
    group by sample_images.sample_id

),

final as (

    select
        samples.sample_id,
        md5(to_json({
            'sample': hash(
                samples.task_type, samples.asset_type, samples.language, samples.split,
                samples.is_smoke, samples.template_id, samples.template_hash,
                samples.source_asset_ids
            ),
            'gates': sample_gate_digests.gates_digest,
            'profiles': {{ table_digest('profiles') }}
        })) as inputs_hash

    from samples
    left join sample_gate_digests on sample_gate_digests.sample_id = samples.sample_id

)

select * from final
