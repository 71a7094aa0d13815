-- chart_reading on the pool's charts, every answer read from the chart's data table, and
-- only from a table that passed the plausibility check (ChartQA's noisy tables never
-- become supervision). Question kinds, on the first series:
--   structure   chart type, title, what it shows and over which categories;
--   trend       (charts whose categories are ordered, stg_seeds__chart_kinds.is_ordered: the
--               derived line charts' box-size bins) the series' shape along the order
--               (macro chart_trend_shape: rises, falls, peak, dip, flat, else every point);
--   extreme     the category with the highest value (only when it is unique);
--   lookup      the value of one category (stable hash);
--   comparison  two categories with different values (stable hash), which is larger.
-- extreme, lookup and comparison name no series, so they are asked of single-series
-- charts only (on a two-series chart "the value for person" is ambiguous).
-- At most var('chart_questions_max_per_chart') per chart, kinds chosen by a stable hash.
-- Words: English values agree with their unit ("1 object", "3 objects"), structure names
-- every series; Chinese uses the seeds' Chinese names (coco_category_names,
-- int_chart_terms_combined) and Latin text only as a quoted label drawn on the chart
-- (「…」, macro chart_label_zh).
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

terms as (

    select * from {{ ref('int_chart_terms_combined') }}

),

category_names as (

    select * from {{ ref('stg_seeds__coco_category_names') }}

),

qa_pairs as (

    select * from {{ ref('stg_charts__qa_pairs') }}

),

plausible as (

    select
        charts.*,
        kinds.name_en as kind_en,
        kinds.name_zh as kind_zh,
        coalesce(kinds.is_ordered, false) as is_ordered,
        coalesce(' ' || kinds.category_suffix_en, '') as suffix_en,
        coalesce(kinds.category_suffix_zh, '') as suffix_zh

    from charts
    inner join pool on pool.asset_id = charts.asset_id
    left join kinds on kinds.chart_type = charts.chart_type
    where charts.is_table_plausible and charts.has_table

),

labelled as (

    -- every cell with its words: the category as a sentence names it (en, zh) and the
    -- value with its unit in agreement
    select
        tables.*,
        plausible.suffix_en,
        plausible.suffix_zh,
        tables.category || plausible.suffix_en as category_en,
        {{ chart_label_zh('tables.category', ['category_names.category_name_zh',
            'category_terms.name_zh']) }} || plausible.suffix_zh as category_zh,
        coalesce(series_terms.phrase_en, tables.series) as series_en,
        {{ chart_label_zh('tables.series', ['series_terms.phrase_zh', 'series_terms.name_zh']) }}
            as series_zh,
        case
            when tables.unit is null then tables.value_text
            when unit_terms.term is null then tables.value_text || ' ' || tables.unit
            when tables.value = 1 then tables.value_text || ' ' || unit_terms.singular_en
            else tables.value_text || ' ' || unit_terms.plural_en
        end as value_text_en,
        case
            when tables.unit is null then tables.value_text
            when unit_terms.term is null then tables.value_text || '「' || tables.unit || '」'
            else
                tables.value_text || coalesce(unit_terms.measure_word_zh, '')
                || unit_terms.name_zh
        end as value_text_zh

    from tables
    inner join plausible on plausible.asset_id = tables.asset_id
    left join category_names on category_names.category_name = tables.category
    left join terms as category_terms on category_terms.term = tables.category
    left join terms as series_terms on series_terms.term = tables.series
    left join terms as unit_terms on unit_terms.term = tables.unit

),

distinct_series as (

    select distinct
        asset_id,
        series_index,
        series_en,
        series_zh

    from labelled

),

series_names as (

    select
        asset_id,
        list(series_en order by series_index) as series_list_en,
        list(series_zh order by series_index) as series_list_zh

    from distinct_series
    group by asset_id

),

first_series as (

    select
        labelled.*,
        row_number() over (
            partition by labelled.asset_id
            order by labelled.value desc, labelled.category_index asc
        ) as value_rank,
        count(*) over (partition by labelled.asset_id, labelled.value) as same_value_count

    from labelled
    where
        labelled.series_index = 0
        and labelled.value is not null
        and not labelled.is_suspect_value

),

