-- The model-written answer to use for a description (stage recaption, item = the asset)
-- or a comparison (stage compare, item = '<asset 1>|<asset 2>', in order): the latest
-- successful, non-empty call per item. The sample built on it still goes through the
-- same quality audit (CHAIR included) as a template answer, and its judgement, where
-- one has landed, gates it like any other sample.
with

generations as (

    select * from {{ ref('stg_generation__generations') }}

),

answers as (

    select
        stage,
        item_id,
        request_hash,
        model,
        response_text,
        row_number()
            over (partition by stage, item_id order by completed_at desc, request_hash asc)
            as recency_rank

    from generations
    where
        is_ok
        and stage in ('recaption', 'compare')
        and trim(coalesce(response_text, '')) <> ''

),

final as (

    select
        stage,
        item_id,
        request_hash as generation_request_hash,
        model as generation_model,
        trim(response_text) as model_answer_text

    from answers
    where recency_rank = 1

)

select * from final
