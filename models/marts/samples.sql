-- The wide audit record: one row per shipped sample (audit passed, not rejected by a
-- review verdict), traceable to its source assets,
-- its annotation (grounding), its template (id, hash, the values filled in) and its
-- split. `is_smoke` marks the smoke-test subset: per (task type, asset type), the first
-- var('smoke_per_stratum') samples of train by a stable hash (val only where a stratum
-- has no train sample).
with

samples as (

    select * from {{ ref('int_samples_templated') }}

),

groups as (

    select * from {{ ref('int_sample_groups_assigned') }}

),

qualified as (

    select * from {{ ref('int_samples_qualified') }}

),

split as (

    select
        samples.*,
        groups.group_id,
        groups.split,
        qualified.review_status,
        qualified.error_types as quality_error_types

    from samples
    inner join groups on groups.asset_id = samples.source_asset_ids[1]
    -- only samples that passed the audit and are not rejected (or awaiting arbitration)
    inner join qualified on qualified.sample_id = samples.sample_id and qualified.is_shippable

),

smoked as (

    select
        *,
        row_number() over (
            partition by task_type, asset_type
            order by
                split = 'train' desc,
                {{ stable_pick("'smoke:' || sample_id", 1000000007) }},
                sample_id
        ) <= {{ var('smoke_per_stratum') }} as is_smoke

    from split

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
        sample_key

    from smoked

)

select * from final
