{{ per_sample_incremental() }}
-- image_description against the annotations, from the TEXT only: the object list (opened
-- by any of the six sentence plans' openings)
-- ("The image shows 3 suitcases, 2 people and many cars." / 图中有3个行李箱、2个人和许多汽车。)
-- is parsed into (count, category) items. Every item must be a category the image holds
-- (else visual_hallucination) with its non-crowd count; "many" / 许多 stands for a
-- category with a crowd region, a number for one without (else count_mismatch).
-- Categories the image holds that the list leaves out are reported (omitted_categories),
-- not failed: leaving an object out is not a falsehood. The other statements (largest,
-- size, relations, scene) are checked by int_description_statements_audited, whose failed
-- checks are added here; statement_count = listed categories + those statements.
-- An answer without such a list
-- is left to CHAIR (int_sample_mentions_extracted); in a model-written answer
-- (generation_method 'model') list items that are not "<count> <category>" are prose,
-- not a format_error, and only the items that parse are checked.
{%- set sample_columns = adapter.get_columns_in_relation(ref('int_samples_templated'))
    | map(attribute='name') | list if execute else [] %}
{%- set generation_method = 'generation_method' if 'generation_method' in sample_columns
    else "'template'" %}
with

templated as (

    select * from {{ ref('int_samples_templated') }}
    where task_type = 'image_description'

),

terms as (

    select * from {{ ref('int_category_terms_listed') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

statements as (

    -- the statements beyond the object list (largest, size, relations, scene)
    select * from {{ ref('int_description_statements_audited') }}

),

asset_digests as (

    -- what the audit reads of the objects an image holds
    select
        asset_id,
        hash(list({
            'category_name': category_name,
            'instance_count': instance_count,
            'has_crowd_region': has_crowd_region
        } order by category_name)) as digest

    from objects
    group by asset_id

),

hashed as (

    -- everything a sample's audit reads: its answer, its image's objects, the terms and
    -- its statements' audit (whose own inputs_hash covers what that read)
    select
        templated.*,
        md5(hash({
            'answer_text': templated.answer_text,
            'generation_method': {{ generation_method }},
            'asset_id': templated.source_asset_ids[1],
            'objects': asset_digests.digest,
            'statements': statements.inputs_hash,
            'terms': {{ table_digest('terms') }},
            'code': '{{ model.checksum.checksum }}'
        })::varchar) as inputs_hash

    from templated
    left join asset_digests on asset_digests.asset_id = templated.source_asset_ids[1]
    left join statements on statements.sample_id = templated.sample_id

),

samples as (

    {{ with_changed_inputs('hashed') }}

),

parsed as (

    select
        sample_id,
        inputs_hash,
        {{ generation_method }} as generation_method,
        source_asset_ids[1] as asset_id,
        coalesce(
            nullif(
                regexp_extract(
                    answer_text,
                    '(?:The image shows|This photo contains|In this picture I can see'
                    || '|The picture contains|Here we can see|The scene contains) ([^.]+)\.',
                    1
                ),
                ''
            ),
            nullif(
                regexp_extract(
                    answer_text,
                    '(?:图中有|这张照片里有|画面中可以看到|图片中出现了|这里能看到|这张图包含)([^。]+)。',
                    1
                ),
                ''
            )
        ) as object_list_text

    from samples

),

items as (

    select
        sample_id,
        asset_id,
        item_position,
        trim(item) as item

    from parsed,
        unnest(string_split_regex(object_list_text, ', | and |、|和')) with ordinality
            as listed (item, item_position)
    where object_list_text is not null

),

split_items as (

    select
        *,
        regexp_extract(item, '^(\d+|many|a pair of|许多)\s*(.+)$', ['amount', 'rest']) as parts

    from items

),

item_names as (

    -- the category an item's words name: the longest term, English whole, Chinese at the
    -- end; the words repeat ("people", "cars"), so each is named once for every sample
    select
        item_words.rest,
        terms.category_name

    from (select distinct parts.rest from split_items) as item_words
    left join terms
        on case terms.term_language
            when 'zh' then ends_with(item_words.rest, terms.term)
            else lower(item_words.rest) = terms.term
        end
    qualify row_number() over (
        partition by item_words.rest
        order by terms.term_length desc nulls last, terms.category_name asc
    ) = 1

),

named_items as (

    select
        split_items.sample_id,
        split_items.asset_id,
        split_items.item_position,
        split_items.item,
        nullif(split_items.parts.amount, '') as amount,
        item_names.category_name

    from split_items
    left join item_names on item_names.rest = split_items.parts.rest

),

checked_items as (

    select
        named_items.*,
        case
            when amount in ('many', '许多') then null
            when amount = 'a pair of' then 1
            else try_cast(amount as bigint)
        end as stated_count,
        amount in ('many', '许多') as says_many,
        objects.category_name is not null as is_in_image,
        coalesce(objects.instance_count, 0) as true_count,
        coalesce(objects.has_crowd_region, false) as has_crowd_region

    from named_items
    left join objects
        on objects.asset_id = named_items.asset_id
        and objects.category_name = named_items.category_name

),

per_sample as (

    select
        sample_id,
        list(category_name order by item_position) filter (where category_name is not null)
            as listed_categories,
        list(item order by item_position) filter (where category_name is null or amount is null)
            as unparsed_items,
        list(item order by item_position) filter (
            where category_name is not null and not is_in_image
        ) as hallucinated_items,
        list(
            item
            || ' (annotations: '
            || case when has_crowd_region then 'a crowd region and ' else '' end
            || true_count || ')' order by item_position
        )
        filter (
            where category_name is not null and is_in_image and amount is not null
            and (says_many <> has_crowd_region or (not says_many and stated_count <> true_count)))
            as miscounted_items

    from checked_items
    group by sample_id

),

omitted as (

    select
        parsed.sample_id,
        list(objects.category_name order by objects.category_name) filter (
            where not list_contains(
                coalesce(per_sample.listed_categories, []), objects.category_name
            )
        ) as omitted_categories

    from parsed
    inner join objects on objects.asset_id = parsed.asset_id
    left join per_sample on per_sample.sample_id = parsed.sample_id
    group by parsed.sample_id

),

flagged as (

    select
        parsed.sample_id,
        parsed.inputs_hash,
        parsed.asset_id,
        parsed.generation_method,
        parsed.object_list_text is not null as has_object_list,
        coalesce(per_sample.listed_categories, []) as listed_categories,
        coalesce(omitted.omitted_categories, []) as omitted_categories,
        coalesce(per_sample.hallucinated_items, []) as hallucinated_items,
        coalesce(per_sample.miscounted_items, []) as miscounted_items,
        coalesce(per_sample.unparsed_items, []) as unparsed_items,
        list_filter([
            case
                when
                    len(coalesce(per_sample.unparsed_items, [])) > 0
                    and parsed.generation_method is distinct from 'model'
                    then {
                        'check': 'description_list', 'error_type': 'format_error',
                        'evidence': 'object list items without a count or a COCO category: '
                        || array_to_string(per_sample.unparsed_items, '; ')
                    }
            end,
            case when len(coalesce(per_sample.hallucinated_items, [])) > 0 then {
                'check': 'description_objects', 'error_type': 'visual_hallucination',
                'evidence': 'lists ' || array_to_string(per_sample.hallucinated_items, '; ')
                || ', which the image''s annotations do not hold'
            } end,
            case when len(coalesce(per_sample.miscounted_items, [])) > 0 then {
                'check': 'description_counts', 'error_type': 'count_mismatch',
                'evidence': 'miscounted: ' || array_to_string(per_sample.miscounted_items, '; ')
            } end
        ], lambda check_result: check_result is not null)
        || coalesce(statements.failed_checks, []) as failed_checks,
        coalesce(statements.statement_count, 0) + len(coalesce(per_sample.listed_categories, []))
            as statement_count,
        coalesce(statements.relation_statement_count, 0) as relation_statement_count

    from parsed
    left join statements on statements.sample_id = parsed.sample_id
    left join per_sample on per_sample.sample_id = parsed.sample_id
    left join omitted on omitted.sample_id = parsed.sample_id

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
