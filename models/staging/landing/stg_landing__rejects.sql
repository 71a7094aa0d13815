with

source as (

    select * from {{ source('landing', 'rejects') }}

),

renamed as (

    select
        md5(concat_ws('|', source, landing_table, item, reason_code)) as reject_id,
        source,
        landing_table,
        item,
        reason_code,
        message,
        rejected_at,
        ingest_run_id

    from source

)

select * from renamed
