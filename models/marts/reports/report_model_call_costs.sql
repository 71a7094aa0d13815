-- Model-call cost: every landed call (stg_generation__generations) priced from its tokens
-- with the seed price list (model_prices: the row of the call's model with the latest
-- valid_from on or before the call's day; model names compared case-insensitively), next
-- to the cost recorded at call time. Calls are attributed to the task type of their sample
-- ('(no sample)' when the call has none). One row per (task type, stage, model), one per
-- task type (stage and model '(all)') and a total ('(all)' everywhere), with the cost per
-- 1,000 shipped samples of that task type. Calls of a model with no price are counted
-- (unpriced_call_count) and add nothing to priced_cost_usd (NULL when no call of the
-- row has a price).
with

calls as (

    select * from {{ ref('stg_generation__generations') }}

),

prices as (

    select
        lower(model) as model_key,
        cast(valid_from as date) as valid_from,
        prompt_usd_per_1m_tokens,
        completion_usd_per_1m_tokens

    from {{ ref('model_prices') }}

),

samples as (

    select
        sample_id,
        task_type

    from {{ ref('samples') }}

),

shipped as (

    select
        task_type,
        count(*) as shipped_record_count

    from {{ ref('training_records') }}
    group by task_type

),

shipped_total as (

    select sum(shipped_record_count) as shipped_record_count
    from shipped

),

keyed as (

    select
        calls.*,
        lower(calls.model) as model_key,
        cast(calls.requested_at as date) as call_date

    from calls

),

priced as (

    select
        keyed.*,
        prices.valid_from as price_valid_from,
        coalesce(keyed.prompt_tokens, 0) * prices.prompt_usd_per_1m_tokens / 1e6
        + coalesce(keyed.completion_tokens, 0) * prices.completion_usd_per_1m_tokens / 1e6
            as priced_cost_usd

    from keyed
    asof left join prices
        on prices.model_key = keyed.model_key
        and prices.valid_from <= keyed.call_date

),

attributed as (

    select
        priced.*,
        coalesce(samples.task_type, '(no sample)') as task_type

    from priced
    left join samples on samples.sample_id = priced.sample_id

),

grouped as (

    select
        coalesce(task_type, '(all)') as task_type,
        coalesce(stage, '(all)') as stage,
        coalesce(model, '(all)') as model,
        case
            when grouping(task_type) = 1 then 'total'
            when grouping(stage) = 1 then 'task_type'
            else 'detail'
        end as level,
        count(*) as call_count,
        count(*) filter (where status = 'ok') as ok_call_count,
        count(*) filter (where status <> 'ok') as failed_call_count,
        count(*) filter (where price_valid_from is null) as unpriced_call_count,
        cast(coalesce(sum(prompt_tokens), 0) as bigint) as prompt_tokens,
        cast(coalesce(sum(completion_tokens), 0) as bigint) as completion_tokens,
        sum(priced_cost_usd) as priced_cost_usd,
        sum(cost_usd) as recorded_cost_usd

    from attributed
    -- sqlfluff's duckdb dialect cannot parse GROUPING SETS
    group by grouping sets ((task_type, stage, model), (task_type), ())  -- noqa: PRS

),

final as (

    select
        grouped.*,
        cast(
            case
                when grouped.level = 'total' then shipped_total.shipped_record_count
                else shipped.shipped_record_count
            end as bigint
        ) as shipped_record_count,
        1000 * grouped.priced_cost_usd / nullif(
            case
                when grouped.level = 'total' then shipped_total.shipped_record_count
                else shipped.shipped_record_count
            end, 0
        ) as priced_cost_usd_per_1000_samples

    from grouped
    cross join shipped_total
    left join shipped on shipped.task_type = grouped.task_type

)

select * from final
order by level = 'total', task_type, level <> 'task_type', stage, model
