-- Conversation length in the delivered dataset: records per number of turns (messages),
-- with the number of human/gpt exchanges that makes.
with

records as (

    select * from {{ ref('training_records') }}

),

total as (

    select count(*) as record_count from records

),

final as (

    select
        len(conversations) as turn_count,
        len(conversations) // 2 as exchange_count,
        count(*) as record_count,
        count(*) / any_value(total.record_count) as share

    from records
    cross join total
    group by all

)

select * from final
order by turn_count
