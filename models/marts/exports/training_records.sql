{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- The canonical training records, LLaVA conversation form: `image` is always a list of
-- paths (one type per field, which HF `datasets` requires), relative to the export's
-- image folder. `record_set` says which of the design documents' intermediate files a
-- record belongs to: instruct (basic instructions), alignment (grounding) or
-- interleaved (multi-image), as seeds/task_types.csv gives it for the record's task type.
-- Built incrementally by sample (record_input_digests, macros/incremental.sql; its
-- digest holds the task types too).
with

hashed as (

    {{ keyed_inputs_hash('record_input_digests', 'sample_id') }}

),

changed_samples as (

    {{ changed_keys('hashed', 'sample_id', 'id') }}

),

samples as (

    select * from {{ ref('samples') }}
    where sample_id in (select changed_samples.sample_id from changed_samples)

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
        task_types.record_set,
        changed_samples.inputs_hash

    from samples
    inner join changed_samples on changed_samples.sample_id = samples.sample_id
    left join task_types on task_types.task_type = samples.task_type

)

select * from final
