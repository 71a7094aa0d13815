{{ keyed_incremental('int_description_inputs_hashed', 'asset_id', 'source_asset_ids[1]') }}
-- image_description: one sample per general image with at least one non-crowd object.
-- A landed re-caption (stage recaption) is preferred as the English answer. The template
-- answer is a set of statements, each checkable against the annotations
-- (int_description_samples_audited re-derives every one from the boxes):
--   objects:   every category with its count ("3 people", "1 pair of skis"; a category
--              with a crowd region is "many"), largest counts first;
--   largest:   the kind of the largest annotated instance ("The largest object is a bus.");
--   size:      the second salient object is larger than the third (when its box is at
--              least 1.5 times the third's);
--   relations: between the salient objects (int_object_relations_computed), at most two
--              relations per pair and four in all ("The person is to the left of the
--              largest dog."; "The largest dog is above the second-largest dog.");
--   scene:     the supercategories of the image's categories (seed coco_supercategory_names).
-- One of six sentence plans per language (a stable hash of the image) orders the statements
-- and words the object list's opening; sentence_plan_id records which.
-- Built incrementally: an incremental run describes only the images whose inputs changed
-- (int_description_inputs_hashed, macros/incremental.sql); every row keeps its image's
-- inputs_hash.
with

hashed as (

    {{ keyed_inputs_hash('int_description_inputs_hashed', 'asset_id') }}

),

changed_assets as (

    {{ changed_keys('hashed', 'asset_id', 'source_asset_ids[1]') }}

),

objects as (

    select * from {{ ref('int_image_objects_counted') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

relations as (

    select * from {{ ref('int_object_relations_computed') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

annotations as (

    select * from {{ ref('int_annotations_normalized') }}
    where asset_id in (select changed_assets.asset_id from changed_assets)

),

supercategory_names as (

    select * from {{ ref('stg_seeds__coco_supercategory_names') }}

),

model_answers as (

    select * from {{ ref('int_model_answers_selected') }}
    where
        stage = 'recaption'
        and item_id in (select changed_assets.asset_id from changed_assets)

),

present as (

    select
        *,
        -- how a statement refers to the category's largest instance
        case when instance_count = 1 then 'the ' else 'the largest ' end
        || category_name_singular_en as referent_en,
        case when instance_count = 1 then '' else '最大的那' || measure_word_zh end
        || category_name_zh as referent_zh,
        row_number() over (
            partition by asset_id
            order by instance_count desc, largest_area_px desc nulls last, category_name asc
        ) as prominence_rank

    from objects
    where instance_count > 0 or has_crowd_region

),

object_lists as (

    select
        asset_id,
        list(count_phrase_en order by prominence_rank) as count_phrases_en,
        list(count_phrase_zh order by prominence_rank) as count_phrases_zh,
        sum(instance_count) as object_count,
        count(*) as category_count

    from present
    group by asset_id
    having sum(instance_count) > 0

),

largest_objects as (

    -- the category of the largest non-crowd instance in the image
    select
        asset_id,
        category_name

    from annotations
    where not is_crowd
    qualify row_number() over (
        partition by asset_id order by bbox_w_px * bbox_h_px desc, annotation_id asc
    ) = 1

),

singular_names as (

    select distinct category_name_singular_en
    from present

),

articled_names as (

    -- en_with_article is a Python function: called once per name, not once per image
    select
        category_name_singular_en,
        en_with_article(category_name_singular_en) as with_article_en

    from singular_names

),

largest_phrased as (

    select
        largest_objects.asset_id,
        'The largest object is ' || articled_names.with_article_en || '.' as largest_en,
        '画面中最大的物体是' || present.category_name_zh || '。' as largest_zh

    from largest_objects
    inner join present
        on present.asset_id = largest_objects.asset_id
        and present.category_name = largest_objects.category_name
    left join articled_names
        on articled_names.category_name_singular_en = present.category_name_singular_en

),

relation_facets as (

    select
        relations.asset_id,
        relations.subject_rank,
        relations.object_rank,
        relation,
        relation_position,
        subject.referent_en as subject_en,
        subject.referent_zh as subject_zh,
        case relations.object_referent
            when 'second largest' then 'the second-largest ' || object.category_name_singular_en
            else object.referent_en
        end as object_en,
        case relations.object_referent
            when 'second largest' then '第二大的那' || object.measure_word_zh || object.category_name_zh
            else object.referent_zh
        end as object_zh

    from relations,
        unnest(relations.relations) with ordinality as facet (relation, relation_position)
    inner join present as subject
        on subject.asset_id = relations.asset_id
        and subject.category_name = relations.subject_category_name
    inner join present as object
        on object.asset_id = relations.asset_id
        and object.category_name = relations.object_category_name
    where relation_position <= 2

),

relations_phrased as (

    select
        asset_id,
        list(
            {{ capitalize_first('subject_en') }} || ' is '
            || case relation
                when 'left of' then 'to the left of '
                when 'right of' then 'to the right of '
                else relation || ' '
            end
            || object_en || '.'
            order by subject_rank, object_rank, relation_position
        )[1:4] as relations_en,
        list(
            subject_zh || '在' || object_zh
            || case relation
                when 'left of' then '的左边'
                when 'right of' then '的右边'
                when 'above' then '的上方'
                when 'below' then '的下方'
                when 'in front of' then '的前面'
                when 'behind' then '的后面'
                else '旁边'
            end
            || '。'
            order by subject_rank, object_rank, relation_position
        )[1:4] as relations_zh

    from relation_facets
    group by asset_id

),

sizes_phrased as (

    select
        relations.asset_id,
        {{ capitalize_first('subject.referent_en') }} || ' is larger than '
        || object.referent_en || '.' as size_en,
        subject.referent_zh || '比' || object.referent_zh || '大。' as size_zh

    from relations
    inner join present as subject
        on subject.asset_id = relations.asset_id
        and subject.category_name = relations.subject_category_name
    inner join present as object
        on object.asset_id = relations.asset_id
        and object.category_name = relations.object_category_name
    where
        relations.subject_rank = 2
        and relations.object_rank = 3
        and relations.subject_area_grid >= 1.5 * relations.object_area_grid

),

image_categories as (

    select distinct
        asset_id,
        category_name,
        supercategory

    from annotations

),

scenes as (

    select
        present.asset_id,
        list(distinct supercategory_names.supercategory_name_en) as supercategories_en,
        list(distinct supercategory_names.supercategory_name_zh) as supercategories_zh

    from present
    inner join image_categories as categories
        on categories.asset_id = present.asset_id
        and categories.category_name = present.category_name
    inner join supercategory_names
        on supercategory_names.supercategory = categories.supercategory
    group by present.asset_id

),

scenes_phrased as (

    select
        asset_id,
        'The scene includes '
        || {{ human_list('list_sort(supercategories_en)', 'en') }} || '.' as scene_en,
        '画面涉及的类别有'
        || {{ human_list('list_sort(supercategories_zh)', 'zh') }} || '。' as scene_zh

    from scenes

),

planned as (

    select
        object_lists.*,
        largest_phrased.largest_en,
        largest_phrased.largest_zh,
        sizes_phrased.size_en,
        sizes_phrased.size_zh,
        coalesce(relations_phrased.relations_en, []) as relations_en,
        coalesce(relations_phrased.relations_zh, []) as relations_zh,
        scenes_phrased.scene_en,
        scenes_phrased.scene_zh,
        1 + {{ stable_pick("'description-plan:' || object_lists.asset_id", 6) }}::integer
            as sentence_plan_number

    from object_lists
    left join largest_phrased on largest_phrased.asset_id = object_lists.asset_id
    left join sizes_phrased on sizes_phrased.asset_id = object_lists.asset_id
    left join relations_phrased on relations_phrased.asset_id = object_lists.asset_id
    left join scenes_phrased on scenes_phrased.asset_id = object_lists.asset_id

),

statements as (

    select
        *,
        -- the object list, opened the plan's way
        [
            'The image shows ', 'This photo contains ', 'In this picture I can see ',
            'The picture contains ', 'Here we can see ', 'The scene contains '
        ][sentence_plan_number]
        || {{ human_list('count_phrases_en', 'en') }} || '.' as objects_en,
        ['图中有', '这张照片里有', '画面中可以看到', '图片中出现了', '这里能看到', '这张图包含'][
            sentence_plan_number
        ]
        || {{ human_list('count_phrases_zh', 'zh') }} || '。' as objects_zh,
        array_to_string(relations_en, ' ') as relations_text_en,
        array_to_string(relations_zh, '') as relations_text_zh

    from planned

),

ordered as (

    -- the plan's statement order: (o)bjects, (l)argest, (s)ize, (r)elations, s(c)ene
    select
        *,
        [
            ['o', 'l', 's', 'r', 'c'],
            ['c', 'o', 'r', 'l', 's'],
            ['o', 'r', 's', 'l', 'c'],
            ['l', 'o', 'c', 'r', 's'],
            ['o', 'c', 'l', 's', 'r'],
            ['r', 'o', 'l', 's', 'c']
        ][sentence_plan_number] as statement_order

    from statements

),

final as (

    select
        ordered.asset_id || ':description' as sample_key,
        'image_description' as task_type,
        '' as question_kind,
        'general_image' as asset_type,
        [ordered.asset_id] as source_asset_ids,
        'desc_plan_' || ordered.sentence_plan_number as sentence_plan_id,
        ordered.category_count,
        len(ordered.relations_en) as relation_count,
        map {
            'description': array_to_string(list_filter(list_transform(
                ordered.statement_order,
                lambda k: case k
                    when 'o' then ordered.objects_en
                    when 'l' then ordered.largest_en
                    when 's' then ordered.size_en
                    when 'r' then nullif(ordered.relations_text_en, '')
                    else ordered.scene_en
                end
            ), lambda t: t is not null), ' ')
        } as fills_en,
        map {
            'description': array_to_string(list_filter(list_transform(
                ordered.statement_order,
                lambda k: case k
                    when 'o' then ordered.objects_zh
                    when 'l' then ordered.largest_zh
                    when 's' then ordered.size_zh
                    when 'r' then nullif(ordered.relations_text_zh, '')
                    else ordered.scene_zh
                end
            ), lambda t: t is not null), '')
        } as fills_zh,
        model_answers.model_answer_text,
        model_answers.generation_request_hash,
        model_answers.generation_model,
        changed_assets.inputs_hash

    from ordered
    inner join changed_assets on changed_assets.asset_id = ordered.asset_id
    left join model_answers on model_answers.item_id = ordered.asset_id

)

select * from final
