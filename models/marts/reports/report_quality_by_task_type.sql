-- Quality signals per task type over every candidate sample (quality_audit: shipped or
-- not): audit passes and the pass rate, review outcomes, samples flagged as low quality
-- (low_quality_flags) and their most frequent error type, shippable and shipped counts
-- (training_records). Every task type of seeds/task_types.csv is listed.
with

audit as (

    select * from {{ ref('quality_audit') }}

),

flags as (

    select * from {{ ref('low_quality_flags') }}

),

shipped as (

    select id from {{ ref('training_records') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

domain as (

    select task_type from task_types
    union
    select distinct task_type from audit

),

counted as (

    select
        audit.task_type,
        count(*) as sample_count,
        count(*) filter (where audit.is_audit_passed) as audit_passed_count,
        count(*) filter (where not audit.is_audit_passed) as audit_failed_count,
        count(*) filter (where audit.review_status = 'approved') as review_approved_count,
        count(*) filter (where audit.review_status = 'rejected') as review_rejected_count,
        count(*) filter (where audit.review_status = 'needs_arbitration')
            as review_needs_arbitration_count,
        count(*) filter (where audit.review_status = 'unreviewed') as review_unreviewed_count,
        count(*) filter (where audit.is_shippable) as shippable_count,
        count(shipped.id) as shipped_count

    from audit
    left join shipped on shipped.id = audit.sample_id
    group by audit.task_type

),

flagged as (

    select
        task_type,
        count(distinct sample_id) as flagged_sample_count,
        mode(error_type) as top_error_type

    from flags
    group by task_type

),

final as (

    select
        domain.task_type,
        coalesce(counted.sample_count, 0) as sample_count,
        coalesce(counted.audit_passed_count, 0) as audit_passed_count,
        coalesce(counted.audit_failed_count, 0) as audit_failed_count,
        counted.audit_passed_count / nullif(counted.sample_count, 0) as audit_pass_rate,
        coalesce(counted.review_approved_count, 0) as review_approved_count,
        coalesce(counted.review_rejected_count, 0) as review_rejected_count,
        coalesce(counted.review_needs_arbitration_count, 0) as review_needs_arbitration_count,
        coalesce(counted.review_unreviewed_count, 0) as review_unreviewed_count,
        counted.review_approved_count
        / nullif(counted.review_approved_count + counted.review_rejected_count, 0)
            as review_approval_rate,
        coalesce(flagged.flagged_sample_count, 0) as flagged_sample_count,
        flagged.top_error_type,
        coalesce(counted.shippable_count, 0) as shippable_count,
        coalesce(counted.shipped_count, 0) as shipped_count

    from domain
    left join counted on counted.task_type = domain.task_type
    left join flagged on flagged.task_type = domain.task_type

)

select * from final
order by sample_count desc, task_type asc
