-- multi_image_comparison: for each selected pair, in order, what both images contain and
-- how many of each shared kind each holds (up to three kinds), what only Image 1 and only
-- Image 2 contain with their counts ("1 airplane", "3 people"), which has more objects, and
-- in each image the relation of its two most salient objects (int_object_relations_computed:
-- "In Image 1, the dog is to the left of the largest person.").
-- Everything is
-- derived from the two annotation sets; Image 1 is always the pair's first image. A
-- landed model comparison (stage compare, same order) is preferred as the English answer.
with

pairs as (

    select * from {{ ref('int_image_pairs_selected') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}

),

relations as (

    select * from {{ ref('int_object_relations_computed') }}

),

model_answers as (

    select * from {{ ref('int_model_answers_selected') }}
    where stage = 'compare'

),

sides as (

    select
        pairs.pair_id,
        1 as image_number,
        objects.*
    from pairs inner join objects on objects.asset_id = pairs.first_asset_id
    union all
    select
        pairs.pair_id,
        2 as image_number,
        objects.*
    from pairs inner join objects on objects.asset_id = pairs.second_asset_id

),

per_category as (

    select
        pair_id,
        category_id,
        any_value(category_name_plural_en) as plural_en,
        any_value(category_name_zh) as name_zh,
        bool_or(image_number = 1) as in_first,
        bool_or(image_number = 2) as in_second,
        -- each image's count phrase ("1 airplane", "3 people", "many people" for a crowd
        -- region; 1架飞机, 许多人)
        any_value(count_phrase_en) filter (where image_number = 1) as first_phrase_en,
        any_value(count_phrase_en) filter (where image_number = 2) as second_phrase_en,
        any_value(count_phrase_zh) filter (where image_number = 1) as first_phrase_zh,
        any_value(count_phrase_zh) filter (where image_number = 2) as second_phrase_zh

    from sides
    group by pair_id, category_id

),

per_pair as (

    select
        per_category.pair_id,
        list(plural_en order by plural_en) filter (where in_first and in_second) as shared_en,
        list(first_phrase_en order by plural_en) filter (where in_first and not in_second)
            as first_only_en,
        list(second_phrase_en order by plural_en) filter (where in_second and not in_first)
            as second_only_en,
        list(name_zh order by plural_en) filter (where in_first and in_second) as shared_zh,
        list(first_phrase_zh order by plural_en) filter (where in_first and not in_second)
            as first_only_zh,
        list(second_phrase_zh order by plural_en) filter (where in_second and not in_first)
            as second_only_zh,
        -- how many of each shared kind each image holds (at most three kinds)
        list(
            'Image 1 has ' || first_phrase_en || ' and Image 2 has ' || second_phrase_en || '.'
            order by plural_en
        ) filter (where in_first and in_second) as shared_counts_en,
        list(
            '图1中有' || first_phrase_zh || '，图2中有' || second_phrase_zh || '。'
            order by plural_en
        ) filter (where in_first and in_second) as shared_counts_zh

    from per_category
    group by per_category.pair_id

),

image_relations as (

    -- each image's relation between its two most salient objects (the first that holds)
    select
        relations.asset_id,
        case when subject.instance_count = 1 then 'the ' else 'the largest ' end
        || subject.category_name_singular_en || ' is '
        || case relations.relations[1]
            when 'left of' then 'to the left of'
            when 'right of' then 'to the right of'
            else relations.relations[1]
        end
        || case when object.instance_count = 1 then ' the ' else ' the largest ' end
        || object.category_name_singular_en as relation_en,
        case when subject.instance_count = 1 then '' else '最大的那' || subject.measure_word_zh end
        || subject.category_name_zh || '在'
        || case when object.instance_count = 1 then '' else '最大的那' || object.measure_word_zh end
        || object.category_name_zh
        || case relations.relations[1]
            when 'left of' then '的左边'
            when 'right of' then '的右边'
            when 'above' then '的上方'
            when 'below' then '的下方'
            when 'in front of' then '的前面'
            when 'behind' then '的后面'
            else '旁边'
        end as relation_zh

    from relations
    inner join objects as subject
        on subject.asset_id = relations.asset_id
        and subject.category_name = relations.subject_category_name
    inner join objects as object
        on object.asset_id = relations.asset_id
        and object.category_name = relations.object_category_name
    where relations.subject_rank = 1 and relations.object_rank = 2

),

