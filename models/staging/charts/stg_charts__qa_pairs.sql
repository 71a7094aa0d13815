with

source as (

    select * from {{ source('charts', 'qa_pairs') }}

),

renamed as (

    select
        asset_id,
        source,
        qa_index,
        question,
        answer,
        origin,
        qa_file,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
