-- failure_replay: per error type, the failures the failure library knows (every build that
-- found them appended them; rebuilds never remove them) against this build's flags:
-- still failing (the sample is flagged with that error type now), resolved (it is not, or
-- it is no longer a candidate) and new (flagged now, not yet in the library). Under
-- `mmfactory build` the library here already holds this build's new failures, stamped with
-- the run id and time the build lands them under right after dbt
-- (quality.failure_library.record_failures, macros/failure_library.sql): new_failures is 0
-- and the model is what a rebuild after the recording gives, in one dbt run. A plain
-- `dbt build` records nothing: new_failures shows what the next recording would add.
-- Whether a known error type really went down is known_failures - still_failing over the
-- builds.
{%- set recording = failure_recording() %}

with

recorded as (

    select * from {{ ref('stg_quality__failure_library') }}

),

taxonomy as (

    select * from {{ ref('stg_seeds__error_types') }}

),

flags as (

    select * from {{ ref('low_quality_flags') }}

),

additions as (

    -- this build's flags the library does not hold: what `mmfactory build` lands right
    -- after dbt, with this recording's stamps
    select distinct
        flags.failure_key,
        flags.sample_id,
        flags.error_type,
        {% if recording -%}
        '{{ recording.recorded_at }}'::timestamptz as first_seen_at,
        '{{ recording.run_id }}' as first_seen_run_id
        {%- else -%}
        null::timestamptz as first_seen_at,
        null::varchar as first_seen_run_id
        {%- endif %}

    from flags
    anti join recorded on recorded.failure_key = flags.failure_key
    {%- if not recording %}
    where false
    {%- endif %}

),

library as (

    select
        failure_key,
        sample_id,
        error_type,
        first_seen_at,
        first_seen_run_id

    from recorded

    union all

    select * from additions

),

error_types as (

    -- the taxonomy (seeds/error_types.csv), so that a type with nothing to report shows
    -- zeros, plus any other type the library or the flags hold
    select error_type from taxonomy
    union
    select error_type from library
    union
    select error_type from flags

),

current_flags as (

    select distinct
        sample_id,
        error_type

    from flags

),

known_keys as (

    select distinct failure_key from library

),

known as (

    select
        library.error_type,
        count(*) as known_failures,
        count(distinct library.sample_id) as known_samples,
        count(distinct library.sample_id) filter (where current_flags.sample_id is not null)
            as still_failing_samples,
        count(distinct library.sample_id) filter (where current_flags.sample_id is null)
            as resolved_samples,
        min(library.first_seen_at) as first_seen_at,
        max(library.first_seen_at) as last_recorded_at,
        count(distinct library.first_seen_run_id) as recording_runs

    from library
    left join current_flags
        on current_flags.sample_id = library.sample_id
        and current_flags.error_type = library.error_type
    group by library.error_type

),

current as (

    select
        flags.error_type,
        count(*) as current_flags,
        count(*) filter (where known_keys.failure_key is null) as new_failures

    from flags
    left join known_keys on known_keys.failure_key = flags.failure_key
    group by flags.error_type

),

final as (

    select
        error_types.error_type,
        coalesce(known.known_failures, 0) as known_failures,
        coalesce(known.known_samples, 0) as known_samples,
        coalesce(known.still_failing_samples, 0) as still_failing_samples,
        coalesce(known.resolved_samples, 0) as resolved_samples,
        coalesce(current.current_flags, 0) as current_flags,
        coalesce(current.new_failures, 0) as new_failures,
        known.first_seen_at,
        known.last_recorded_at,
        coalesce(known.recording_runs, 0) as recording_runs

    from error_types
    left join known on known.error_type = error_types.error_type
    left join current on current.error_type = error_types.error_type

)

select * from final
