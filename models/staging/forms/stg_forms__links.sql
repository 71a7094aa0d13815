with

source as (

    select * from {{ source('forms', 'links') }}

),

renamed as (

    select
        asset_id,
        source,
        from_entity_id,
        to_entity_id,
        from_label,
        to_label,
        is_question_answer,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
