-- Records per split (train, val) and in the smoke set, which is a subset of them
-- (is_subset): count, share of all records, and how many task and asset types each holds.
with

records as (

    select * from {{ ref('training_records') }}

),

total as (

    select count(*) as record_count from records

),

tagged as (

    select
        split,
        false as is_subset,
        task_type,
        asset_type
    from records
    union all
    select
        'smoke_test' as split,
        true as is_subset,
        task_type,
        asset_type
    from records
    where is_smoke

),

domain as (

    select splits.*
    from (
        values ('train', false), ('val', false), ('smoke_test', true)
    ) as splits (split, is_subset)

),

counted as (

    select
        split,
        count(*) as record_count,
        count(distinct task_type) as task_type_count,
        count(distinct asset_type) as asset_type_count

    from tagged
    group by split

),

final as (

    select
        domain.split,
        domain.is_subset,
        coalesce(counted.record_count, 0) as record_count,
        coalesce(counted.record_count, 0) / nullif(total.record_count, 0) as share,
        coalesce(counted.task_type_count, 0) as task_type_count,
        coalesce(counted.asset_type_count, 0) as asset_type_count

    from domain
    cross join total
    left join counted on counted.split = domain.split

)

select * from final
order by is_subset, split
