-- Issue 14's targets for the photo tasks, measured on the delivered records: one row per
-- figure with its target (descriptions: statements per description, spatial relations
-- where the image has 2+ salient objects, sentence plans per language; comparisons: pairs;
-- counting: the largest single answer's share).
with

records as (

    select * from {{ ref('training_records') }}

),

templated as (

    select * from {{ ref('int_samples_templated') }}

),

description_audits as (

    select * from {{ ref('int_description_samples_audited') }}

),

descriptions as (

    select * from {{ ref('int_description_samples_derived') }}

),

relations as (

    select distinct asset_id from {{ ref('int_object_relations_computed') }}

),

counting_answers as (

    select * from {{ ref('report_counting_answer_distribution') }}

),

delivered_descriptions as (

    select
        records.language,
        description_audits.statement_count,
        description_audits.relation_statement_count,
        descriptions.sentence_plan_id,
        relations.asset_id is not null as has_two_salient_objects

    from records
    inner join templated on templated.sample_id = records.id
    inner join description_audits on description_audits.sample_id = records.id
    inner join descriptions on descriptions.sample_key = templated.sample_key
    left join relations on relations.asset_id = templated.source_asset_ids[1]
    where records.task_type = 'image_description'

),

final as (

    select
        'description statements per description (mean)' as figure,
        avg(statement_count)::double as measured,
        '>= 4' as target
    from delivered_descriptions
    union all
    select
        'spatial relations per description, images with 2+ salient objects (mean)' as figure,
        avg(relation_statement_count)::double as measured,
        '>= 2' as target
    from delivered_descriptions
    where has_two_salient_objects
    union all
    select
        'descriptions with 2+ spatial relations, images with 2+ salient objects (share)'
            as figure,
        avg((relation_statement_count >= 2)::integer)::double as measured,
        '' as target
    from delivered_descriptions
    where has_two_salient_objects
    union all
    select
        'description sentence plans, English' as figure,
        count(distinct sentence_plan_id)::double as measured,
        '>= 6' as target
    from delivered_descriptions
    where language = 'en'
    union all
    select
        'description sentence plans, Chinese' as figure,
        count(distinct sentence_plan_id)::double as measured,
        '>= 6' as target
    from delivered_descriptions
    where language = 'zh'
    union all
    select
        'comparison records' as figure,
        count(*)::double as measured,
        '>= 60' as target
    from records
    where task_type = 'multi_image_comparison'
    union all
    select
        'largest single counting answer (share)' as figure,
        max(share)::double as measured,
        '<= 0.35' as target
    from counting_answers

)

select * from final
