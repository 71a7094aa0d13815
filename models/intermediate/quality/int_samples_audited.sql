-- One audit row per candidate sample: the structural checks, the ground-truth checks of
-- its task and CHAIR, as quality_signals (one struct per kind of check, NULL where it does
-- not apply), failed_checks ({check, error_type, evidence}), error_types and
-- is_audit_passed. A task type without a ground-truth check (document and chart tasks
-- when var('quality_audit_documents') / var('quality_audit_charts') turn theirs off) fails
-- with ground_truth_unchecked: a sample nobody verified does not ship; so does a task type
-- that is not in seeds/task_types.csv. CHAIR applies to the task types the seed marks
-- is_chair_checked. The language audits (int_sample_language_checked: grammar_agreement
-- in English, language_mixing in Chinese) apply to every task unless
-- var('quality_audit_language') turns them off.
{%- set audit_language = var('quality_audit_language', true) %}
{%- set audit_documents = var('quality_audit_documents', true) %}
{%- set audit_charts = var('quality_audit_charts', true) %}
with

samples as (

    select * from {{ ref('int_samples_templated') }}

),

task_types as (

    select * from {{ ref('stg_seeds__task_types') }}

),

structure as (

    select * from {{ ref('int_sample_structure_checked') }}

),

counting as (

    select * from {{ ref('int_counting_samples_audited') }}

),

grounding as (

    select * from {{ ref('int_grounding_samples_audited') }}

),

comparison as (

    select * from {{ ref('int_comparison_samples_audited') }}

),

description as (

    select * from {{ ref('int_description_samples_audited') }}

),

language_checks as (

    select * from {{ ref('int_sample_language_checked') }}

),

mentions as (

    select * from {{ ref('int_sample_mentions_extracted') }}

),

judgements as (

    -- the latest judgement of each sample at the configured threshold (P13: 4.0)
    select * from {{ ref('stg_generation__judgements') }}
    where threshold = {{ var('judge_threshold', 4.0) }}
    qualify row_number() over (partition by sample_id order by judged_at desc, request_hash asc) = 1

),

{%- if audit_documents %}

documents as (

    select * from {{ ref('int_document_samples_audited') }}

),
{%- endif %}
{%- if audit_charts %}

charts as (

    select * from {{ ref('int_chart_samples_audited') }}

),
{%- endif %}

chair as (

    select
        sample_id,
        sum(mention_count) as mention_count,
        sum(mention_count) filter (where is_hallucinated) as hallucinated_mention_count,
        list(category_name order by category_name) filter (where is_hallucinated)
            as hallucinated_categories,
        list(
            category_name
            || ' ('
            || array_to_string(mentioned_as, ', ')
            || ')'
            order by category_name
        )
        filter (where is_hallucinated) as hallucinated_evidence

    from mentions
    group by sample_id

),

chaired as (

    select
        samples.sample_id,
        case when task_types.is_chair_checked then {
            'mention_count': coalesce(chair.mention_count, 0),
            'hallucinated_mention_count': coalesce(chair.hallucinated_mention_count, 0),
            'hallucinated_categories': coalesce(chair.hallucinated_categories, [])
        } end as chair_signals,
        case
            when chair.hallucinated_mention_count > 0
                then [{
                    'check': 'chair', 'error_type': 'visual_hallucination',
                    'evidence': 'mentions ' || array_to_string(chair.hallucinated_evidence, '; ')
                    || ', which no image of the sample holds'
                }]
            else []
        end as failed_checks

    from samples
    left join task_types on task_types.task_type = samples.task_type
    left join chair on chair.sample_id = samples.sample_id

),

