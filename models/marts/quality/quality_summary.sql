-- quality_summary: one row of the quality figures for the manifest and the reports:
-- audit pass rate per task type, samples shippable, review counts per status and role,
-- open arbitrations, the manual review sample's size, flags and library failures per error
-- type, CHAIR_i and CHAIR_s (all answers and per task type) and the grounding
-- back-rendering count.
with

qualified as (

    -- a template twin whose model answer passed is not a candidate of its own
    select * from {{ ref('int_samples_qualified') }}
    where not is_superseded

),

verdicts as (

    select * from {{ ref('int_sample_verdicts_resolved') }}

),

review_sample as (

    select * from {{ ref('manual_review_samples') }}

),

replay as (

    select * from {{ ref('failure_replay') }}

),

chair as (

    select * from {{ ref('chair_scores') }}

),

per_task as (

    select
        task_type,
        count(*) as audited,
        count(*) filter (where is_audit_passed) as passed,
        count(*) filter (where is_shippable) as shippable

    from qualified
    group by task_type

),

by_review_status as (

    select
        review_status,
        count(*) as n

    from qualified
    group by review_status

),

final as (

    select
        (select count(*) from qualified) as audited_sample_count,
        (
            select count(*) filter (where is_audit_passed) from qualified
        ) as audit_passed_sample_count,
        (select count(*) filter (where is_shippable) from qualified) as shippable_sample_count,
        (
            select count(*) filter (where is_audit_passed) / nullif(count(*), 0)
            from qualified
        ) as audit_pass_rate,
        (
            select
                map(
                    list(task_type order by task_type),
                    list(round(passed / audited, 4) order by task_type)
                )
            from per_task
        ) as audit_pass_rate_by_task_type,
        (
            select map(list(task_type order by task_type), list(shippable order by task_type))
            from per_task
        ) as shippable_by_task_type,
        (
            select map(list(review_status order by review_status), list(n order by review_status))
            from by_review_status
        ) as samples_by_review_status,
        (
            select count(*) from verdicts
            where first_verdict is not null
        ) as first_reviews,
        (
            select count(*) from verdicts
            where second_verdict is not null
        ) as second_reviews,
        (
            select count(*) from verdicts
            where arbitration_verdict is not null
        ) as arbitrations,
        (
            select count(*) from verdicts
            where review_status = 'needs_arbitration'
        ) as open_arbitrations,
        (
            select count(*) from review_sample
            where selection_reason <> 'reviewed_outside_sample'
        ) as manual_review_sample_count,
        (
            select count(*)
            from review_sample
            where
                task_type = 'region_grounding'
                and selection_reason <> 'reviewed_outside_sample'
        ) as visual_audit_sample_count,
        {{ var('review_sample_ratio', 0.1) }} as review_sample_ratio,
        (
            select
                map(
                    list(error_type order by error_type),
                    list(current_flags order by error_type)
                )
            from replay
        ) as flags_by_error_type,
        (
            select
                map(
                    list(error_type order by error_type),
                    list(known_failures order by error_type)
                )
            from replay
        ) as known_failures_by_error_type,
        (
            select chair_i from chair
            where scope = 'all'
        ) as chair_i,
        (
            select chair_s from chair
            where scope = 'all'
        ) as chair_s,
        (
            select
                map(
                    list(scope_value order by scope_value),
                    list(round(chair_i, 4) order by scope_value)
                )
            from chair
            where scope = 'task_type'
        ) as chair_i_by_task_type,
        (
            select
                map(
                    list(scope_value order by scope_value),
                    list(round(chair_s, 4) order by scope_value)
                )
            from chair
            where scope = 'task_type'
        ) as chair_s_by_task_type

)

select * from final
