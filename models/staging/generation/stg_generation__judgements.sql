with

source as (

    select * from {{ source('generation', 'judgements') }}

),

renamed as (

    select
        sample_id,
        request_hash,
        judge_model,
        judge_prompt_hash,
        is_text_only,
        image_text_consistency,
        task_following,
        detail_completeness,
        reasoning_reliability,
        safety_compliance,
        language_quality,
        mean_score,
        min_score,
        threshold,
        is_passed,
        rationale,
        judged_at

    from source

)

select * from renamed
