-- Answer length (characters in the gpt turns) per task type and language in the delivered
-- dataset: count, min, median, 90th percentile, max and mean.
with

records as (

    select * from {{ ref('training_records') }}

),

answers as (

    select
        id,
        task_type,
        language,
        cast(list_sum(list_transform(
            list_filter(conversations, lambda turn: turn['from'] = 'gpt'),
            lambda turn: length(turn['value'])
        )) as bigint) as answer_chars

    from records

),

final as (

    select
        task_type,
        language,
        count(*) as record_count,
        min(answer_chars) as min_chars,
        quantile_disc(answer_chars, 0.5) as median_chars,
        quantile_disc(answer_chars, 0.9) as p90_chars,
        max(answer_chars) as max_chars,
        round(avg(answer_chars), 1) as mean_chars

    from answers
    group by task_type, language

)

select * from final
order by task_type, language