per_chart as (

    select
        plausible.asset_id,
        any_value(plausible.chart_type) as chart_type,
        any_value(plausible.kind_en) as kind_en,
        any_value(plausible.kind_zh) as kind_zh,
        any_value(plausible.is_ordered) as is_ordered,
        any_value(plausible.title) as title,
        any_value(plausible.series_count) as series_count,
        any_value(first_series.series_en) as series_en,
        any_value(first_series.series_zh) as series_zh,
        count(*) as category_count,
        list(first_series.category_en order by first_series.category_index) as categories_en,
        list(first_series.category_zh order by first_series.category_index) as categories_zh,
        list(first_series.value order by first_series.category_index) as trend_values,
        list(first_series.value_text_en order by first_series.category_index) as values_en,
        list(first_series.value_text_zh order by first_series.category_index) as values_zh,
        any_value(first_series.category_en) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_category_en,
        any_value(first_series.category_zh) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_category_zh,
        any_value(first_series.value_text_en) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_value_text_en,
        any_value(first_series.value_text_zh) filter (
            where first_series.value_rank = 1 and first_series.same_value_count = 1
        ) as top_value_text_zh,
        arg_min(
            first_series.category,
            {{ stable_pick("plausible.asset_id || ':lookup:' || first_series.category", 1000003) }}
        ) as lookup_category

    from plausible
    inner join first_series on first_series.asset_id = plausible.asset_id
    group by plausible.asset_id

),

trends as (

    -- the first series along an ordered axis: its shape and the points a sentence names
    -- (1-based positions: first, extreme of a peak or dip, last)
    select
        *,
        {{ chart_trend_shape('trend_values') }} as trend_shape,
        case {{ chart_trend_shape('trend_values') }}
            when 'peak' then list_position(trend_values, list_max(trend_values))
            when 'dip' then list_position(trend_values, list_min(trend_values))
        end as turn_position

    from per_chart

),

lookups as (

    select
        per_chart.asset_id,
        first_series.category_en as lookup_category_en,
        first_series.category_zh as lookup_category_zh,
        first_series.value_text_en as lookup_value_text_en,
        first_series.value_text_zh as lookup_value_text_zh

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
                a.category_en, a.value_text_en, b.category_en, b.value_text_en,
                (a.value > b.value)::varchar,
                a.category_zh, a.value_text_zh, b.category_zh, b.value_text_zh
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
        lookups.lookup_category_en,
        lookups.lookup_category_zh,
        lookups.lookup_value_text_en,
        lookups.lookup_value_text_zh,
        series_names.series_list_en,
        series_names.series_list_zh,
        comparison_pairs.pick as comparison_pick,
        kind

    from trends as per_chart
    left join lookups on lookups.asset_id = per_chart.asset_id
    left join series_names on series_names.asset_id = per_chart.asset_id
    left join comparison_pairs on comparison_pairs.asset_id = per_chart.asset_id,
        unnest(['structure', 'trend', 'extreme', 'lookup', 'comparison']) as kinds (kind)

),

applicable as (

    select
        *,
        row_number() over (
            partition by asset_id
            -- a chart along an ordered axis is asked its trend first
            order by
                (is_ordered and kind = 'trend') desc,
                {{ stable_pick("asset_id || ':kind:' || kind", 1000003) }},
                kind
        ) as pick_rank

    from questions
    where case kind
        when 'structure' then kind_en is not null
        when 'trend' then is_ordered and category_count >= 3
        when 'extreme'
            then series_count = 1 and top_category_en is not null and category_count >= 2
        when 'lookup' then series_count = 1 and lookup_value_text_en is not null
        when 'comparison' then series_count = 1 and comparison_pick is not null
    end

),

