-- The self-consistency score that applies to each candidate sample: the latest landed
-- consistency_scores row (most samples n, then latest scored_at) of the question the
-- consistency stage asks about the sample's image and category (generation/stages/
-- consistency.py item ids): '<asset>:count:<category>' for a counting sample,
-- '<asset>:box:<category>' for a grounding sample, '<asset>:describe' for a description.
-- agreement_score is the share of n answers that agree (number), their mean pairwise IoU
-- (box) or word overlap (text); below var('consistency_min_agreement') (0.6) the model
-- disagrees with itself about this image, a signal (is_low_consistency) for review, not a
-- gate. One row per sample that has a score.
{%- set min_agreement = var('consistency_min_agreement', 0.6) %}
with

samples as (

    select * from {{ ref('int_samples_templated') }}

),

scores as (

    select * from {{ ref('stg_generation__consistency_scores') }}

),

latest_scores as (

    select * from scores
    qualify row_number() over (
        partition by item_id order by n_samples desc, scored_at desc, group_hash asc
    ) = 1

),

sample_items as (

    select
        sample_id,
        case task_type
            when 'counting_visual_qa' then source_asset_ids[1] || ':count:' || category_name
            when 'region_grounding' then source_asset_ids[1] || ':box:' || category_name
            when 'image_description' then source_asset_ids[1] || ':describe'
        end as consistency_item_id

    from samples

),

final as (

    select
        sample_items.sample_id,
        sample_items.consistency_item_id,
        latest_scores.model as consistency_model,
        latest_scores.answer_kind as consistency_answer_kind,
        latest_scores.n_samples as consistency_n_samples,
        latest_scores.agreement_score as consistency_agreement_score,
        latest_scores.majority_answer as consistency_majority_answer,
        {{ min_agreement }} as consistency_min_agreement,
        latest_scores.agreement_score < {{ min_agreement }} as is_low_consistency

    from sample_items
    inner join latest_scores on latest_scores.item_id = sample_items.consistency_item_id

)

select * from final
