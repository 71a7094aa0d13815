-- Manual review verdicts, one row per distinct verdict: the same verdict imported from two
-- files (same sample, reviewer, role, verdict and time) is kept once, from the latest
-- import. Empty until `mmfactory review import` has landed a file.
{%- set is_landed = has_landed_files('review_verdicts') %}

with

source as (

    {% if is_landed -%}
    select * from {{ source('quality', 'review_verdicts') }}
    {%- else -%}
    select
        null::varchar as source,
        null::varchar as sample_id,
        null::varchar as reviewer,
        null::varchar as role,
        null::varchar as verdict,
        null::varchar as error_type,
        null::varchar as note,
        null::timestamptz as reviewed_at,
        null::varchar as import_file,
        null::integer as line_number,
        null::timestamptz as ingested_at,
        null::varchar as ingest_run_id
    where false
    {%- endif %}

),

renamed as (

    select
        md5(concat_ws(
            '|', sample_id, reviewer, role, verdict, coalesce(error_type, ''),
            reviewed_at::varchar
        )) as verdict_id,
        sample_id,
        reviewer,
        role,
        verdict,
        nullif(error_type, '') as error_type,
        nullif(note, '') as note,
        reviewed_at,
        source as import_source,
        import_file,
        line_number,
        ingested_at,
        ingest_run_id

    from source

),

deduplicated as (

    select *
    from renamed
    qualify
        row_number() over (partition by verdict_id order by ingested_at desc, import_source asc) = 1

)

select * from deduplicated
