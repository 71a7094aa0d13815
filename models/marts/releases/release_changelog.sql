{{ config(materialized='view') }}

-- What the next release of each profile changes against the latest written release of the
-- same profile (release_manifests, landed by `mmfactory release`): one row per sample added
-- or removed, with the reason. Removed: takedown (an image of it was taken down, or derived
-- from one), license (it no longer passes the profile's gate), audit (it fails an audit),
-- review (a review verdict keeps it out), input (it is no longer generated from the
-- inputs). Added: new_input. A profile with no previous release lists every sample added.
with

manifests as (

    select * from {{ ref('stg_landing__release_manifests') }}

),

candidates as (

    select * from {{ ref('release_samples') }}
    where is_released

),

all_samples as (

    select * from {{ ref('release_samples') }}

),

taken_down as (

    select coalesce(list(asset_id), []::varchar[]) as asset_ids
    from {{ ref('int_assets_taken_down') }}

),

qualified as (

    select * from {{ ref('int_samples_qualified') }}

),

profiles as (

    select * from {{ ref('release_profiles') }}

),

latest as (

    select
        release_profile,
        arg_max(release_id, released_at) as release_id
    from manifests
    group by release_profile

),

previous as (

    select manifests.*
    from manifests
    inner join latest on latest.release_id = manifests.release_id

),

removed as (

    select
        previous.release_profile,
        previous.release_id as previous_release_id,
        previous.sample_id,
        previous.task_type,
        'removed' as change,
        case
            when list_has_any(previous.source_asset_ids, taken_down.asset_ids) then 'takedown'
            when all_samples.sample_id is not null then 'license'
            when qualified.sample_id is not null and not qualified.is_audit_passed then 'audit'
            when qualified.sample_id is not null then 'review'
            else 'input'
        end as reason,
        list_intersect(previous.source_asset_ids, taken_down.asset_ids) as taken_down_asset_ids

    from previous
    cross join taken_down
    left join candidates
        on candidates.release_profile = previous.release_profile
        and candidates.sample_id = previous.sample_id
    left join all_samples
        on all_samples.release_profile = previous.release_profile
        and all_samples.sample_id = previous.sample_id
    left join qualified on qualified.sample_id = previous.sample_id
    where candidates.sample_id is null

),

added as (

    select
        candidates.release_profile,
        latest.release_id as previous_release_id,
        candidates.sample_id,
        candidates.task_type,
        'added' as change,
        'new_input' as reason,
        []::varchar[] as taken_down_asset_ids

    from candidates
    left join latest on latest.release_profile = candidates.release_profile
    left join previous
        on previous.release_profile = candidates.release_profile
        and previous.sample_id = candidates.sample_id
    where previous.sample_id is null

),

final as (

    select * from removed
    union all
    select * from added

)

select final.*
from final
inner join profiles on profiles.release_profile = final.release_profile
