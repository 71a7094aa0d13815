{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- LLaMA-Factory-ready Qwen2.5-VL profile: the llamafactory record shape (sharegpt
-- `conversations` + `images` list, registered by dataset_info.json) with boxes as
-- {"bbox_2d": [x1, y1, x2, y2], "label": ...} in pixels of the image LLaMA-Factory hands
-- to a Qwen2.5-VL model at its defaults: image_max_pixels 768*768 first, then
-- smart_resize (factor 28).

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('llamafactory_qwen25vl') }}  -- noqa: PRS

),

final as (

    select
        id,
        conversations,
        image as images,
        split,
        is_smoke,
        inputs_hash

    from records

)

select * from final
