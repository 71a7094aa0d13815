-- One row per reviewed candidate sample: the latest verdict of each role (first_review,
-- second_review, arbitration; latest by reviewed_at) and the final verdict:
--   * an arbitration verdict wins;
--   * else a first and a second review that agree decide;
--   * a first and a second review that disagree -> needs_arbitration: no final verdict,
--     and the sample stays OUT of the dataset until an arbitration verdict lands;
--   * a single review (first or second) decides alone.
-- Verdicts for sample ids that are no longer candidates are ignored. A verdict other than
-- approve (reject, needs_fix) keeps the sample out: review_status 'rejected'.
with

verdicts as (

    select * from {{ ref('stg_quality__review_verdicts') }}

),

samples as (

    select sample_id from {{ ref('int_samples_templated') }}

),

latest as (

    select verdicts.*
    from verdicts
    inner join samples on samples.sample_id = verdicts.sample_id
    qualify row_number() over (
        partition by verdicts.sample_id, verdicts.role
        order by verdicts.reviewed_at desc, verdicts.ingested_at desc, verdicts.verdict_id asc
    ) = 1

),

verdict_counts as (

    select
        verdicts.sample_id,
        count(*) as verdict_count
    from verdicts
    inner join samples on samples.sample_id = verdicts.sample_id
    group by verdicts.sample_id

),

pivoted as (

    select
        sample_id,
        any_value(reviewer) filter (where role = 'first_review') as first_reviewer,
        any_value(verdict) filter (where role = 'first_review') as first_verdict,
        any_value(error_type) filter (where role = 'first_review') as first_error_type,
        any_value(note) filter (where role = 'first_review') as first_note,
        any_value(reviewed_at) filter (where role = 'first_review') as first_reviewed_at,
        any_value(reviewer) filter (where role = 'second_review') as second_reviewer,
        any_value(verdict) filter (where role = 'second_review') as second_verdict,
        any_value(error_type) filter (where role = 'second_review') as second_error_type,
        any_value(note) filter (where role = 'second_review') as second_note,
        any_value(reviewed_at) filter (where role = 'second_review') as second_reviewed_at,
        any_value(reviewer) filter (where role = 'arbitration') as arbitrator,
        any_value(verdict) filter (where role = 'arbitration') as arbitration_verdict,
        any_value(error_type) filter (where role = 'arbitration') as arbitration_error_type,
        any_value(note) filter (where role = 'arbitration') as arbitration_note,
        any_value(reviewed_at) filter (where role = 'arbitration') as arbitrated_at

    from latest
    group by sample_id

),

resolved as (

    select
        pivoted.*,
        verdict_counts.verdict_count,
        case
            when arbitration_verdict is not null then 'arbitration'
            when
                first_verdict is not null
                and second_verdict is not null
                and first_verdict = second_verdict
                then 'agreement'
            when first_verdict is not null and second_verdict is not null then 'disagreement'
            else 'single_review'
        end as resolution

    from pivoted
    inner join verdict_counts on verdict_counts.sample_id = pivoted.sample_id

),

final as (

    select
        *,
        case resolution
            when 'arbitration' then arbitration_verdict
            when 'agreement' then first_verdict
            when 'single_review' then coalesce(first_verdict, second_verdict)
        end as final_verdict,
        case resolution
            when
                'arbitration'
                then case arbitration_verdict when 'approve' then 'approved' else 'rejected' end
            when
                'agreement'
                then case first_verdict when 'approve' then 'approved' else 'rejected' end
            when 'disagreement' then 'needs_arbitration'
            else
                case coalesce(first_verdict, second_verdict)
                    when 'approve' then 'approved' else 'rejected'
                end
        end as review_status,
        case resolution
            when 'arbitration' then arbitration_error_type
            when 'agreement' then coalesce(first_error_type, second_error_type)
            when 'single_review' then coalesce(first_error_type, second_error_type)
        end as final_error_type,
        case resolution
            when 'arbitration' then arbitration_note
            when 'agreement' then concat_ws(' | ', first_note, second_note)
            when 'single_review' then coalesce(first_note, second_note)
        end as final_note,
        greatest(first_reviewed_at, second_reviewed_at, arbitrated_at) as last_reviewed_at,
        first_reviewer is null or second_reviewer is null or first_reviewer <> second_reviewer
            as is_second_review_independent

    from resolved

)

select * from final
