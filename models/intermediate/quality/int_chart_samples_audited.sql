{{ config(enabled=var('quality_audit_charts', true)) }}
-- chart_reading against the chart's data table (stg_charts__charts, stg_charts__tables),
-- from the TEXT only. On unless var('quality_audit_charts') is false (then
-- int_samples_audited fails every chart sample with ground_truth_unchecked). Checks (all
-- chart_misread):
--   * the chart's table is plausible (charts.is_table_plausible): a table that failed the
--     plausibility check must never be supervision;
--   * lookup: the first number of the answer equals the table value of the category the
--     question names (0.5% tolerance);
--   * extreme: the category the answer names holds the table's largest value;
--   * comparison: "A (a) is larger than B (b)" / A（a）比B（b）大: a and b are A's and B's
--     table values and a > b.
-- Trend and structure answers are checked for the table's plausibility only.
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type = 'chart_reading'

),

charts as (

    select * from {{ ref('stg_charts__charts') }}

),

cells as (

    select * from {{ ref('stg_charts__tables') }}

),

parsed as (

    select
        sample_id,
        source_asset_ids[1] as asset_id,
        question_kind,
        answer_text,
        coalesce(
            nullif(
                regexp_extract(question_text, 'What value does the chart show for (.+)\?', 1), ''
            ),
            nullif(regexp_extract(question_text, '图表中(.+)对应的数值是多少', 1), '')
        ) as lookup_category,
        try_cast(
            replace(
                nullif(regexp_extract(answer_text, '-?\d[\d,]*(\.\d+)?', 0), ''), ',', ''
            ) as double
        ) as first_number,
        coalesce(
            nullif(regexp_extract(answer_text, '^(.+) has the highest value', 1), ''),
            nullif(regexp_extract(answer_text, '^(.+)的数值最高', 1), '')
        ) as extreme_category,
        coalesce(
            nullif(regexp_extract(
                answer_text, '^(.+) \(([^)]+)\) is larger than (.+) \(([^)]+)\)',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).larger, ''),
            nullif(regexp_extract(
                answer_text, '^(.+)（([^）]+)）比(.+)（([^）]+)）大',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).larger, '')
        ) as larger_category,
        coalesce(
            nullif(regexp_extract(
                answer_text, '^(.+) \(([^)]+)\) is larger than (.+) \(([^)]+)\)',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).smaller, ''),
            nullif(regexp_extract(
                answer_text, '^(.+)（([^）]+)）比(.+)（([^）]+)）大',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).smaller, '')
        ) as smaller_category

    from samples

),

values_by_category as (

    select
        asset_id,
        category,
        max(value) as value
    from cells
    group by asset_id, category

),

maxima as (

    select
        asset_id,
        max(value) as max_value
    from cells
    group by asset_id

),

checked as (

    select
        parsed.sample_id,
        parsed.question_kind,
        charts.is_table_plausible,
        lookup.value as lookup_value,
        parsed.first_number,
        list_filter([
            case when not coalesce(charts.is_table_plausible, false) then {
                'check': 'chart_table',
                'error_type': 'chart_misread',
                'evidence': 'the chart''s table is missing or implausible: '
                || coalesce(charts.plausibility_reason, 'no table')
            } end,
            case
                when
                    parsed.question_kind = 'lookup' and not coalesce(
                        abs(parsed.first_number - lookup.value)
                        <= 0.005 * greatest(abs(lookup.value), 1e-9),
                        false
                    )
                    then {
                        'check': 'chart_lookup', 'error_type': 'chart_misread',
                        'evidence': 'the answer says '
                        || coalesce(parsed.first_number::varchar, 'no number')
                        || ' for '
                        || coalesce(parsed.lookup_category, '?')
                        || ', the table '
                        || coalesce(lookup.value::varchar, 'nothing')
                    }
            end,
            case
                when
                    parsed.question_kind = 'extreme'
                    and not coalesce(extreme.value = maxima.max_value, false)
                    then {
                        'check': 'chart_extreme', 'error_type': 'chart_misread',
                        'evidence': coalesce(parsed.extreme_category, '?')
                        || ' does not hold the largest value ('
                        || coalesce(maxima.max_value::varchar, '?') || ')'
                    }
            end,
            case
                when
                    parsed.question_kind = 'comparison'
                    and not coalesce(larger.value > smaller.value, false)
                    then {
                        'check': 'chart_comparison', 'error_type': 'chart_misread',
                        'evidence': coalesce(parsed.larger_category, '?')
                        || ' ('
                        || coalesce(larger.value::varchar, '?')
                        || ') is not larger than ' || coalesce(parsed.smaller_category, '?') || ' ('
                        || coalesce(smaller.value::varchar, '?') || ')'
                    }
            end
        ], lambda check_result: check_result is not null) as failed_checks

    from parsed
    left join charts on charts.asset_id = parsed.asset_id
    left join values_by_category as lookup
        on lookup.asset_id = parsed.asset_id and lookup.category = parsed.lookup_category
    left join values_by_category as extreme
        on extreme.asset_id = parsed.asset_id and extreme.category = parsed.extreme_category
    left join values_by_category as larger
        on larger.asset_id = parsed.asset_id and larger.category = parsed.larger_category
    left join values_by_category as smaller
        on smaller.asset_id = parsed.asset_id and smaller.category = parsed.smaller_category
    left join maxima on maxima.asset_id = parsed.asset_id

),

final as (

    select
        *,
        array_to_string(
            list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type))), ','
        ) as failed_error_types

    from checked

)

select * from final
