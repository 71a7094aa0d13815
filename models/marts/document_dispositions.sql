-- Every landed document image and what became of it: in the dataset (with its shipped
-- sample count), or the reason it is not. No landed document leaves silently.
--   in_dataset        at least one shipped sample is built on it
--   pool_excluded     the pool left it out and said why (asset_pool_exclusions: its
--                     reason is the evidence)
--   pool_cap          not in the balanced pool, which is full (per_type documents)
--   no_ground_truth   in the pool but its annotation did not land (see rejects)
--   ocr_unusable      OCR reads too little of its text to supervise reading it
--   no_askable_field  readable, but every field was refused (the rules are the evidence)
--                     and nothing else could be said of it
--   audit_failed      its samples were built and none passed the audit / review
--   unexplained       none of the above: a bug (the build reports the count; must be 0)
with

assets as (

    select * from {{ ref('stg_landing__assets') }}
    where asset_type = 'document_image'

),

pool as (

    select * from {{ ref('stg_landing__asset_pool') }}
    where asset_type = 'document_image'

),

lineage as (

    select distinct asset_id from {{ ref('stg_landing__asset_lineage') }}

),

exclusions as (

    select
        asset_id,
        any_value(reason) as exclusion_reason

    from {{ ref('stg_landing__asset_pool_exclusions') }}
    group by asset_id

),

texts as (

    select * from {{ ref('stg_documents__texts') }}

),

documents as (

    select * from {{ ref('int_documents_profiled') }}

),

screened as (

    select
        asset_id,
        count(*) filter (where is_askable) as askable_field_count,
        count(*) as field_count,
        string_agg(distinct refusal_rule, ', ' order by refusal_rule) as refusal_rules

    from {{ ref('int_document_fields_screened') }}
    group by asset_id

),

candidates as (

    select
        source_asset_ids[1] as asset_id,
        count(*) as candidate_count
    from {{ ref('int_samples_templated') }}
    where task_type in ('ocr_summary', 'document_qa')
    group by all

),

shipped as (

    select
        source_asset_ids[1] as asset_id,
        count(*) as shipped_sample_count
    from {{ ref('samples') }}
    where task_type in ('ocr_summary', 'document_qa')
    group by all

),

pool_size as (

    select
        count(*) as pooled_count,
        max(per_type) as per_type
    from pool

),

joined as (

    select
        assets.asset_id,
        assets.source,
        assets.relative_path,
        lineage.asset_id is not null as is_derived,
        pool.asset_id is not null as is_pooled,
        exclusions.exclusion_reason,
        texts.asset_id is not null as has_ground_truth,
        documents.is_ocr_usable,
        documents.ocr_char_recall,
        coalesce(screened.askable_field_count, 0) as askable_field_count,
        coalesce(screened.field_count, 0) as field_count,
        screened.refusal_rules,
        coalesce(candidates.candidate_count, 0) as candidate_sample_count,
        coalesce(shipped.shipped_sample_count, 0) as shipped_sample_count,
        pool_size.pooled_count,
        pool_size.per_type

    from assets
    cross join pool_size
    left join lineage on lineage.asset_id = assets.asset_id
    left join pool on pool.asset_id = assets.asset_id
    left join exclusions on exclusions.asset_id = assets.asset_id
    left join texts on texts.asset_id = assets.asset_id
    left join documents on documents.asset_id = assets.asset_id
    left join screened on screened.asset_id = assets.asset_id
    left join candidates on candidates.asset_id = assets.asset_id
    left join shipped on shipped.asset_id = assets.asset_id

),

final as (

    select
        asset_id,
        source,
        relative_path,
        is_derived,
        is_pooled,
        case
            when shipped_sample_count > 0 then 'in_dataset'
            when not is_pooled and exclusion_reason is not null then 'pool_excluded'
            when not is_pooled and pooled_count >= per_type then 'pool_cap'
            when not is_pooled then 'unexplained'
            when not has_ground_truth then 'no_ground_truth'
            when not coalesce(is_ocr_usable, false) then 'ocr_unusable'
            when candidate_sample_count = 0 or askable_field_count = 0 then 'no_askable_field'
            when candidate_sample_count > 0 then 'audit_failed'
            else 'unexplained'
        end as disposition,
        case
            when shipped_sample_count > 0
                then shipped_sample_count || ' shipped document samples'
            when not is_pooled and exclusion_reason is not null then exclusion_reason
            when not is_pooled and pooled_count >= per_type
                then 'the document pool is full (' || per_type || ' per asset type)'
            when not is_pooled then 'not in the pool, and no exclusion says why'
            when not has_ground_truth then 'its annotation did not land (see rejects)'
            when not coalesce(is_ocr_usable, false)
                then
                    'OCR reads ' || coalesce(round(ocr_char_recall, 3)::varchar, 'none')
                    || ' of its characters'
            when candidate_sample_count = 0 or askable_field_count = 0
                then
                    field_count || ' fields, none askable ('
                    || coalesce(refusal_rules, 'no fields') || ')'
            else candidate_sample_count || ' samples built, none passed the audit'
        end as disposition_evidence,
        askable_field_count,
        field_count,
        shipped_sample_count

    from joined

)

select * from final
