-- The failure library: every failure ever recorded, once (failure_key = sample, error type
-- and answer hash), with when and in which run it was first seen. Append-only: rebuilds
-- never remove rows. Empty until quality.failure_library.record_failures has run.
{%- set is_landed = has_landed_files('failure_library') %}

with

source as (

    {% if is_landed -%}
    select * from {{ source('quality', 'failure_library') }}
    {%- else -%}
    select
        null::varchar as failure_key,
        null::varchar as sample_id,
        null::varchar as error_type,
        null::varchar as answer_hash,
        null::varchar as task_type,
        null::varchar as asset_type,
        null::varchar as language,
        null::varchar[] as source_asset_ids,
        null::varchar as question_text,
        null::varchar as answer_text,
        null::varchar as evidence,
        null::varchar[] as flag_sources,
        null::timestamptz as first_seen_at,
        null::varchar as first_seen_run_id
    where false
    {%- endif %}

),

renamed as (

    select
        failure_key,
        sample_id,
        error_type,
        answer_hash,
        task_type,
        asset_type,
        language,
        source_asset_ids,
        question_text,
        answer_text,
        evidence,
        flag_sources,
        first_seen_at,
        first_seen_run_id

    from source

),

deduplicated as (

    select *
    from renamed
    qualify
        row_number() over (partition by failure_key order by first_seen_at, first_seen_run_id) = 1

)

select * from deduplicated
where {{ none_taken_down('source_asset_ids') }}
