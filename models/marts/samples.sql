{%- set hash_vars = ['factory_version'] -%}
{{ keyed_incremental('int_samples_split', 'sample_id', 'sample_id', vars=hash_vars) }}
-- The wide audit record: one row per shipped sample (audit passed, not rejected by a
-- review verdict), traceable to its source assets,
-- its annotation (grounding), its template (id, hash, the values filled in) and its
-- split and smoke flag (int_samples_split).
-- Built incrementally per sample: an incremental run builds only the samples whose
-- inputs_hash (int_samples_split: their templated row, split, smoke flag and review)
-- changed, and deletes the rows of samples no longer shipped (macros/incremental.sql).
with

hashed as (

    {{ keyed_inputs_hash('int_samples_split', 'sample_id', hash_vars) }}

),

changed_samples as (

    {{ changed_keys('hashed', 'sample_id', 'sample_id') }}

),

templated as (

    select * from {{ ref('int_samples_templated') }}

),

split as (

    select * from {{ ref('int_samples_split') }}

),

smoked as (

    select
        templated.*,
        split.group_id,
        split.split,
        split.is_smoke,
        split.review_status,
        split.quality_error_types,
        changed_samples.inputs_hash

    from changed_samples
    inner join split on split.sample_id = changed_samples.sample_id
    inner join templated on templated.sample_id = changed_samples.sample_id

),

final as (

    select
        sample_id,
        task_type,
        nullif(question_kind, '') as question_kind,
        asset_type,
        source_asset_ids,
        image_paths,
        image_count,
        template_id,
        template_hash,
        language,
        question_text,
        answer_text,
        conversations,
        annotation_id,
        category_id,
        referent_kind,
        category_name,
        category_name_zh,
        grid_ymin,
        grid_xmin,
        grid_ymax,
        grid_xmax,
        expected_count,
        ocr_text,
        field_name,
        expected_value,
        group_id,
        split,
        is_smoke,
        human_template,
        answer_pattern,
        fills as template_fills,
        '{{ var("factory_version") }}' as factory_version,
        generation_method,
        generation_request_hash,
        generation_model,
        review_status,
        sample_key,
        inputs_hash

    from smoked

)

select * from final
