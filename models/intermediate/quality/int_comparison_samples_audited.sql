-- multi_image_comparison against both images' annotations, in the sample's image order,
-- from the TEXT only. The answer's statements are parsed (English or Chinese):
--   "Both images contain A, B and C." / 两张图中都有A、B和C。 (or "no kind of object in
--   common" / 没有相同种类的物体), "Only Image 1 contains ..." / 只有图1中有..., "Only Image 2
--   contains ..." / 只有图2中有..., and "Image N has more objects in total (a vs b)" /
--   图N中的物体总数更多（a比b） or "the same number of objects (n)" / 物体总数相同，都是n个.
-- Each list must equal the categories present in both / only the first / only the second
-- image (crowd regions count as present), and the totals the non-crowd annotation counts
-- of Image 1 and Image 2. A listed item may carry its count ("1 airplane", 许多人), and
-- "Image 1 has 3 people and Image 2 has 1 person." / 图1中有3个人，图2中有1个人。 states
-- a shared kind's counts: every count must be the image's non-crowd count ("many" / 许多
-- for a crowd region), else count_mismatch. "In Image N, <relation>." statements are
-- checked against image N by int_description_statements_audited (spatial_relation_error).
-- Counts and relations are judged only when the kinds and totals fit the images in
-- order; any other disagreement is multi_image_confusion, and the evidence says when the
-- answer fits the two images in reverse order. A model-written answer
-- (generation_method 'model') is checked the same way when it makes these statements;
-- free prose that does not is left to CHAIR (an unparsed TEMPLATE answer is a
-- format_error).
{%- set sample_columns = adapter.get_columns_in_relation(ref('int_samples_templated'))
    | map(attribute='name') | list if execute else [] %}
with

samples as (

    select * from {{ ref('int_samples_templated') }}
    where task_type = 'multi_image_comparison'

),

terms as (

    select * from {{ ref('int_category_terms_listed') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

statements as (

    -- the relation statements about one image ("In Image 1, the dog is left of the cat.")
    select * from {{ ref('int_description_statements_audited') }}

),

parsed as (

    select
        sample_id,
        {{ 'generation_method' if 'generation_method' in sample_columns else "'template'" }}
            as generation_method,
        source_asset_ids[1] as first_asset_id,
        source_asset_ids[2] as second_asset_id,
        answer_text,
        coalesce(
            nullif(regexp_extract(answer_text, 'Both images contain ([^.]+)\.', 1), ''),
            nullif(regexp_extract(answer_text, '两张图中都有([^。]+)。', 1), '')
        ) as shared_text,
        contains(answer_text, 'have no kind of object in common')
        or contains(answer_text, '没有相同种类的物体') as says_nothing_shared,
        coalesce(
            nullif(regexp_extract(answer_text, 'Only Image 1 contains ([^.]+)\.', 1), ''),
            nullif(regexp_extract(answer_text, '只有图1中有([^。]+)。', 1), '')
        ) as first_only_text,
        coalesce(
            nullif(regexp_extract(answer_text, 'Only Image 2 contains ([^.]+)\.', 1), ''),
            nullif(regexp_extract(answer_text, '只有图2中有([^。]+)。', 1), '')
        ) as second_only_text,
        regexp_extract(
            answer_text, 'Image (\d+) has more objects in total \((\d+) vs (\d+)\)',
            ['image', 'larger', 'smaller']
        ) as more_en,
        regexp_extract(
            answer_text, '图(\d+)中的物体总数更多（(\d+)比(\d+)）',
            ['image', 'larger', 'smaller']
        ) as more_zh,
        coalesce(
            nullif(regexp_extract(answer_text, 'the same number of objects \((\d+)\)', 1), ''),
            nullif(regexp_extract(answer_text, '物体总数相同，都是(\d+)个', 1), '')
        ) as same_total_text

    from samples

),

totals_parsed as (

    select
        * exclude (more_en, more_zh),
        coalesce(nullif(more_en.image, ''), nullif(more_zh.image, '')) as more_image_text,
        coalesce(nullif(more_en.larger, ''), nullif(more_zh.larger, '')) as larger_total_text,
        coalesce(nullif(more_en.smaller, ''), nullif(more_zh.smaller, '')) as smaller_total_text

    from parsed

),

claim_items as (

    select
        sample_id,
        'shared' as claim,
        trim(unnest(string_split_regex(shared_text, ', | and |、|和'))) as item
    from parsed
    where shared_text is not null
    union all
    select
        sample_id,
        'first_only' as claim,
        trim(unnest(string_split_regex(first_only_text, ', | and |、|和'))) as item
    from parsed
    where first_only_text is not null
    union all
    select
        sample_id,
        'second_only' as claim,
        trim(unnest(string_split_regex(second_only_text, ', | and |、|和'))) as item
    from parsed
    where second_only_text is not null

),

claim_counts as (

    -- "Image 1 has 3 people and Image 2 has 1 person." / 图1中有3个人，图2中有1个人。: a
    -- shared kind's count in each image, as two claim items
    select
        sample_id,
        'first_count' as claim,
        trim(unnest(regexp_extract_all(
            answer_text, 'Image 1 has ([^.]+?) and Image 2 has [^.]+\.', 1
        ))) as item
    from parsed
    union all
    select
        sample_id,
        'first_count' as claim,
        trim(unnest(regexp_extract_all(answer_text, '图1中有([^。，]+)，图2中有', 1))) as item
    from parsed
    union all
    select
        sample_id,
        'second_count' as claim,
        trim(unnest(regexp_extract_all(
            answer_text, 'Image 1 has [^.]+? and Image 2 has ([^.]+)\.', 1
        ))) as item
    from parsed
    union all
    select
        sample_id,
        'second_count' as claim,
        trim(unnest(regexp_extract_all(answer_text, '图1中有[^。，]+，图2中有([^。]+)。', 1)))
            as item
    from parsed

),

all_items as (

    select * from claim_items
    union all
    select * from claim_counts
    where item <> ''

),

amounted_items as (

    -- an item may open with its count: "1 airplane", "many people", 1架飞机, 许多人
    select
        sample_id,
        claim,
        item,
        nullif(regexp_extract(item, '^(\d+|many|许多)', 1), '') as amount,
        case
            when regexp_matches(item, '^\d+ |^many ') then regexp_replace(item, '^\S+ ', '')
            when regexp_matches(item, '^\d+') then regexp_replace(item, '^\d+.', '')
            when starts_with(item, '许多') then substr(item, 3)
            else item
        end as name_text

    from all_items

),

claim_categories as (

    select
        amounted_items.sample_id,
        amounted_items.claim,
        amounted_items.item,
        amounted_items.amount,
        terms.category_name

    from amounted_items
    left join terms
        on terms.term
        = case terms.term_language
            when 'zh' then amounted_items.name_text else lower(amounted_items.name_text)
        end

),

claims as (

    select
        sample_id,
        list_sort(list_distinct(list(category_name) filter (where claim = 'shared')))
            as claimed_shared,
        list_sort(list_distinct(list(category_name) filter (where claim = 'first_only')))
            as claimed_first_only,
        list_sort(list_distinct(list(category_name) filter (where claim = 'second_only')))
            as claimed_second_only,
        list(item) filter (where category_name is null and item <> '') as unknown_items

    from claim_categories
    group by sample_id

),

miscounts as (

    -- every counted item of a kind its image holds against its annotations ("many" for a
    -- crowd region); a kind the image does not hold is the facts check's business
    select
        claim_categories.sample_id,
        list(
            claim_categories.item || ' (' || case
                when claim_categories.claim in ('first_only', 'first_count') then 'Image 1'
                else 'Image 2'
            end || ' holds ' || coalesce(objects.instance_count, 0)
            || case when objects.has_crowd_region then ' and a crowd region' else '' end || ')'
        ) as miscounted_items

    from claim_categories
    inner join parsed on parsed.sample_id = claim_categories.sample_id
    inner join objects
        on objects.asset_id = case
            when claim_categories.claim in ('first_only', 'first_count')
                then parsed.first_asset_id
            else parsed.second_asset_id
        end
        and objects.category_name = claim_categories.category_name
    where
        claim_categories.amount is not null
        and claim_categories.category_name is not null
        and not coalesce(
            case
                when claim_categories.amount in ('many', '许多') then objects.has_crowd_region
                else
                    not objects.has_crowd_region
                    and objects.instance_count = try_cast(claim_categories.amount as bigint)
            end,
            false
        )
    group by claim_categories.sample_id

),

image_truth as (

    select
        asset_id,
        list(category_name order by category_name) as categories,
        sum(instance_count) as object_count

    from objects
    group by asset_id

),

truth as (

    select
        parsed.sample_id,
        list_sort(list_intersect(first.categories, second.categories)) as true_shared,
        list_sort(
            list_filter(first.categories, lambda c: not list_contains(second.categories, c))
        ) as true_first_only,
        list_sort(
            list_filter(second.categories, lambda c: not list_contains(first.categories, c))
        ) as true_second_only,
        coalesce(first.object_count, 0) as true_first_total,
        coalesce(second.object_count, 0) as true_second_total

    from parsed
    left join image_truth as first on first.asset_id = parsed.first_asset_id
    left join image_truth as second on second.asset_id = parsed.second_asset_id

),

compared as (

    select
        parsed.sample_id,
        parsed.generation_method,
        coalesce(claims.claimed_shared, []) as claimed_shared,
        coalesce(claims.claimed_first_only, []) as claimed_first_only,
        coalesce(claims.claimed_second_only, []) as claimed_second_only,
        coalesce(claims.unknown_items, []) as unknown_items,
        coalesce(miscounts.miscounted_items, []) as miscounted_items,
        truth.true_shared,
        truth.true_first_only,
        truth.true_second_only,
        truth.true_first_total,
        truth.true_second_total,
        try_cast(parsed.more_image_text as integer) as claimed_more_image,
        try_cast(parsed.larger_total_text as bigint) as claimed_larger_total,
        try_cast(parsed.smaller_total_text as bigint) as claimed_smaller_total,
        try_cast(parsed.same_total_text as bigint) as claimed_same_total,
        (parsed.shared_text is not null or parsed.says_nothing_shared)
        and (parsed.more_image_text is not null or parsed.same_total_text is not null) as is_parsed

    from totals_parsed as parsed
    left join claims on claims.sample_id = parsed.sample_id
    left join truth on truth.sample_id = parsed.sample_id
    left join miscounts on miscounts.sample_id = parsed.sample_id

),

judged as (

    select
        *,
        claimed_shared = true_shared as is_shared_right,
        claimed_first_only = true_first_only
        and claimed_second_only = true_second_only as is_sides_right,
        claimed_first_only = true_second_only and claimed_second_only = true_first_only
        and true_first_only <> true_second_only as is_sides_reversed,
        case
            when claimed_more_image = 1
                then
                    claimed_larger_total = true_first_total
                    and claimed_smaller_total = true_second_total
                    and true_first_total > true_second_total
            when claimed_more_image = 2
                then
                    claimed_larger_total = true_second_total
                    and claimed_smaller_total = true_first_total
                    and true_second_total > true_first_total
            when claimed_same_total is not null
                then
                    claimed_same_total = true_first_total
                    and true_first_total = true_second_total
            else false
        end as is_total_right,
        case
            when claimed_more_image = 1
                then
                    claimed_larger_total = true_second_total
                    and claimed_smaller_total = true_first_total
                    and true_second_total > true_first_total
            when claimed_more_image = 2
                then
                    claimed_larger_total = true_first_total
                    and claimed_smaller_total = true_second_total
                    and true_first_total > true_second_total
            else false
        end as is_total_reversed

    from compared

),

flagged as (

    select
        judged.*,
        list_filter([
            case when not is_parsed and generation_method = 'template' then {
                'check': 'comparison_answer', 'error_type': 'format_error',
                'evidence': 'the answer lacks the shared-objects or the totals statement'
            } end,
            case when is_parsed and len(unknown_items) > 0 then {
                'check': 'comparison_names', 'error_type': 'format_error',
                'evidence': 'the answer names ' || array_to_string(unknown_items, ', ')
                || ', which map to no COCO category'
            } end,
            -- a count is judged only where the kinds and totals fit the images in order
            -- (else the answer mixes the images up: multi_image_confusion below)
            case when len(miscounted_items) > 0 and (
                not is_parsed or (is_shared_right and is_sides_right and is_total_right)
            ) then {
                'check': 'comparison_counts', 'error_type': 'count_mismatch',
                'evidence': 'miscounted: ' || array_to_string(miscounted_items, '; ')
            } end,
            case
                when
                    is_parsed and not (is_shared_right and is_sides_right and is_total_right)
                    then {
                        'check': 'comparison_facts', 'error_type': 'multi_image_confusion',
                        'evidence': concat_ws(
                            '; ',
                            case
                                when not is_shared_right then
                                    'shared: answer ' || cast(claimed_shared as varchar)
                                    || ', images ' || cast(true_shared as varchar)
                            end,
                            case
                                when not is_sides_right then
                                    'only Image 1 / only Image 2: answer '
                                    || cast(claimed_first_only as varchar)
                                    || ' / '
                                    || cast(claimed_second_only as varchar)
                                    || ', images ' || cast(true_first_only as varchar) || ' / '
                                    || cast(true_second_only as varchar)
                            end,
                            case
                                when not is_total_right then
                                    'totals: images hold ' || true_first_total || ' and '
                                    || true_second_total || ' objects'
                            end,
                            case
                                when (is_sides_reversed or is_total_reversed)
                                    then 'the answer fits the two images in reverse order'
                            end
                        )
                    }
            end
        ], lambda check_result: check_result is not null)
        || list_filter(
            coalesce(statements.failed_checks, []),
            lambda statement_check: statement_check is not null and (
                not judged.is_parsed
                or (judged.is_shared_right and judged.is_sides_right and judged.is_total_right)
            )
        ) as failed_checks

    from judged
    left join statements on statements.sample_id = judged.sample_id

),

final as (

    select
        *,
        array_to_string(
            list_sort(list_distinct(list_transform(failed_checks, lambda c: c.error_type))), ','
        ) as failed_error_types

    from flagged

)

select * from final
