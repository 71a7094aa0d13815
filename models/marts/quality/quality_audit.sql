-- quality_audit: one row per candidate sample (shipped or not): the structural and
-- ground-truth checks as quality_signals, whether the audit passed, the reasons and error
-- types of every failed check, the threshold margin the review sample uses, and the
-- review status and shippability that follow; the self-consistency score of the sample's
-- question where one has landed (int_sample_consistency_scored: is_low_consistency below
-- var('consistency_min_agreement'), a signal, not a gate).
with

audited as (

    select * from {{ ref('int_samples_audited') }}

),

qualified as (

    select * from {{ ref('int_samples_qualified') }}

),

consistency as (

    select * from {{ ref('int_sample_consistency_scored') }}

),

final as (

    select
        audited.sample_id,
        audited.task_type,
        audited.asset_type,
        audited.language,
        audited.template_id,
        audited.quality_signals,
        audited.is_audit_passed,
        audited.audit_reasons,
        audited.failed_checks,
        audited.error_types as audit_error_types,
        audited.threshold_margin,
        audited.threshold_margin_kind,
        qualified.review_status,
        qualified.error_types,
        qualified.is_shippable,
        consistency.consistency_agreement_score,
        consistency.consistency_n_samples,
        coalesce(consistency.is_low_consistency, false) as is_low_consistency

    from audited
    inner join qualified on qualified.sample_id = audited.sample_id
    left join consistency on consistency.sample_id = audited.sample_id

)

select * from final
