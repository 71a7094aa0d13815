-- chart_reading on the pool's charts, every answer read from the chart's data table, and
-- only from a table that passed the plausibility check (ChartQA's noisy tables never
-- become supervision). Question kinds, on the first series:
--   structure   chart type, title, what it shows and over which categories;
--   trend       (line charts) first and last value and the direction between them;
--   extreme     the category with the highest value (only when it is unique);
--   lookup      the value of one category (stable hash);
--   comparison  two categories with different values (stable hash), which is larger.
-- extreme, lookup and comparison name no series, so they are asked of single-series
-- charts only (on a two-series chart "the value for person" is ambiguous).
-- At most var('chart_questions_max_per_chart') per chart, kinds chosen by a stable hash.
-- A chart whose table failed the check contributes only its dataset's own QA pairs.
with

pool as (

    select * from {{ ref('stg_landing__asset_pool') }}
    where asset_type = 'chart_image'

),

charts as (

    select * from {{ ref('stg_charts__charts') }}

),

tables as (

    select * from {{ ref('stg_charts__tables') }}

),

kinds as (

    select * from {{ ref('stg_seeds__chart_kinds') }}

),

qa_pairs as (

    select * from {{ ref('stg_charts__qa_pairs') }}

),

plausible as (

    select
        charts.*,
        kinds.name_en as kind_en,
        kinds.name_zh as kind_zh

    from charts
    inner join pool on pool.asset_id = charts.asset_id
    left join kinds on kinds.chart_type = charts.chart_type
    where charts.is_table_plausible and charts.has_table

),

first_series as (

    select
        tables.*,
        trim(tables.value_text || ' ' || coalesce(tables.unit, '')) as value_with_unit,
        row_number() over (
            partition by tables.asset_id
            order by tables.value desc, tables.category_index asc
        ) as value_rank,
        count(*) over (partition by tables.asset_id, tables.value) as same_value_count

    from tables
    inner join plausible on plausible.asset_id = tables.asset_id
    where
        tables.series_index = 0
        and tables.value is not null
        and not tables.is_suspect_value

),

per_chart as (

    select
        plausible.asset_id,
        any_value(plausible.chart_type) as chart_type,
        any_value(plausible.kind_en) as kind_en,
        any_value(plausible.kind_zh) as kind_zh,
        any_value(plausible.title) as title,
        any_value(plausible.series_count) as series_count,
        any_value(first_series.series) as series,
        count(*) as category_count,
        list(first_series.category order by first_series.category_index) as categories,
        arg_min(first_series.category, first_series.category_index) as first_category,
        arg_min(first_series.value, first_series.category_index) as first_value,
        arg_min(first_series.value_with_unit, first_series.category_index) as first_value_text,
        arg_max(first_series.category, first_series.category_index) as last_category,
        arg_max(first_series.value, first_series.category_index) as last_value,
        arg_max(first_series.value_with_unit, first_series.category_index) as last_value_text,
        any_value(first_series.category) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_category,
        any_value(first_series.value_with_unit) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_value_text,
        arg_min(
            first_series.category,
            {{ stable_pick("plausible.asset_id || ':lookup:' || first_series.category", 1000003) }}
        ) as lookup_category

    from plausible
    inner join first_series on first_series.asset_id = plausible.asset_id
    group by plausible.asset_id

),

lookups as (

    select
        per_chart.asset_id,
        first_series.value_with_unit as lookup_value_text

    from per_chart
    inner join first_series
        on first_series.asset_id = per_chart.asset_id
        and first_series.category = per_chart.lookup_category

),

comparison_pairs as (

    select
        a.asset_id,
        arg_min(
            [
                a.category, a.value_with_unit, b.category, b.value_with_unit,
                (a.value > b.value)::varchar
            ],
            {{ stable_pick(
                "a.asset_id || ':compare:' || a.category || ':' || b.category", 1000003
            ) }}
        ) as pick

    from first_series as a
    inner join first_series as b
        on b.asset_id = a.asset_id
        and b.category_index > a.category_index
        and b.value <> a.value
    group by a.asset_id

),

questions as (

    select
        per_chart.*,
        lookups.lookup_value_text,
        comparison_pairs.pick as comparison_pick,
        kind

    from per_chart
    left join lookups on lookups.asset_id = per_chart.asset_id
    left join comparison_pairs on comparison_pairs.asset_id = per_chart.asset_id,
        unnest(['structure', 'trend', 'extreme', 'lookup', 'comparison']) as kinds (kind)

),

