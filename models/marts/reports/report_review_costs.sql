-- Manual review cost per task type: minutes per sample x the hourly rate (seed
-- review_rates, with where its numbers come from). Two bases: reviewing every shipped
-- record (the design documents' figure: about 267 CNY for 267 records) and the candidate
-- samples actually reviewed so far (quality_audit.review_status other than unreviewed,
-- shipped or not). Also the cost per 1,000 samples. The last row, task_type '(all)', is
-- the total.
with

rates as (

    select * from {{ ref('review_rates') }}

),

records as (

    select * from {{ ref('training_records') }}

),

audit as (

    select * from {{ ref('quality_audit') }}

),

shipped as (

    select
        task_type,
        count(*) as shipped_record_count
    from records
    group by task_type

),

reviewed as (

    select
        task_type,
        count(*) filter (where review_status <> 'unreviewed') as reviewed_sample_count

    from audit
    group by task_type

),

domain as (

    select task_type from rates
    union
    select task_type from shipped

),

per_task as (

    select
        domain.task_type,
        coalesce(shipped.shipped_record_count, 0) as shipped_record_count,
        coalesce(reviewed.reviewed_sample_count, 0) as reviewed_sample_count,
        rates.minutes_per_sample,
        rates.rate_per_hour,
        rates.currency,
        rates.minutes_per_sample * rates.rate_per_hour / 60.0 as cost_per_sample

    from domain
    left join rates on rates.task_type = domain.task_type
    left join shipped on shipped.task_type = domain.task_type
    left join reviewed on reviewed.task_type = domain.task_type

),

costed as (

    select
        task_type,
        shipped_record_count,
        reviewed_sample_count,
        minutes_per_sample,
        rate_per_hour,
        currency,
        shipped_record_count * minutes_per_sample as review_minutes_all_shipped,
        shipped_record_count * cost_per_sample as review_cost_all_shipped,
        reviewed_sample_count * minutes_per_sample as review_minutes_reviewed,
        reviewed_sample_count * cost_per_sample as review_cost_reviewed,
        1000 * cost_per_sample as review_cost_per_1000_samples

    from per_task

),

total as (

    select
        '(all)' as task_type,
        cast(sum(shipped_record_count) as bigint) as shipped_record_count,
        cast(sum(reviewed_sample_count) as bigint) as reviewed_sample_count,
        sum(review_minutes_all_shipped)
        / nullif(sum(shipped_record_count), 0) as minutes_per_sample,
        case when count(distinct rate_per_hour) = 1 then any_value(rate_per_hour) end
            as rate_per_hour,
        case when count(distinct currency) = 1 then any_value(currency) else 'mixed' end
            as currency,
        sum(review_minutes_all_shipped) as review_minutes_all_shipped,
        sum(review_cost_all_shipped) as review_cost_all_shipped,
        sum(review_minutes_reviewed) as review_minutes_reviewed,
        sum(review_cost_reviewed) as review_cost_reviewed,
        1000 * sum(review_cost_all_shipped) / nullif(sum(shipped_record_count), 0)
            as review_cost_per_1000_samples

    from costed

),

unioned as (

    select
        *,
        0 as sort_order
    from costed
    union all by name
    select
        *,
        1 as sort_order
    from total

)

select * exclude (sort_order) from unioned
order by sort_order asc, shipped_record_count desc, task_type asc