picked as (

    -- the questions asked of each chart, with the comparison's sides spelled out (pick:
    -- [category a, its value, category b, its value, whether a's value is the larger,
    -- then a, its value, b, its value in Chinese])
    select
        *,
        case when comparison_pick[5] = 'true' then 0 else 2 end as larger_offset,
        case when comparison_pick[5] = 'true' then 2 else 0 end as smaller_offset,
        {{ capitalize_first('series_en') }} as series_sentence_en

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
                    || '. It shows ' || {{ human_list('series_list_en', 'en') }} || ' for '
                    || {{ en_count('category_count', "'item'", "'items'") }} || ': '
                    || {{ human_list('categories_en', 'en') }} || '.'}
            when 'trend' then map {
                'series': series_en, 'first_category': categories_en[1],
                'last_category': categories_en[-1],
                'trend': series_sentence_en || case trend_shape
                    when 'flat' then ' stays at ' || values_en[1] || ' from '
                        || categories_en[1] || ' to ' || categories_en[-1] || '.'
                    when 'rises' then ' rises from ' || values_en[1] || ' at ' || categories_en[1]
                        || ' to ' || values_en[-1] || ' at ' || categories_en[-1] || '.'
                    when 'falls' then ' falls from ' || values_en[1] || ' at ' || categories_en[1]
                        || ' to ' || values_en[-1] || ' at ' || categories_en[-1] || '.'
                    when 'peak' then ' rises from ' || values_en[1] || ' at ' || categories_en[1]
                        || ' to a peak of ' || values_en[turn_position] || ' at '
                        || categories_en[turn_position] || ', then falls to ' || values_en[-1]
                        || ' at ' || categories_en[-1] || '.'
                    when 'dip' then ' falls from ' || values_en[1] || ' at ' || categories_en[1]
                        || ' to a low of ' || values_en[turn_position] || ' at '
                        || categories_en[turn_position] || ', then rises to ' || values_en[-1]
                        || ' at ' || categories_en[-1] || '.'
                    else ' goes up and down: ' || {{ human_list(
                        "list_transform(range(1, category_count + 1),
                            lambda i: values_en[i] || ' at ' || categories_en[i])", 'en') }} || '.'
                    end}
            when 'extreme' then map {'category': top_category_en, 'value_text': top_value_text_en}
            when 'lookup' then map {
                'category': lookup_category_en, 'value_text': lookup_value_text_en}
            else map {
                'category_a': comparison_pick[1], 'category_b': comparison_pick[3],
                'larger': comparison_pick[1 + larger_offset],
                'larger_value': comparison_pick[2 + larger_offset],
                'smaller': comparison_pick[1 + smaller_offset],
                'smaller_value': comparison_pick[2 + smaller_offset]}
        end as fills_en,
        case kind
            when 'structure' then map {
                'structure': '这是一张' || coalesce(kind_zh, '图表')
                    || coalesce('，标题为「' || title || '」', '')
                    || '，展示了' || category_count || '个项目的'
                    || {{ human_list('series_list_zh', 'zh') }} || '：'
                    || {{ human_list('categories_zh', 'zh') }} || '。'}
            when 'trend' then map {
                'series': series_zh, 'first_category': categories_zh[1],
                'last_category': categories_zh[-1],
                'trend': series_zh || case trend_shape
                    when 'flat' then '从' || categories_zh[1] || '到' || categories_zh[-1]
                        || '一直是' || values_zh[1] || '。'
                    when 'rises' then '从' || categories_zh[1] || '的' || values_zh[1]
                        || '上升到' || categories_zh[-1] || '的' || values_zh[-1] || '。'
                    when 'falls' then '从' || categories_zh[1] || '的' || values_zh[1]
                        || '下降到' || categories_zh[-1] || '的' || values_zh[-1] || '。'
                    when 'peak' then '从' || categories_zh[1] || '的' || values_zh[1]
                        || '上升到' || categories_zh[turn_position] || '的峰值'
                        || values_zh[turn_position] || '，然后下降到' || categories_zh[-1]
                        || '的' || values_zh[-1] || '。'
                    when 'dip' then '从' || categories_zh[1] || '的' || values_zh[1]
                        || '下降到' || categories_zh[turn_position] || '的最低值'
                        || values_zh[turn_position] || '，然后上升到' || categories_zh[-1]
                        || '的' || values_zh[-1] || '。'
                    else '有升有降：' || array_to_string(list_transform(range(1, category_count + 1),
                        lambda i: categories_zh[i] || '为' || values_zh[i]), '，') || '。'
                    end}
            when 'extreme' then map {'category': top_category_zh, 'value_text': top_value_text_zh}
            when 'lookup' then map {
                'category': lookup_category_zh, 'value_text': lookup_value_text_zh}
            else map {
                'category_a': comparison_pick[6], 'category_b': comparison_pick[8],
                'larger': comparison_pick[6 + larger_offset],
                'larger_value': comparison_pick[7 + larger_offset],
                'smaller': comparison_pick[6 + smaller_offset],
                'smaller_value': comparison_pick[7 + smaller_offset]}
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
