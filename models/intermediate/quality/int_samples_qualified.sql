-- One row per candidate sample: its audit result, its review status and whether it may
-- ship. is_shippable = the audit passed and no final verdict rejected it and no open
-- first/second disagreement waits for arbitration (unreviewed and approved samples ship).
-- error_types: the audit's error types plus, for a rejected sample, the reviewers' error
-- type (unclassified when they gave none).
with

samples as (

    select * from {{ ref('int_samples_templated') }}

),

audited as (

    select * from {{ ref('int_samples_audited') }}

),

verdicts as (

    select * from {{ ref('int_sample_verdicts_resolved') }}

),

joined as (

    select
        samples.sample_id,
        samples.task_type,
        samples.asset_type,
        samples.language,
        coalesce(audited.is_audit_passed, false) as is_audit_passed,
        coalesce(audited.audit_reasons, ['audit: no audit row']) as audit_reasons,
        coalesce(audited.error_types, ['format_error']) as audit_error_types,
        audited.threshold_margin,
        coalesce(verdicts.review_status, 'unreviewed') as review_status,
        verdicts.final_verdict,
        verdicts.resolution as review_resolution,
        case
            when verdicts.review_status = 'rejected'
                then coalesce(verdicts.final_error_type, 'unclassified')
        end as review_error_type,
        verdicts.final_note as review_note,
        verdicts.last_reviewed_at

    from samples
    left join audited on audited.sample_id = samples.sample_id
    left join verdicts on verdicts.sample_id = samples.sample_id

),

final as (

    select
        *,
        list_sort(list_distinct(list_concat(
            audit_error_types,
            case when review_error_type is not null then [review_error_type] else [] end
        ))) as error_types,
        is_audit_passed and review_status in ('unreviewed', 'approved') as is_shippable

    from joined

)

select * from final