totals as (

    select
        pair_id,
        sum(instance_count) filter (where image_number = 1) as first_object_count,
        sum(instance_count) filter (where image_number = 2) as second_object_count

    from sides
    group by pair_id

),

worded as (

    select
        pairs.*,
        totals.first_object_count,
        totals.second_object_count,
        concat_ws(
            ' ',
            case
                when len(coalesce(shared_en, [])) > 0
                    then 'Both images contain ' || {{ human_list('shared_en', 'en') }} || '.'
                else 'Image 1 and Image 2 have no kind of object in common.'
            end,
            array_to_string(coalesce(shared_counts_en, [])[1:3], ' '),
            case
                when len(coalesce(first_only_en, [])) > 0
                    then 'Only Image 1 contains ' || {{ human_list('first_only_en', 'en') }} || '.'
            end,
            case
                when len(coalesce(second_only_en, [])) > 0
                    then 'Only Image 2 contains ' || {{ human_list('second_only_en', 'en') }} || '.'
            end,
            case
                when first_object_count > second_object_count
                    then
                        'Image 1 has more objects in total ('
                        || first_object_count
                        || ' vs '
                        || second_object_count
                        || ').'
                when first_object_count < second_object_count
                    then
                        'Image 2 has more objects in total ('
                        || second_object_count
                        || ' vs '
                        || first_object_count
                        || ').'
                else
                    'Image 1 and Image 2 have the same number of objects ('
                    || first_object_count
                    || ').'
            end,
            'In Image 1, ' || first_relation.relation_en || '.',
            'In Image 2, ' || second_relation.relation_en || '.'
        ) as comparison_en,
        concat_ws(
            '',
            case
                when len(coalesce(shared_zh, [])) > 0
                    then '两张图中都有' || {{ human_list('shared_zh', 'zh') }} || '。'
                else '图1和图2没有相同种类的物体。'
            end,
            array_to_string(coalesce(shared_counts_zh, [])[1:3], ''),
            case
                when len(coalesce(first_only_zh, [])) > 0
                    then '只有图1中有' || {{ human_list('first_only_zh', 'zh') }} || '。'
            end,
            case
                when len(coalesce(second_only_zh, [])) > 0
                    then '只有图2中有' || {{ human_list('second_only_zh', 'zh') }} || '。'
            end,
            case
                when first_object_count > second_object_count
                    then
                        '图1中的物体总数更多（' || first_object_count || '比' || second_object_count || '）。'
                when first_object_count < second_object_count
                    then
                        '图2中的物体总数更多（' || second_object_count || '比' || first_object_count || '）。'
                else '图1和图2中的物体总数相同，都是' || first_object_count || '个。'
            end,
            '图1中，' || first_relation.relation_zh || '。',
            '图2中，' || second_relation.relation_zh || '。'
        ) as comparison_zh

    from pairs
    inner join per_pair on per_pair.pair_id = pairs.pair_id
    inner join totals on totals.pair_id = pairs.pair_id
    left join image_relations as first_relation
        on first_relation.asset_id = pairs.first_asset_id
    left join image_relations as second_relation
        on second_relation.asset_id = pairs.second_asset_id

),

final as (

    select
        pair_id || ':comparison' as sample_key,
        'multi_image_comparison' as task_type,
        '' as question_kind,
        'interleaved_pair' as asset_type,
        [first_asset_id, second_asset_id] as source_asset_ids,
        first_object_count,
        second_object_count,
        shared_category_count,
        map {'comparison': comparison_en} as fills_en,
        map {'comparison': comparison_zh} as fills_zh,
        model_answers.model_answer_text,
        model_answers.generation_request_hash,
        model_answers.generation_model

    from worded
    left join model_answers
        on model_answers.item_id = worded.first_asset_id || '|' || worded.second_asset_id

)

select * from final
