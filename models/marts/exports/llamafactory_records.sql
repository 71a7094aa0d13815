{{ keyed_incremental('record_input_digests', 'sample_id', 'id') }}
-- LLaMA-Factory profile: sharegpt JSONL (`conversations` with from/value human/gpt and an
-- `images` list; registered by dataset_info.json). Boxes stay on the canonical
-- [ymin, xmin, ymax, xmax] 0..1000 grid: LLaMA-Factory passes text through unchanged.
-- Built incrementally by sample (record_input_digests, macros/incremental.sql).

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

final as (

    select
        samples.sample_id as id,
        samples.conversations,
        samples.image_paths as images,
        samples.split,
        samples.is_smoke,
        changed_samples.inputs_hash

    from samples
    inner join changed_samples on changed_samples.sample_id = samples.sample_id

)

select * from final
