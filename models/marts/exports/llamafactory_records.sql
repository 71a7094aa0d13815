-- LLaMA-Factory profile: sharegpt JSONL (`conversations` with from/value human/gpt and an
-- `images` list; registered by dataset_info.json). Boxes stay on the canonical
-- [ymin, xmin, ymax, xmax] 0..1000 grid: LLaMA-Factory passes text through unchanged.

with

samples as (

    select * from {{ ref('samples') }}

),

final as (

    select
        sample_id as id,
        conversations,
        image_paths as images,
        split,
        is_smoke

    from samples

)

select * from final
