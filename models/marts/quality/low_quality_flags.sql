-- low_quality_flags: one row per (sample, error type) for every failed audit check and
-- every reviewer rejection, with its evidence, where it came from (audit, review) and the
-- sample's content. failure_key = sha256(sample_id | error_type | answer_hash) identifies a
-- failure across builds: quality.failure_library.record_failures appends the keys it has
-- not seen to the landed failure library after each build.
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

audit_flags as (

    select
        sample_id,
        failed_check.error_type,
        failed_check.check as check_name,
        failed_check.evidence,
        'audit' as flag_source

    from audited, unnest(failed_checks) as checks (failed_check)

),

review_flags as (

    select
        sample_id,
        coalesce(final_error_type, 'unclassified') as error_type,
        'review_' || resolution as check_name,
        'rejected by '
        || concat_ws(', ', first_reviewer, second_reviewer, arbitrator)
        || ' ('
        || resolution
        || ')'
        || coalesce(': ' || final_note, '') as evidence,
        'review' as flag_source

    from verdicts
    where review_status = 'rejected'

),

flags as (

    select * from audit_flags
    union all
    select * from review_flags

),

grouped as (

    select
        sample_id,
        error_type,
        list_sort(list_distinct(list(flag_source))) as flag_sources,
        list(check_name order by flag_source, check_name) as check_names,
        string_agg(check_name || ': ' || evidence, '; ' order by flag_source, check_name)
            as evidence

    from flags
    group by sample_id, error_type

),

final as (

    select
        sha256(
            grouped.sample_id
            || '|'
            || grouped.error_type
            || '|'
            || sha256(coalesce(samples.answer_text, ''))
        ) as failure_key,
        grouped.sample_id,
        grouped.error_type,
        grouped.flag_sources,
        grouped.check_names,
        grouped.evidence,
        samples.task_type,
        samples.asset_type,
        samples.language,
        samples.source_asset_ids,
        samples.image_paths,
        samples.question_text,
        samples.answer_text,
        sha256(coalesce(samples.answer_text, '')) as answer_hash

    from grouped
    inner join samples on samples.sample_id = grouped.sample_id

)

select * from final
