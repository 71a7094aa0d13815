{%- set hash_vars = ['zh_fraction'] -%}
{{ keyed_incremental(
    'int_sample_inputs_hashed', 'sample_key', 'task_sample_key', 'sample_inputs_hash',
    vars=hash_vars
) }}
-- Every candidate sample of every task, in one shape: its language and template chosen
-- by a stable hash of its key (so rebuilds are stable), the template's placeholders
-- filled, the LLaVA conversation built, and its images resolved to paths. An English
-- description or comparison with a landed model answer takes that answer
-- (generation_method = 'model', generation_request_hash traces the call), and has a twin
-- with the template answer (generation_method = 'template_fallback', fallback_of_sample_id
-- = the model sample) that ships only if the model answer fails its audit.
-- Built incrementally per task sample: an incremental run templates only the samples whose
-- inputs changed (int_sample_inputs_hashed, macros/incremental.sql); every row keeps the
-- key of its task model's row (task_sample_key, the same for a fallback twin) and that
-- row's hash (sample_inputs_hash).
with

hashed as (

    {{ keyed_inputs_hash('int_sample_inputs_hashed', 'sample_key', hash_vars) }}

),

changed_samples as (

    {{ changed_keys('hashed', 'sample_key', 'task_sample_key', 'sample_inputs_hash') }}

),

task_samples as (

    select * from {{ ref('int_task_samples_unioned') }}

),

templates as (

    select * from {{ ref('stg_seeds__instruction_templates') }}

),

assets as (

    select * from {{ ref('stg_landing__assets') }}

),

unioned as (

    select
        task_samples.*,
        task_samples.sample_key as task_sample_key,
        changed_samples.inputs_hash as sample_inputs_hash

    from task_samples
    inner join changed_samples on changed_samples.sample_key = task_samples.sample_key

),

template_languages as (

    select distinct
        task_type,
        question_kind,
        language

    from templates

),

languaged as (

    -- Chinese for a stable var('zh_fraction') of the samples, where the task has Chinese
    -- templates (a dataset's own English QA pairs stay English)
    select
        unioned.*,
        case
            when
                {{ stable_fraction("'language:' || unioned.sample_key") }}
                < {{ var('zh_fraction') }}
                and zh.language is not null
                then 'zh'
            else 'en'
        end as language

    from unioned
    left join template_languages as zh
        on zh.task_type = unioned.task_type
        and zh.question_kind = unioned.question_kind
        and zh.language = 'zh'

),

templated as (

    select
        languaged.*,
        templates.template_id,
        templates.template_hash,
        templates.human_turn as human_template,
        templates.answer_pattern,
        case languaged.language when 'zh' then fills_zh else fills_en end as fills

    from languaged
    inner join templates
        on templates.task_type = languaged.task_type
        and templates.question_kind = languaged.question_kind
        and templates.language = languaged.language
        and templates.template_slot
        = {{ stable_pick("'template:' || languaged.sample_key", "templates.template_slot_count") }}

),

-- a model answer that fails its audit must not cost the sample: each English sample with
-- a model answer has a template twin (the verified template answer), which ships only when
-- the model answer's audit fails (int_samples_qualified)
with_fallbacks as (

    select
        *,
        null::varchar as fallback_of_sample_key
    from templated
    union all by name
    select
        * replace (
            sample_key || ':template_fallback' as sample_key,
            null::varchar as model_answer_text,
            null::varchar as generation_request_hash,
            null::varchar as generation_model
        ),
        sample_key as fallback_of_sample_key
    from templated
    where language = 'en' and model_answer_text is not null

),

sample_images as (

    {{ image_positions('with_fallbacks', 'sample_key') }}

),

images as (

    select
        sample_images.sample_key,
        list(assets.source || '/' || assets.relative_path order by sample_images.position)
            as image_paths

    from sample_images
    inner join assets on assets.asset_id = sample_images.asset_id
    group by sample_images.sample_key

),

filled as (

    select
        {{ stable_id('s_', "templated.task_type || ':' || templated.sample_key") }} as sample_id,
        case
            when templated.fallback_of_sample_key is not null
                then {{ stable_id(
                    's_', "templated.task_type || ':' || templated.fallback_of_sample_key"
                ) }}
        end as fallback_of_sample_id,
        templated.* exclude (fills_en, fills_zh, fallback_of_sample_key),
        images.image_paths,
        len(source_asset_ids) as image_count,
        -- fill_placeholders folds with a two-argument lambda, which sqlfluff cannot parse
        {{ fill_placeholders('human_template', 'fills') }} as question_text,  -- noqa: PRS
        case
            when templated.language = 'en' and templated.model_answer_text is not null
                then templated.model_answer_text
            else {{ fill_placeholders('answer_pattern', 'fills') }}
        end as answer_text,
        case
            when templated.language = 'en' and templated.model_answer_text is not null then 'model'
            when templated.fallback_of_sample_key is not null then 'template_fallback'
            else 'template'
        end as generation_method

    from with_fallbacks as templated
    inner join images on images.sample_key = templated.sample_key

),

conversed as (

    select
        *,
        {{ llava_conversation('image_count', 'language', 'question_text', 'answer_text') }}
            as conversations

    from filled

)

select * from conversed
