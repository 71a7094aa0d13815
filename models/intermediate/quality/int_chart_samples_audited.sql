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
--   * comparison: "The larger of the two is A (a); B has b." / A（a）比B（b）大: a and b
--     are A's and B's table values and a > b.
--   * trend: the shape the answer names (rises / falls / a peak / a low / goes up and down /
--     stays; 上升 / 下降 / 峰值 / 最低值 / 有升有降 / 一直是) is the shape of the table's first
--     series in category order (macro chart_trend_shape), and the answer holds the first
--     and last categories' values as the table has them.
-- Categories are matched by their table name or their label in running text (en with the
-- chart kind's suffix, zh from the seeds' Chinese names), built as the task model builds them.
-- Structure answers are checked for the table's plausibility only.
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

kinds as (

    select * from {{ ref('stg_seeds__chart_kinds') }}

),

terms as (

    select * from {{ ref('int_chart_terms_combined') }}

),

category_names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

labels as (

    select distinct
        cells.asset_id,
        cells.category,
        cells.category || coalesce(' ' || kinds.category_suffix_en, '') as label_en,
        {{ chart_label_zh('cells.category', ['category_names.category_name_zh',
            'terms.name_zh']) }} || coalesce(kinds.category_suffix_zh, '') as label_zh

    from cells
    left join charts on charts.asset_id = cells.asset_id
    left join kinds on kinds.chart_type = charts.chart_type
    left join category_names on category_names.category_name = cells.category
    left join terms on terms.term = cells.category

),

trend_tables as (

    select
        asset_id,
        list(value order by category_index) as trend_values,
        arg_min(value_text, category_index) as first_value_text,
        arg_max(value_text, category_index) as last_value_text,
        arg_min(category, category_index) as first_category,
        arg_max(category, category_index) as last_category

    from cells
    where series_index = 0
    group by asset_id

),

trend_expected as (

    select
        trend_tables.*,
        {{ chart_trend_shape('trend_values') }} as trend_shape,
        first_labels.label_en as first_label_en,
        first_labels.label_zh as first_label_zh,
        last_labels.label_en as last_label_en,
        last_labels.label_zh as last_label_zh

    from trend_tables
    left join labels as first_labels
        on first_labels.asset_id = trend_tables.asset_id
        and first_labels.category = trend_tables.first_category
    left join labels as last_labels
        on last_labels.asset_id = trend_tables.asset_id
        and last_labels.category = trend_tables.last_category

),

parsed as (

    select
        sample_id,
        source_asset_ids[1] as asset_id,
        question_kind,
        answer_text,
        case
            when regexp_matches(answer_text, 'goes up and down|有升有降') then 'mixed'
            when regexp_matches(answer_text, ' stays at |一直是') then 'flat'
            when regexp_matches(answer_text, 'a peak of|峰值') then 'peak'
            when regexp_matches(answer_text, 'a low of|最低值') then 'dip'
            when regexp_matches(answer_text, ' rises from |上升到') then 'rises'
            when regexp_matches(answer_text, ' falls from |下降到') then 'falls'
        end as answer_shape,
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
            nullif(
                regexp_extract(answer_text, '^The item with the highest value is (.+), at ', 1), ''
            ),
            nullif(regexp_extract(answer_text, '^(.+)的数值最高', 1), '')
        ) as extreme_category,
        coalesce(
            nullif(regexp_extract(
                answer_text, '^The larger of the two is (.+) \(([^)]+)\); (.+) has (.+)\.$',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).larger, ''),
            nullif(regexp_extract(
                answer_text, '^(.+)（([^）]+)）比(.+)（([^）]+)）大',
                ['larger', 'larger_value', 'smaller', 'smaller_value']
            ).larger, '')
        ) as larger_category,
        coalesce(
            nullif(regexp_extract(
                answer_text, '^The larger of the two is (.+) \(([^)]+)\); (.+) has (.+)\.$',
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

    -- a category's value under each name a question or answer may give it
    select
        cells.asset_id,
        names.category_label as category,
        max(cells.value) as value
    from cells
    inner join labels
        on labels.asset_id = cells.asset_id and labels.category = cells.category,
        unnest(list_distinct([labels.category, labels.label_en, labels.label_zh]))
            as names (category_label)
    group by cells.asset_id, names.category_label

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
            end,
            case
                when
                    parsed.question_kind = 'trend' and not coalesce(
                        parsed.answer_shape = trend_expected.trend_shape
                        and regexp_matches(
                            parsed.answer_text, '(^|[^\d.])'
                            || regexp_escape(trend_expected.first_value_text) || '[^\d.]'
                        )
                        and regexp_matches(
                            parsed.answer_text, '(^|[^\d.])'
                            || regexp_escape(trend_expected.last_value_text) || '[^\d.]'
                        )
                        and (
                            contains(parsed.answer_text, trend_expected.first_label_en)
                            or contains(parsed.answer_text, trend_expected.first_label_zh)
                        )
                        and (
                            contains(parsed.answer_text, trend_expected.last_label_en)
                            or contains(parsed.answer_text, trend_expected.last_label_zh)
                        ),
                        false
                    )
                    then {
                        'check': 'chart_trend', 'error_type': 'chart_misread',
                        'evidence': 'the answer reads the trend as '
                        || coalesce(parsed.answer_shape, 'nothing') || ', the table''s is '
                        || coalesce(trend_expected.trend_shape, '?') || ' from '
                        || coalesce(trend_expected.first_value_text, '?') || ' to '
                        || coalesce(trend_expected.last_value_text, '?')
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
    left join trend_expected on trend_expected.asset_id = parsed.asset_id

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
