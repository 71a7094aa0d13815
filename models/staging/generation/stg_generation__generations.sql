with

source as (

    select * from {{ source('generation', 'generations') }}

),

renamed as (

    select
        request_hash,
        group_hash,
        run_id,
        batch_no,
        stage,
        item_id,
        sample_id,
        sample_index,
        asset_ids,
        base_url,
        model,
        temperature,
        top_p,
        max_tokens,
        template_id,
        template_hash,
        prompt,
        response_text,
        finish_reason,
        prompt_tokens,
        completion_tokens,
        cost_usd,
        latency_ms,
        attempts,
        status,
        status = 'ok' as is_ok,
        http_status,
        error,
        requested_at,
        completed_at

    from source

)

select * from renamed
where {{ none_taken_down('asset_ids') }}
