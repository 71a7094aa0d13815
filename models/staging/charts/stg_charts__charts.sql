with

source as (

    select * from {{ source('charts', 'charts') }}

),

renamed as (

    select
        asset_id,
        source,
        chart_key,
        chart_type,
        title,
        x_label,
        y_label,
        unit,
        series_count,
        category_count,
        has_table,
        is_table_plausible,
        plausibility_reason,
        chart_text,
        chart_text_kind,
        ingested_at,
        ingest_run_id

    from source

)

select * from renamed
where {{ not_taken_down('asset_id') }}
{{ first_source_of_asset() }}
