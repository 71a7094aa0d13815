-- CHAIR (Rohrbach et al. 2018) over the answers of the task types seeds/task_types.csv
-- marks is_chair_checked (image_description, multi_image_comparison): CHAIR_i =
-- hallucinated mentions / all mentions, CHAIR_s = answers with any hallucinated mention /
-- all answers (an answer without a mention counts in the denominator). One row for all
-- answers (scope 'all') and one per task type, language and generation method (template
-- or model-written).
{%- set sample_columns = adapter.get_columns_in_relation(ref('int_samples_templated'))
    | map(attribute='name') | list if execute else [] %}
with

samples as (

    select * from {{ ref('int_samples_templated') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

mentions as (

    select * from {{ ref('int_sample_mentions_extracted') }}

),

answers as (

    select
        samples.sample_id,
        samples.task_type,
        samples.language,
        {{ 'samples.generation_method' if 'generation_method' in sample_columns else "'template'" }}
            as generation_method,
        coalesce(sum(mentions.mention_count), 0) as mention_count,
        coalesce(sum(mentions.mention_count) filter (where mentions.is_hallucinated), 0)
            as hallucinated_mention_count

    from samples
    inner join task_types on task_types.task_type = samples.task_type
    left join mentions on mentions.sample_id = samples.sample_id
    where task_types.is_chair_checked
    group by all

),

scored as (

    select
        case
            when grouping(task_type) = 0 then 'task_type'
            when grouping(language) = 0 then 'language'
            when grouping(generation_method) = 0 then 'generation_method'
            else 'all'
        end as scope,
        coalesce(task_type, language, generation_method, 'all') as scope_value,
        count(*) as answer_count,
        count(*) filter (where hallucinated_mention_count > 0) as hallucinated_answer_count,
        sum(mention_count) as mention_count,
        sum(hallucinated_mention_count) as hallucinated_mention_count

    from answers
    -- sqlfluff's duckdb dialect cannot parse GROUPING SETS
    group by grouping sets ((), (task_type), (language), (generation_method))  -- noqa: PRS

),

final as (

    select
        scope,
        scope_value,
        answer_count,
        hallucinated_answer_count,
        mention_count,
        hallucinated_mention_count,
        hallucinated_mention_count / nullif(mention_count, 0) as chair_i,
        hallucinated_answer_count / nullif(answer_count, 0) as chair_s

    from scored

)

select * from final
