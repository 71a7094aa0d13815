{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- LLaVA-1.5 profile: single-image records only (its trainer takes one `image` string),
-- boxes as [x1, y1, x2, y2] on 0..1 with 2 decimals relative to the raw image.

with

records as (

    -- profile_records fills templates with a two-argument lambda, which sqlfluff cannot parse
    {{ profile_records('llava') }}  -- noqa: PRS

),

final as (

    select
        id,
        image[1] as image,
        conversations,
        split,
        is_smoke,
        inputs_hash

    from records
    where len(image) = 1

)

select * from final
