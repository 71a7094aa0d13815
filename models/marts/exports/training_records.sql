-- The canonical training records, LLaVA conversation form: `image` is always a list of
-- paths (one type per field, which HF `datasets` requires), relative to the export's
-- image folder. `record_set` says which of the design documents' intermediate files a
-- record belongs to: instruct (basic instructions), alignment (grounding) or
-- interleaved (multi-image).
with

samples as (

    select * from {{ ref('samples') }}

),

final as (

    select
        sample_id as id,
        image_paths as image,
        conversations,
        split,
        is_smoke,
        task_type,
        asset_type,
        language,
        case
            when task_type = 'region_grounding' then 'alignment'
            when image_count > 1 then 'interleaved'
            else 'instruct'
        end as record_set

    from samples

)

select * from final
