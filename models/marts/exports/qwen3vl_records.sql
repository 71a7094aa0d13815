{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- Qwen3-VL profile: JSONL, `image` a list, boxes as [{"bbox_2d": [x1, y1, x2, y2],
-- "label": ...}] on a relative 0..1000 grid (round(v / side * 1000), clamped), so the
-- trainer's own resize (multiples of 32) does not change the target.

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('qwen3vl') }}  -- noqa: PRS

),

final as (

    select
        id,
        image,
        conversations,
        split,
        is_smoke,
        inputs_hash

    from records

)

select * from final
