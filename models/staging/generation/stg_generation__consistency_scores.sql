with

source as (

    select * from {{ source('generation', 'consistency_scores') }}

),

renamed as (

    select
        group_hash,
        item_id,
        asset_ids,
        model,
        question,
        answer_kind,
        n_samples,
        n_parsed,
        agreement_score,
        majority_answer,
        scored_at

    from source

)

select * from renamed
where {{ none_taken_down('asset_ids') }}
