-- One row per shipped sample (its audit passed, and review neither rejected it nor left it
-- awaiting arbitration: int_samples_qualified.is_shippable) with its split (train/val by
-- the connected group of its first image), its smoke flag and its review status, and
-- inputs_hash: a digest of everything its row in samples is made from (its templated
-- row's sample_inputs_hash and these columns). samples builds again only the samples
-- whose hash changed (macros/incremental.sql, keyed_incremental).
-- is_smoke marks the smoke-test subset: per (task type, asset type), the first
-- var('smoke_per_stratum') samples of train by a stable hash (val only where a stratum
-- has no train sample).
with

templated as (

    select * from {{ ref('int_samples_templated') }}

),

groups as (

    select * from {{ ref('int_sample_groups_assigned') }}

),

qualified as (

    select * from {{ ref('int_samples_qualified') }}

),

split as (

    select
        templated.sample_id,
        templated.task_type,
        templated.asset_type,
        templated.sample_inputs_hash,
        groups.group_id,
        groups.split,
        qualified.review_status,
        qualified.error_types as quality_error_types

    from templated
    inner join groups on groups.asset_id = templated.source_asset_ids[1]
    inner join qualified
        on qualified.sample_id = templated.sample_id
        and qualified.is_shippable

),

smoked as (

    select
        *,
        row_number() over (
            partition by task_type, asset_type
            order by
                split = 'train' desc,
                {{ stable_pick("'smoke:' || sample_id", 1000000007) }},
                sample_id
        ) <= {{ var('smoke_per_stratum') }} as is_smoke

    from split

),

final as (

    select
        sample_id,
        group_id,
        split,
        is_smoke,
        review_status,
        quality_error_types,
        md5(to_json({
            'sample': sample_inputs_hash,
            'group_id': group_id,
            'split': split,
            'is_smoke': is_smoke,
            'review_status': review_status,
            'quality_error_types': quality_error_types
        })) as inputs_hash

    from smoked

)

select * from final