applicable as (

    select
        *,
        row_number() over (
            partition by asset_id
            order by {{ stable_pick("asset_id || ':kind:' || kind", 1000003) }}, kind
        ) as pick_rank

    from questions
    where case kind
        when 'structure' then kind_en is not null
        when 'trend' then chart_type = 'line' and category_count >= 2
        when 'extreme' then series_count = 1 and top_category is not null and category_count >= 2
        when 'lookup' then series_count = 1 and lookup_value_text is not null
        when 'comparison' then series_count = 1 and comparison_pick is not null
    end

),

picked as (

    -- the questions asked of each chart, with the comparison's sides spelled out (pick:
    -- [category a, its value, category b, its value, whether a's value is the larger])
    select
        *,
        case when comparison_pick[5] = 'true' then comparison_pick[1] else comparison_pick[3] end
            as larger_category,
        case when comparison_pick[5] = 'true' then comparison_pick[2] else comparison_pick[4] end
            as larger_value_text,
        case when comparison_pick[5] = 'true' then comparison_pick[3] else comparison_pick[1] end
            as smaller_category,
        case when comparison_pick[5] = 'true' then comparison_pick[4] else comparison_pick[2] end
            as smaller_value_text

    from applicable
    where pick_rank <= {{ var('chart_questions_max_per_chart') }}

),

table_samples as (

    select
        asset_id || ':chart:' || kind as sample_key,
        kind as question_kind,
        asset_id,
        -- sqlfluff cannot parse `case ... then map {...}` (nor indent it)
        case kind  -- noqa: PRS, LT02
            when 'structure' then map {
                'structure': 'This is a ' || kind_en || coalesce(' titled "' || title || '"', '')
                    || '. It shows ' || series || ' for ' || category_count || ' items: '
                    || {{ human_list('categories', 'en') }} || '.'}
            when 'trend' then map {
                'series': series, 'first_category': first_category, 'last_category': last_category,
                'trend': series || ' ' || case
                    when last_value > first_value then 'rises'
                    when last_value < first_value then 'falls'
                    else 'ends where it started' end
                    || ', from ' || first_value_text || ' at ' || first_category
                    || ' to ' || last_value_text || ' at ' || last_category || '.'}
            when 'extreme' then map {'category': top_category, 'value_text': top_value_text}
            when 'lookup' then map {'category': lookup_category, 'value_text': lookup_value_text}
            else map {
                'category_a': comparison_pick[1], 'category_b': comparison_pick[3],
                'larger': larger_category, 'larger_value': larger_value_text,
                'smaller': smaller_category, 'smaller_value': smaller_value_text}
        end as fills_en,
        case kind
            when 'structure' then map {
                'structure': '这是一张' || coalesce(kind_zh, '图表')
                    || coalesce('，标题为“' || title || '”', '')
                    || '，展示了' || category_count || '个项目的' || series || '：'
                    || {{ human_list('categories', 'zh') }} || '。'}
            when 'trend' then map {
                'series': series, 'first_category': first_category, 'last_category': last_category,
                'trend': series || '从' || first_category || '的' || first_value_text || case
                    when last_value > first_value then '上升到'
                    when last_value < first_value then '下降到'
                    else '变化到' end
                    || last_category || '的' || last_value_text || '。'}
            when 'extreme' then map {'category': top_category, 'value_text': top_value_text}
            when 'lookup' then map {'category': lookup_category, 'value_text': lookup_value_text}
            else map {
                'category_a': comparison_pick[1], 'category_b': comparison_pick[3],
                'larger': larger_category, 'larger_value': larger_value_text,
                'smaller': smaller_category, 'smaller_value': smaller_value_text}
        end as fills_zh

    from picked

),

dataset_samples as (

    -- a chart dataset's own human-written QA pairs (English), whatever its table's state
    select
        qa_pairs.asset_id || ':chart_qa:' || qa_pairs.qa_index as sample_key,
        'dataset_qa' as question_kind,
        qa_pairs.asset_id,
        map {'question': qa_pairs.question, 'answer': qa_pairs.answer} as fills_en,
        map {'question': qa_pairs.question, 'answer': qa_pairs.answer} as fills_zh

    from qa_pairs
    inner join pool on pool.asset_id = qa_pairs.asset_id
    where qa_pairs.origin = 'dataset'

),

unioned as (

    select * from table_samples
    union all by name
    select * from dataset_samples

),

final as (

    select
        sample_key,
        'chart_reading' as task_type,
        question_kind,
        'chart_image' as asset_type,
        [asset_id] as source_asset_ids,
        fills_en,
        fills_zh

    from unioned

)

select * from final
