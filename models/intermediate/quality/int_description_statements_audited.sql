{{ per_sample_incremental() }}
-- image_description statements beyond the object list, from the TEXT only, each re-derived
-- from the annotations (English or Chinese; the object list is int_description_samples_
-- audited's); likewise a multi_image_comparison's relation statements about one image
-- ("In Image 2, the dog is above the cat." / 图2中，狗在猫的上方。), checked against that
-- image. The answer is cut into sentences; a sentence is one of:
--   largest:  "The largest object is a bus." / 画面中最大的物体是公交车。 The category's
--             largest non-crowd box must be the image's largest non-crowd box;
--   size:     "The car is larger than the largest dog." / 汽车比最大的那只狗大。;
--   relation: "The car is to the left of the largest dog." (to the left of, to the right
--             of, above, below, in front of, behind, next to) / 汽车在最大的那只狗的左边。
--             (的左边, 的右边, 的上方, 的下方, 的前面, 的后面, 旁边);
--   scene:    "The scene includes animals and vehicles." / 画面涉及的类别有动物和交通工具。
--             The kinds must be exactly the supercategories of the image's categories.
-- A referent "the dog" / 狗 must be the image's only dog annotation (crowd regions count);
-- "the largest dog" / 最大的那只狗 ("the second-largest dog" / 第二大的那只狗) the largest
-- (second largest) of several non-crowd dogs in an image without a dog crowd region.
-- Each relation is recomputed from the two referents' grid boxes with the macro
-- box_relations (macros/spatial.sql), the geometric rule the task states them by.
-- A wrong or unresolvable statement (relation, size, largest or scene) is a
-- spatial_relation_error.
-- statement_count: the checkable statements found (object-list items counted by the
-- object-list audit are added by int_description_samples_audited).
with

templated as (

    select * from {{ ref('int_samples_templated') }}
    where task_type in ('image_description', 'multi_image_comparison')

),

terms as (

    select * from {{ ref('int_category_terms_listed') }}

),

landed_annotations as (

    select * from {{ ref('int_annotations_normalized') }}

),

supercategory_names as (

    select * from {{ ref('stg_seeds__coco_supercategory_names') }}

),

asset_digests as (

    -- what the audit reads of an image's annotations
    select
        asset_id,
        hash(list({
            'annotation_id': annotation_id,
            'category_name': category_name,
            'supercategory': supercategory,
            'is_crowd': is_crowd,
            'grid': [grid_ymin, grid_xmin, grid_ymax, grid_xmax],
            'bbox_w_px': bbox_w_px,
            'bbox_h_px': bbox_h_px
        } order by annotation_id)) as digest

    from landed_annotations
    group by asset_id

),

sample_images as (

    {{ image_positions('templated', 'sample_id') }}

),

sample_asset_digests as (

    select
        sample_images.sample_id,
        list(asset_digests.digest order by sample_images.position) as digests

    from sample_images
    left join asset_digests on asset_digests.asset_id = sample_images.asset_id
    group by sample_images.sample_id

),

hashed as (

    -- everything a sample's audit reads: its answer, its images' annotations and the
    -- vocabulary
    select
        templated.*,
        md5(hash({
            'task_type': templated.task_type,
            'answer_text': templated.answer_text,
            'source_asset_ids': templated.source_asset_ids,
            'annotations': sample_asset_digests.digests,
            'terms': {{ table_digest('terms') }},
            'supercategory_names': {{ table_digest('supercategory_names') }},
            'code': '{{ model.checksum.checksum }}'
        })::varchar) as inputs_hash

    from templated
    left join sample_asset_digests on sample_asset_digests.sample_id = templated.sample_id

),

samples as (

    {{ with_changed_inputs('hashed') }}

),

annotations as (

    -- the annotations of the images of the samples audited in this run
    select * from landed_annotations
    where asset_id in (select unnest(samples.source_asset_ids) from samples)

),

cut_sentences as (

    select
        samples.sample_id,
        samples.task_type,
        samples.source_asset_ids,
        trim(cut.sentence) as raw_sentence,
        cut.sentence_position,
        regexp_extract(
            trim(cut.sentence), '^(?:In Image (\d), |图(\d)中，)', ['image_en', 'image_zh']
        ) as named_image

    from samples,
        unnest(regexp_extract_all(samples.answer_text, '[^.。]+[.。]')) with ordinality
            as cut (sentence, sentence_position)

),

sentences as (

    -- a comparison's statement about one image opens "In Image N, " / 图N中，: it is
    -- checked against that image (a description's against its only image)
    select
        sample_id,
        source_asset_ids[
            coalesce(try_cast(coalesce(
                nullif(named_image.image_en, ''), nullif(named_image.image_zh, '')
            ) as integer), 1)
        ] as asset_id,
        regexp_replace(
            regexp_replace(raw_sentence, '^In Image \d, the ', 'The '), '^图\d中，', ''
        ) as sentence,
        sentence_position

    from cut_sentences
    where
        task_type = 'image_description'
        or named_image.image_en <> ''
        or named_image.image_zh <> ''

),

classified as (

    select
        *,
        regexp_extract(
            sentence,
            '^The largest object is an? (.+)\.$|^画面中最大的物体是(.+)。$',
            ['largest_en', 'largest_zh']
        ) as largest,
        regexp_extract(
            sentence,
            '^The (largest )?(.+) is (to the left of|to the right of|above|below|in front of'
            || '|behind|next to|larger than) the (largest |second-largest )?(.+)\.$',
            ['subject_largest', 'subject', 'relation', 'object_largest', 'object']
        ) as stated_en,
        regexp_extract(
            sentence,
            '^(最大的那.)?(.+?)(在|比)(最大的那.|第二大的那.)?(.+?)'
            || '(的左边|的右边|的上方|的下方|的前面|的后面|旁边|大)。$',
            ['subject_largest', 'subject', 'verb', 'object_largest', 'object', 'relation']
        ) as stated_zh,
        coalesce(
            nullif(regexp_extract(sentence, '^The scene includes (.+)\.$', 1), ''),
            nullif(regexp_extract(sentence, '^画面涉及的类别有(.+)。$', 1), '')
        ) as scene_text

    from sentences

),

statements as (

    -- one row per relation / size statement, in one shape for both languages
    select
        sample_id,
        asset_id,
        sentence,
        sentence_position,
        stated_en.subject as subject_term,
        stated_en.subject_largest <> '' as is_subject_largest,
        stated_en.object as object_term,
        stated_en.object_largest <> '' as is_object_largest,
        stated_en.object_largest = 'second-largest ' as is_object_second,
        case stated_en.relation
            when 'to the left of' then 'left of'
            when 'to the right of' then 'right of'
            else stated_en.relation
        end as relation,
        'en' as term_language

    from classified
    where stated_en.relation <> ''
    union all
    select
        sample_id,
        asset_id,
        sentence,
        sentence_position,
        stated_zh.subject as subject_term,
        stated_zh.subject_largest <> '' as is_subject_largest,
        stated_zh.object as object_term,
        stated_zh.object_largest <> '' as is_object_largest,
        starts_with(stated_zh.object_largest, '第二') as is_object_second,
        case
            when stated_zh.verb = '比' and stated_zh.relation = '大' then 'larger than'
            when stated_zh.verb = '在' then case stated_zh.relation
                when '的左边' then 'left of'
                when '的右边' then 'right of'
                when '的上方' then 'above'
                when '的下方' then 'below'
                when '的前面' then 'in front of'
                when '的后面' then 'behind'
                when '旁边' then 'next to'
            end
        end as relation,
        'zh' as term_language
    from classified
    where stated_zh.relation <> ''

),

referent_boxes as (

    -- per image and category: the box a referent names, and whether "the X" (a lone
    -- annotation) or "the largest X" / "the second-largest X" (several non-crowd, no crowd
    -- region) is well defined
    select
        asset_id,
        category_name,
        count(*) = 1 and not bool_or(is_crowd) as is_lone,
        count(*) >= 2 and not bool_or(is_crowd) as has_largest,
        list(
            struct_pack(grid_ymin, grid_xmin, grid_ymax, grid_xmax)
            order by bbox_w_px * bbox_h_px desc, annotation_id asc
        ) filter (where not is_crowd) as boxes_by_size,
        max((grid_xmax - grid_xmin) * (grid_ymax - grid_ymin)) filter (where not is_crowd)
            as area_grid

    from annotations
    group by asset_id, category_name

),

named_statements as (

    select
        statements.*,
        (
            select terms.category_name from terms
            where
                terms.term_language = statements.term_language
                and terms.term = lower(statements.subject_term)
            order by terms.category_name limit 1
        ) as subject_category,
        (
            select terms.category_name from terms
            where
                terms.term_language = statements.term_language
                and terms.term = lower(statements.object_term)
            order by terms.category_name limit 1
        ) as object_category

    from statements

),

resolved_statements as (

    select
        named_statements.*,
        subject.boxes_by_size[1] as subject_box,
        object.boxes_by_size[
            case when named_statements.is_object_second then 2 else 1 end
        ] as object_box,
        subject.area_grid as subject_area_grid,
        object.area_grid as object_area_grid,
        coalesce(
            case
                when named_statements.is_subject_largest then subject.has_largest
                else subject.is_lone
            end, false
        )
        and coalesce(
            case
                when named_statements.is_object_largest then object.has_largest
                else object.is_lone
            end, false
        ) as is_resolved

    from named_statements
    left join referent_boxes as subject
        on subject.asset_id = named_statements.asset_id
        and subject.category_name = named_statements.subject_category
    left join referent_boxes as object
        on object.asset_id = named_statements.asset_id
        and object.category_name = named_statements.object_category

),

checked_statements as (

    select
        *,
        case
            when relation = 'larger than'
                then not is_object_second and subject_area_grid > object_area_grid
            else list_contains({{ box_relations(
                'subject_box.grid_ymin', 'subject_box.grid_xmin',
                'subject_box.grid_ymax', 'subject_box.grid_xmax',
                'object_box.grid_ymin', 'object_box.grid_xmin',
                'object_box.grid_ymax', 'object_box.grid_xmax'
            ) }}, relation)
        end as is_true

    from resolved_statements

),

image_largest as (

    select
        asset_id,
        max(area_grid) as largest_area_grid

    from referent_boxes
    group by asset_id

),

largest_checked as (

    select
        classified.sample_id,
        classified.sentence,
        classified.sentence_position,
        referent_boxes.category_name is not null as is_in_image,
        coalesce(referent_boxes.area_grid = image_largest.largest_area_grid, false) as is_true

    from classified
    left join terms
        on terms.term = lower(coalesce(
            nullif(classified.largest.largest_en, ''), classified.largest.largest_zh
        ))
    left join referent_boxes
        on referent_boxes.asset_id = classified.asset_id
        and referent_boxes.category_name = terms.category_name
    left join image_largest on image_largest.asset_id = classified.asset_id
    where classified.largest.largest_en <> '' or classified.largest.largest_zh <> ''

),

image_scenes as (

    select
        annotations.asset_id,
        list_sort(list(distinct supercategory_names.supercategory_name_en)) as kinds_en,
        list_sort(list(distinct supercategory_names.supercategory_name_zh)) as kinds_zh

    from annotations
    inner join supercategory_names
        on supercategory_names.supercategory = annotations.supercategory
    group by annotations.asset_id

),

scene_checked as (

    select
        classified.sample_id,
        classified.sentence,
        classified.sentence_position,
        list_sort(string_split_regex(classified.scene_text, ', | and |、|和')) as stated_kinds,
        list_sort(string_split_regex(classified.scene_text, ', | and |、|和'))
        in (image_scenes.kinds_en, image_scenes.kinds_zh) as is_true

    from classified
    left join image_scenes on image_scenes.asset_id = classified.asset_id
    where classified.scene_text is not null

),

relation_results as (

    select
        sample_id,
        count(*) filter (where relation <> 'larger than') as relation_statement_count,
        count(*) filter (where relation = 'larger than') as size_statement_count,
        list(sentence order by sentence_position) filter (
            where not (is_resolved and coalesce(is_true, false))
        ) as false_relation_sentences

    from checked_statements
    group by sample_id

),

largest_results as (

    select
        sample_id,
        count(*) as largest_statement_count,
        list(sentence order by sentence_position) filter (where not is_true)
            as false_largest_sentences

    from largest_checked
    group by sample_id

),

scene_results as (

    select
        sample_id,
        count(*) as scene_statement_count,
        list(sentence order by sentence_position) filter (where not coalesce(is_true, false))
            as false_scene_sentences

    from scene_checked
    group by sample_id

),

per_sample as (

    select
        samples.sample_id,
        samples.inputs_hash,
        coalesce(relation_results.relation_statement_count, 0) as relation_statement_count,
        coalesce(relation_results.size_statement_count, 0) as size_statement_count,
        coalesce(largest_results.largest_statement_count, 0) as largest_statement_count,
        coalesce(scene_results.scene_statement_count, 0) as scene_statement_count,
        coalesce(relation_results.false_relation_sentences, []) as false_relation_sentences,
        coalesce(largest_results.false_largest_sentences, []) as false_largest_sentences,
        coalesce(scene_results.false_scene_sentences, []) as false_scene_sentences

    from samples
    left join relation_results on relation_results.sample_id = samples.sample_id
    left join largest_results on largest_results.sample_id = samples.sample_id
    left join scene_results on scene_results.sample_id = samples.sample_id

),

final as (

    select
        *,
        relation_statement_count + size_statement_count + largest_statement_count
        + scene_statement_count as statement_count,
        len(false_relation_sentences) + len(false_largest_sentences)
        + len(false_scene_sentences) as false_statement_count,
        list_filter([
            case
                when
                    len(false_relation_sentences) + len(false_largest_sentences)
                    + len(false_scene_sentences) > 0
                    then {
                        'check': 'description_relations',
                        'error_type': 'spatial_relation_error',
                        'evidence': 'the annotations contradict or cannot resolve: '
                        || array_to_string(
                            list_concat(
                                false_relation_sentences,
                                false_largest_sentences,
                                false_scene_sentences
                            ),
                            ' | '
                        )
                    }
            end
        ], lambda check_result: check_result is not null) as failed_checks

    from per_sample

)

select * from final
