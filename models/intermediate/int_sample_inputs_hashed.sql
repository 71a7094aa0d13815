-- One row per candidate sample of the task models (its sample_key, unique across them:
-- each task suffixes its own) and inputs_hash: a digest of everything
-- int_samples_templated makes of it: its row in its task model, its images' places in the
-- landing (their paths), and the instruction templates, read whole. int_samples_templated
-- templates again only the samples whose hash changed (macros/incremental.sql,
-- keyed_incremental), and keeps the hash as sample_inputs_hash.
-- Rows digested with DuckDB's 64-bit hash(), as in int_image_boxes_hashed: a changed
-- sample keeps a stale row only if its new digests all equal its old ones (odds ~2^-64
-- per change); hash() may differ between DuckDB versions, which only makes every sample
-- count as changed. A table: int_samples_templated reads it twice (its pre-hook and its
-- query).
with

unioned as (

    select * from {{ ref('int_task_samples_unioned') }}

),

templates as (

    select * from {{ ref('stg_seeds__instruction_templates') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

sample_digests as (

    select
        sample_key,
        source_asset_ids,
        hash(unioned) as sample_digest

    from unioned

),

sample_images as (

    {{ image_positions('sample_digests', 'sample_key') }}

),

image_digests as (

    select
        sample_images.sample_key,
        sum(hash(sample_images.position, assets.source, assets.relative_path)) as images_digest

    from sample_images
    left join assets on assets.asset_id = sample_images.asset_id
    group by sample_images.sample_key

),

final as (

    select
        sample_digests.sample_key,
        md5(to_json({
            'sample': sample_digests.sample_digest,
            'images': image_digests.images_digest,
            'templates': {{ table_digest('templates') }}
        })) as inputs_hash

    from sample_digests
    left join image_digests on image_digests.sample_key = sample_digests.sample_key

)

select * from final
