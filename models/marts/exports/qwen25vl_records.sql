{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- Qwen2.5-VL profile: JSONL, `image` a list, boxes as {"bbox_2d": [x1, y1, x2, y2]} in
-- absolute pixels of the image after smart_resize.

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('qwen25vl') }}  -- noqa: PRS

)

select * from records
