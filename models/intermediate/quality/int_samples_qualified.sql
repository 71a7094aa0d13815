-- One row per candidate sample: its audit result, its review status and whether it may
-- ship. is_shippable = the audit passed and no final verdict rejected it and no open
-- first/second disagreement waits for arbitration (unreviewed and approved samples ship),
-- and, for a template fallback, its model-answer twin failed its audit.
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

model_twins as (

    -- the model-answer sample a template fallback stands in for, and its audit result
    select
        samples.sample_id as fallback_sample_id,
        coalesce(audited.is_audit_passed, false) as is_model_answer_passed

    from samples
    left join audited on audited.sample_id = samples.fallback_of_sample_id
    where samples.fallback_of_sample_id is not null

),

joined as (

    select
        samples.sample_id,
        samples.fallback_of_sample_id,
        -- a template fallback whose model-answer twin passed its audit is not needed
        coalesce(model_twins.is_model_answer_passed, false) as is_superseded,
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
    left join model_twins on model_twins.fallback_sample_id = samples.sample_id

),

final as (

    select
        *,
        list_sort(list_distinct(list_concat(
            audit_error_types,
            case when review_error_type is not null then [review_error_type] else [] end
        ))) as error_types,
        is_audit_passed and review_status in ('unreviewed', 'approved') and not is_superseded
            as is_shippable

    from joined

)

select * from final
