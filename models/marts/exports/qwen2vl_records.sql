{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- Qwen2-VL profile: JSONL, `image` a list (one or several paths), boxes as
-- <|box_start|>(x1,y1),(x2,y2)<|box_end|> on 0..1000.

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('qwen2vl') }}  -- noqa: PRS

)

select * from records
