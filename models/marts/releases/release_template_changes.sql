{{ config(materialized='view') }}

-- Templates whose text (template_hash) differs between the latest written release of each
-- profile and what the next release would ship: one row per (profile, template) whose set
-- of hashes changed, including templates that appear or disappear.
with

manifests as (

    select * from {{ ref('stg_landing__release_manifests') }}

),

candidates as (

    select * from {{ ref('release_samples') }}
    where is_released

),

latest as (

    select
        release_profile,
        arg_max(release_id, released_at) as release_id
    from manifests
    group by release_profile

),

previous_hashes as (

    select
        manifests.release_profile,
        manifests.template_id,
        list(distinct manifests.template_hash order by manifests.template_hash) as template_hashes

    from manifests
    inner join latest on latest.release_id = manifests.release_id
    where manifests.template_id is not null
    group by all

),

current_hashes as (

    select
        candidates.release_profile,
        candidates.template_id,
        list(distinct candidates.template_hash order by candidates.template_hash)
            as template_hashes

    from candidates
    inner join latest on latest.release_profile = candidates.release_profile
    where candidates.template_id is not null
    group by all

),

final as (

    select
        coalesce(current_hashes.release_profile, previous_hashes.release_profile)
            as release_profile,
        coalesce(current_hashes.template_id, previous_hashes.template_id) as template_id,
        previous_hashes.template_hashes as previous_template_hashes,
        current_hashes.template_hashes as current_template_hashes

    from current_hashes
    full outer join previous_hashes
        on previous_hashes.release_profile = current_hashes.release_profile
        and previous_hashes.template_id = current_hashes.template_id
    where previous_hashes.template_hashes is distinct from current_hashes.template_hashes

)

select * from final