combined as (

    select
        samples.sample_id,
        samples.task_type,
        samples.asset_type,
        samples.language,
        samples.template_id,
        {
            'structure': {
                'has_required_fields': structure.has_required_fields,
                'is_placeholder_free': structure.is_placeholder_free,
                'is_conversation_well_formed': structure.is_conversation_well_formed,
                'is_image_token_count_ok': structure.is_image_token_count_ok,
                'is_image_order_consistent': structure.is_image_order_consistent,
                'has_distinct_images': structure.has_distinct_images,
                'is_language_consistent': structure.is_language_consistent
            },
            'counting': case when counting.sample_id is not null then {
                'question_category': counting.question_category,
                'answer_count': counting.answer_count,
                'true_count': counting.true_count,
                'has_crowd_region': counting.has_crowd_region
            } end,
            'grounding': case when grounding.sample_id is not null then {
                'question_category': grounding.question_category,
                'referent_kind': grounding.question_referent_kind,
                'answer_box_grid': grounding.answer_box_grid,
                'referent_annotation_id': grounding.referent_annotation_id,
                'is_referent_unique': grounding.is_referent_unique,
                'max_edge_error_px': grounding.max_edge_error_px,
                'max_edge_error_cells': grounding.max_edge_error_cells,
                'iou': grounding.iou
            } end,
            'comparison': case when comparison.sample_id is not null then {
                'is_shared_right': comparison.is_shared_right,
                'is_sides_right': comparison.is_sides_right,
                'is_total_right': comparison.is_total_right,
                'is_sides_reversed': comparison.is_sides_reversed
            } end,
            'description': case when description.sample_id is not null then {
                'listed_categories': description.listed_categories,
                'omitted_categories': description.omitted_categories,
                'miscounted_items': description.miscounted_items
            } end,
            'language': case when language_checks.sample_id is not null then {
                'grammar_disagreements': language_checks.grammar_disagreements,
                'unquoted_latin': language_checks.unquoted_latin,
                'unseen_quotes': language_checks.unseen_quotes
            } end,
            'chair': chaired.chair_signals,
            'judge': case when judgements.sample_id is not null then {
                'mean_score': judgements.mean_score,
                'min_score': judgements.min_score,
                'threshold': judgements.threshold,
                'is_passed': judgements.is_passed,
                'judge_model': judgements.judge_model
            } end
        } as quality_signals,
        case
            when samples.task_type = 'region_grounding' then grounding.threshold_margin
            {%- if audit_documents %}
            when samples.task_type in ('ocr_summary', 'document_qa') then documents.threshold_margin
            {%- endif %}
        end as threshold_margin,
        case
            when samples.task_type = 'region_grounding'
                then 'grounding: 0.5 - worst box edge error in grid cells'
            {%- if audit_documents %}
            when samples.task_type in ('ocr_summary', 'document_qa')
                then 'ocr: char recall - usability threshold'
            {%- endif %}
        end as threshold_margin_kind,
        list_concat(
            coalesce(structure.failed_checks, []),
            coalesce(counting.failed_checks, []),
            coalesce(grounding.failed_checks, []),
            coalesce(comparison.failed_checks, []),
            coalesce(description.failed_checks, []),
            {%- if audit_documents %}
            coalesce(documents.failed_checks, []),
            {%- endif %}
            {%- if audit_charts %}
            coalesce(charts.failed_checks, []),
            {%- endif %}
            {%- if audit_language %}
            coalesce(language_checks.failed_checks, []),
            {%- endif %}
            chaired.failed_checks,
            case when not judgements.is_passed then [{
                'check': 'judge', 'error_type': 'judge_rejected',
                'evidence': 'judge '
                || judgements.judge_model
                || ' scored '
                || round(judgements.mean_score, 2)
                || ' < ' || judgements.threshold
            }] else [] end,
            case
                when
                    samples.task_type in ('ocr_summary', 'document_qa')
                    {%- if audit_documents %} and documents.sample_id is null{% endif %}
                    then [{
                        'check': 'ground_truth_unchecked', 'error_type': 'ocr_omission',
                        'evidence': 'no ground-truth check ran for this document sample'
                    }]
                when
                    samples.task_type = 'chart_reading'
                    {%- if audit_charts %} and charts.sample_id is null{% endif %}
                    then [{
                        'check': 'ground_truth_unchecked', 'error_type': 'chart_misread',
                        'evidence': 'no ground-truth check ran for this chart sample'
                    }]
                when task_types.task_type is null
                    then [{
                        'check': 'ground_truth_unchecked', 'error_type': 'format_error',
                        'evidence': 'unknown task type ' || coalesce(samples.task_type, 'NULL')
                    }]
                else []
            end
        ) as failed_checks

    from samples
    left join task_types on task_types.task_type = samples.task_type
    left join structure on structure.sample_id = samples.sample_id
    left join counting on counting.sample_id = samples.sample_id
    left join grounding on grounding.sample_id = samples.sample_id
    left join judgements on judgements.sample_id = samples.sample_id
    left join comparison on comparison.sample_id = samples.sample_id
    left join description on description.sample_id = samples.sample_id
    {%- if audit_documents %}
    left join documents on documents.sample_id = samples.sample_id
    {%- endif %}
    {%- if audit_charts %}
    left join charts on charts.sample_id = samples.sample_id
    {%- endif %}
    left join chaired on chaired.sample_id = samples.sample_id
    left join language_checks on language_checks.sample_id = samples.sample_id

),

final as (

    select
        *,
        len(failed_checks) = 0 as is_audit_passed,
        list_transform(failed_checks, lambda c: c.check || ': ' || c.evidence) as audit_reasons,
        list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type)))
            as error_types

    from combined

)

select * from final
