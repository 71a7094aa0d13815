-- The CHAIR synonym list, one row per (COCO category, synonym); the category name itself
-- is position 0. Until a landing has written the table's files the model is empty (the
-- glob check below), so a build never fails on a warehouse that predates the table.
{%- set is_landed = has_landed_files('chair_synonyms') %}

with

source as (

    {% if is_landed -%}
    select * from {{ source('quality', 'chair_synonyms') }}
    {%- else -%}
    select
        null::varchar as source,
        null::varchar as category_name,
        null::varchar as synonym,
        null::varchar as synonym_normalized,
        null::integer as line_number,
        null::integer as position,
        null::integer as listed_count,
        null::timestamptz as ingested_at,
        null::varchar as ingest_run_id
    where false
    {%- endif %}

),

renamed as (

    select
        category_name,
        synonym,
        synonym_normalized,
        position,
        listed_count,
        line_number,
        source,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
