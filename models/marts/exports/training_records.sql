-- The canonical training records, LLaVA conversation form: `image` is always a list of
-- paths (one type per field, which HF `datasets` requires), relative to the export's
-- image folder. `record_set` says which of the design documents' intermediate files a
-- record belongs to: instruct (basic instructions), alignment (grounding) or
-- interleaved (multi-image), as seeds/task_types.csv gives it for the record's task type.
with

samples as (

    select * from {{ ref('samples') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

final as (

    select
        samples.sample_id as id,
        samples.image_paths as image,
        samples.conversations,
        samples.split,
        samples.is_smoke,
        samples.task_type,
        samples.asset_type,
        samples.language,
        task_types.record_set

    from samples
    left join task_types on task_types.task_type = samples.task_type

)

select * from final
