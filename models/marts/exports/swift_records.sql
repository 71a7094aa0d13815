{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- ms-swift profile: JSONL with `messages` (role user / assistant, content), `images` (a
-- list) and, on grounding records, `objects` {ref, bbox, bbox_type, image_id}: the answer
-- holds the placeholders <ref-object><bbox>, which swift fills in order from `objects`
-- after converting the real-pixel box to the model's own convention (its normalize_bbox:
-- norm1000 by default, the resized image for Qwen2.5-VL).

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('swift') }}  -- noqa: PRS

),

final as (

    select
        id,
        list_transform(conversations, lambda turn: {
            'role': case turn."from" when 'human' then 'user' else 'assistant' end,
            'content': turn.value
        }) as messages,
        image as images,
        case
            when box_px is not null then {
                'ref': [box_label],
                'bbox': [box_px::double[]],
                'bbox_type': 'real',
                'image_id': [0]
            }
        end as objects,
        split,
        is_smoke,
        inputs_hash

    from records

)

select * from final
