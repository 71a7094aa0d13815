-- The derived charts' text quality, one row per figure (issue 14): English number-noun
-- agreement, Latin text in Chinese outside quoted chart labels, structure answers that
-- leave out a series, trend questions and the shapes their answers name, and drawn texts
-- that overlap (measured on the landed rendered extents).
with

samples as (

    select * from {{ ref('samples') }}
    where task_type = 'chart_reading' and question_kind <> 'dataset_qa'

),

charts as (

    select * from {{ ref('stg_charts__charts') }}

),

cells as (

    select * from {{ ref('stg_charts__tables') }}

),

elements as (

    select * from {{ ref('stg_charts__text_elements') }}
    where source = 'derived_charts'

),

terms as (

    select * from {{ ref('int_chart_terms_combined') }}

),

audited as (

    select * from {{ ref('int_chart_samples_audited') }}

),

zh_bare as (

    select
        regexp_replace(question_text, '「[^」]*」', '', 'g') as question_bare,
        regexp_replace(answer_text, '「[^」]*」', '', 'g') as answer_bare

    from samples
    where language = 'zh'

),

structure_missing as (

    -- a series counts as named by its table name or the phrase a sentence uses for it
    select
        samples.sample_id,
        bool_or(
            not contains(samples.answer_text, coalesce(terms.phrase_en, cells.series))
        ) as is_missing_series

    from samples
    inner join charts on charts.asset_id = samples.source_asset_ids[1]
    inner join cells on cells.asset_id = samples.source_asset_ids[1]
    left join terms on terms.term = cells.series
    where
        samples.language = 'en'
        and samples.question_kind = 'structure'
        and charts.series_count > 1
    group by samples.sample_id

),

overlapping as (

    select count(distinct a.asset_id) as chart_count

    from elements as a
    inner join elements as b
        on
        b.asset_id = a.asset_id
        and b.element_index > a.element_index
        and least(a.x_px + a.w_px, b.x_px + b.w_px) - greatest(a.x_px, b.x_px) > 0.5
        and least(a.y_px + a.h_px, b.y_px + b.h_px) - greatest(a.y_px, b.y_px) > 0.5

),

figures as (

    select
        (select count(*) from samples) as sample_count,
        (
            select count(*)
            from samples
            where
                language = 'en'
                and regexp_matches(
                    question_text || ' ' || answer_text,
                    '(^|[^\d.])1 (objects|pixels|items)|\d count\b|How does objects'
                )
        ) as en_disagreement_count,
        (
            select count(*)
            from zh_bare
            where regexp_matches(question_bare || answer_bare, '[A-Za-z]')
        ) as zh_latin_count,
        (
            select count(*) filter (where is_missing_series) || ' of ' || count(*)
            from structure_missing
        ) as structure_missing_text,
        (
            select count(*)
            from samples
            where question_kind = 'trend'
        ) as trend_count,
        (select chart_count from overlapping) as overlapping_chart_count,
        (
            select count(*)
            from audited
            where question_kind <> 'dataset_qa' and failed_error_types <> ''
        ) as failing_count

),

final as (

    select
        unnest([
            'chart samples (table questions)',
            'en number-noun disagreements ("1 objects", "N count")',
            'zh samples with Latin text outside 「」 quotes',
            'en structure answers of multi-series charts missing a series',
            'trend samples (along ordered box-size bins)',
            'derived charts with overlapping drawn texts',
            'chart samples failing the chart audit'
        ]) as figure,
        unnest([
            sample_count::varchar,
            en_disagreement_count::varchar,
            zh_latin_count::varchar,
            structure_missing_text,
            trend_count::varchar,
            overlapping_chart_count::varchar,
            failing_count::varchar
        ]) as value

    from figures

)

select * from final
