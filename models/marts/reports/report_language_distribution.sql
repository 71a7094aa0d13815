-- Records per language in the delivered dataset, overall and per split.
with

records as (

    select * from {{ ref('training_records') }}

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        language,
        count(*) as record_count,
        count(*) / any_value(total.record_count) as share,
        count(*) filter (where split = 'train') as train_count,
        count(*) filter (where split = 'val') as val_count

    from records
    cross join total
    group by language

)

select * from final
order by record_count desc, language asc
