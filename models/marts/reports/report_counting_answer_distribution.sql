-- The answers of the delivered counting questions: records per true count, with its share
-- of all counting records (issue 14: no single count above 35%, so that a model learns to
-- count rather than to answer "1").
with

records as (

    select * from {{ ref('training_records') }}
    where task_type = 'counting_visual_qa'

),

samples as (

    select * from {{ ref('samples') }}

),

counted as (

    select samples.expected_count

    from records
    inner join samples on samples.sample_id = records.id

),

final as (

    select
        expected_count,
        count(*) as record_count,
        count(*) / sum(count(*)) over () as share

    from counted
    group by expected_count

)

select * from final
order by expected_count asc
