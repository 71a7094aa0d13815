-- Records per record set of the design documents' intermediate files: instruct (basic
-- instructions), alignment (grounding) and interleaved (multi-image); every record set
-- of seeds/task_types.csv is listed, with zeros when it has no record yet.
with

records as (

    select * from {{ ref('training_records') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

domain as (

    select distinct record_set from task_types
    union
    select distinct record_set from records

),

counted as (

    select
        record_set,
        count(*) as record_count
    from records
    group by record_set

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        domain.record_set,
        coalesce(counted.record_count, 0) as record_count,
        coalesce(counted.record_count, 0) / nullif(total.record_count, 0) as share

    from domain
    cross join total
    left join counted on counted.record_set = domain.record_set

)

select * from final
order by record_count desc, record_set asc
