-- Records per asset type in the delivered dataset, and how many distinct sources they
-- come from: assets for the three single-image types (asset_records, the asset manifest),
-- ordered pairs for interleaved_pair. Every asset type of seeds/task_types.csv is listed.
with

records as (

    select * from {{ ref('training_records') }}

),

samples as (

    select * from {{ ref('samples') }}

),

assets as (

    select * from {{ ref('asset_records') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

domain as (

    select distinct asset_type from task_types
    union
    select distinct asset_type from records

),

counted as (

    select
        records.asset_type,
        count(*) as record_count,
        count(distinct samples.source_asset_ids) as distinct_source_count

    from records
    left join samples on samples.sample_id = records.id
    group by records.asset_type

),

pool as (

    select
        asset_type,
        count(*) as manifest_asset_count
    from assets
    group by asset_type

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        domain.asset_type,
        coalesce(counted.record_count, 0) as record_count,
        coalesce(counted.record_count, 0) / nullif(total.record_count, 0) as share,
        coalesce(counted.distinct_source_count, 0) as distinct_source_count,
        coalesce(pool.manifest_asset_count, 0) as manifest_asset_count

    from domain
    cross join total
    left join counted on counted.asset_type = domain.asset_type
    left join pool on pool.asset_type = domain.asset_type

)

select * from final
order by record_count desc, asset_type asc
