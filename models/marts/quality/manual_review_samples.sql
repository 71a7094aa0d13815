-- manual_review_samples: the reviewers' worklist. Drawn from the samples that passed the
-- audit, stratified over (task type, asset type):
--   * every stratum: ceil(var('review_sample_ratio') * its size) samples by a stable hash,
--     at least var('review_min_per_stratum');
--   * the task types that must not rely on automated rules alone
--     (var('review_required_task_types'): grounding, OCR, document and chart) at least
--     var('review_min_per_required_stratum'), plus the var('review_near_threshold_per_stratum')
--     samples nearest their audit threshold (smallest threshold_margin: grounding boxes
--     whose worst edge error is closest to half a grid cell; OCR samples whose character
--     recall is closest to the usability threshold), picked first;
--   * every sample a reviewer judged outside the draw ('reviewed_outside_sample').
-- With the verdicts landed so far: reviewer, verdict and time per role (first_review,
-- second_review, arbitration), the review status and the role still owed.
{%- set required_task_types = var('review_required_task_types') %}
with

qualified as (

    select * from {{ ref('int_samples_qualified') }}

),

samples as (

    select * from {{ ref('int_samples_templated') }}

),

verdicts as (

    select * from {{ ref('int_sample_verdicts_resolved') }}

),

audited as (

    select * from {{ ref('int_samples_audited') }}

),

candidates as (

    select
        qualified.*,
        audited.threshold_margin_kind,
        qualified.task_type in (
            {%- for task_type in required_task_types %}
            '{{ task_type }}'{{ ',' if not loop.last }}
            {%- endfor %}
        ) as is_review_required,
        count(*) over (partition by qualified.task_type, qualified.asset_type) as stratum_size

    from qualified
    inner join audited on audited.sample_id = qualified.sample_id
    where qualified.is_audit_passed and not qualified.is_superseded

),

targeted as (

    select
        *,
        case
            when is_review_required then {{ var('review_near_threshold_per_stratum', 8) }} else 0
        end
            as near_threshold_target,
        least(stratum_size, greatest(
            cast(ceil({{ var('review_sample_ratio', 0.1) }} * stratum_size) as bigint),
            case
                when is_review_required then {{ var('review_min_per_required_stratum', 10) }}
                else {{ var('review_min_per_stratum', 3) }}
            end
        )) as random_target,
        row_number() over (
            partition by task_type, asset_type
            order by threshold_margin asc nulls last, sample_id asc
        ) as near_threshold_rank

    from candidates

),

near_threshold as (

    select
        *,
        'nearest_threshold' as selection_reason
    from targeted
    where
        threshold_margin is not null
        and near_threshold_rank <= near_threshold_target

),

random_draw as (

    select
        *,
        'stratified_random' as selection_reason
    from targeted
    where sample_id not in (select sample_id from near_threshold)
    qualify row_number() over (
        partition by task_type, asset_type
        order by {{ stable_pick("'review:' || sample_id", 1000000007) }}, sample_id
    ) <= any_value(random_target) over (partition by task_type, asset_type)

),

reviewed_elsewhere as (

    select
        qualified.*,
        null::varchar as threshold_margin_kind,
        null::boolean as is_review_required,
        null::bigint as stratum_size,
        null::bigint as near_threshold_target,
        null::bigint as random_target,
        null::bigint as near_threshold_rank,
        'reviewed_outside_sample' as selection_reason

    from qualified
    inner join verdicts on verdicts.sample_id = qualified.sample_id
    where
        qualified.sample_id not in (select sample_id from near_threshold)
        and qualified.sample_id not in (select sample_id from random_draw)

),

selected as (

    select * from near_threshold
    union all by name
    select * from random_draw
    union all by name
    select * from reviewed_elsewhere

),

final as (

    select
        selected.sample_id,
        selected.task_type,
        selected.asset_type,
        selected.language,
        selected.selection_reason,
        selected.stratum_size,
        selected.threshold_margin,
        selected.threshold_margin_kind,
        samples.image_paths,
        samples.question_text,
        samples.answer_text,
        verdicts.first_reviewer,
        verdicts.first_verdict,
        verdicts.first_reviewed_at,
        verdicts.second_reviewer,
        verdicts.second_verdict,
        verdicts.second_reviewed_at,
        verdicts.arbitrator,
        verdicts.arbitration_verdict,
        verdicts.arbitrated_at,
        selected.review_status,
        case selected.review_status
            when 'unreviewed' then 'first_review'
            when 'needs_arbitration' then 'arbitration'
        end as next_review_role,
        selected.is_shippable

    from selected
    inner join samples on samples.sample_id = selected.sample_id
    left join verdicts on verdicts.sample_id = selected.sample_id

)

select * from final
