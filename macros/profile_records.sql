{#- The records of one trainer profile, {id, image (a list), conversations, split,
    is_smoke}: every sample's conversation as the sample has it (its answer the model's
    where a model gave it), except that grounding samples are re-rendered from their
    template so that the question names the profile's box format and the answer gives the
    box in the profile's convention. A grounding sample whose box does not survive the
    profile's precision (profile_boxes.is_kept false) is left out. Also carried for the
    profiles that need them: source_asset_ids, box_label and box_px (the source box as
    [x1, y1, x2, y2] raw pixels, grounding only), and inputs_hash.
    Built incrementally by sample: the model calling this names
    keyed_incremental('record_input_digests', 'sample_id', 'id') as its config, and an
    incremental run makes records only of the samples whose inputs changed
    (record_input_digests, macros/incremental.sql). -#}
{% macro profile_records(profile) -%}
with

hashed as (

    {{ keyed_inputs_hash('record_input_digests', 'sample_id') }}

),

changed_samples as (

    {{ changed_keys('hashed', 'sample_id', 'id') }}

),

samples as (

    select * from {{ ref('samples') }}
    where sample_id in (select changed_samples.sample_id from changed_samples)

),

boxes as (

    select
        annotation_id,
        bbox_x_px,
        bbox_y_px,
        bbox_w_px,
        bbox_h_px,
        image_width_px,
        image_height_px

    from {{ ref('int_annotations_normalized') }}

),

left_out as (

    select sample_id
    from {{ ref('profile_boxes') }}
    where export_profile = '{{ profile }}' and not is_kept

),

with_boxes as (

    select
        samples.*,
        boxes.* exclude (annotation_id),
        case samples.language
            when 'zh' then samples.category_name_zh
            else samples.category_name
        end as box_label

    from samples
    left join boxes on boxes.annotation_id = samples.annotation_id
    where samples.sample_id not in (select left_out.sample_id from left_out)

),

refilled as (

    -- only a grounding sample's text names a box
    select
        *,
        case
            when task_type = 'region_grounding'
                then map_concat(template_fills, {{ trainer_box_fills(profile) }})
        end as profile_fills

    from with_boxes

),

rendered as (

    select
        *,
        case
            when task_type = 'region_grounding'
                then {{ fill_placeholders('human_template', 'profile_fills') }}
        end as profile_question_text,
        case
            when task_type = 'region_grounding'
                then {{ fill_placeholders('answer_pattern', 'profile_fills') }}
        end as profile_answer_text

    from refilled

)

select
    rendered.sample_id as id,
    rendered.image_paths as image,
    case
        when task_type = 'region_grounding'
            then {{ llava_conversation('image_count', 'language', 'profile_question_text', 'profile_answer_text') }}
        else conversations
    end as conversations,
    split,
    is_smoke,
    source_asset_ids,
    box_label,
    case
        when task_type = 'region_grounding'
            then bbox_coco_to_pixels(bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px,
                                     image_width_px, image_height_px)
    end as box_px,
    changed_samples.inputs_hash

from rendered
inner join changed_samples on changed_samples.sample_id = rendered.sample_id
{%- endmacro %}
