-- Records per task type in the delivered dataset (training_records, the table every export
-- file is written from): count, share, per split and in the smoke set. Every task type of
-- seeds/task_types.csv is listed, with zeros when it has no record yet.
with

records as (

    select * from {{ ref('training_records') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

domain as (

    select task_type from task_types
    union
    select distinct task_type from records

),

counted as (

    select
        task_type,
        count(*) as record_count,
        count(*) filter (where split = 'train') as train_count,
        count(*) filter (where split = 'val') as val_count,
        count(*) filter (where is_smoke) as smoke_count

    from records
    group by task_type

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        domain.task_type,
        coalesce(counted.record_count, 0) as record_count,
        coalesce(counted.record_count, 0) / nullif(total.record_count, 0) as share,
        coalesce(counted.train_count, 0) as train_count,
        coalesce(counted.val_count, 0) as val_count,
        coalesce(counted.smoke_count, 0) as smoke_count

    from domain
    cross join total
    left join counted on counted.task_type = domain.task_type

)

select * from final
order by record_count desc, task_type asc
