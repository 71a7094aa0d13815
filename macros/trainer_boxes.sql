{#- Grounding fills for one trainer profile: the box text in that trainer's convention
    and the matching description of the format for the question. Expects the columns
    bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px,
    grid_* (canonical grid), language and box_label (the object's name) in scope.

    llava:    [x1, y1, x2, y2] on 0..1, 2 decimals, relative to the RAW image (not the
              padded square): bbox_coco_to_llava
    qwen2vl:  <|object_ref_start|>label<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>
              on 0..1000 (our grid, x first)
    qwen25vl: {"bbox_2d": [x1, y1, x2, y2], "label": ...} in pixels of the image after
              smart_resize: bbox_coco_to_qwen25vl
    llamafactory_qwen25vl: the same JSON on the image as LLaMA-Factory hands it to the model
              at its defaults (image_max_pixels 768*768, then smart_resize):
              bbox_coco_to_qwen25vl_llamafactory
    qwen3vl:  [{"bbox_2d": [x1, y1, x2, y2], "label": ...}] on 0..1000: bbox_coco_to_rel1000
    internvl: <ref>label</ref><box>[[x1, y1, x2, y2]]</box> on 0..1000: bbox_coco_to_rel1000
    swift:    the placeholders <ref-object><bbox>, filled in order by swift from the
              record's `objects` (real pixels: bbox_coco_to_pixels) -#}
{% macro trainer_box_fills(profile) -%}
{%- if profile == 'llava' -%}
map {
    'box': '[' || array_to_string(list_transform(
                bbox_coco_to_llava(bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px),
                lambda v: printf('%.2f', v)), ', ') || ']',
    'box_format': case language
        when 'zh' then '[x1, y1, x2, y2]（坐标归一化到0-1，保留两位小数）'
        else '[x1, y1, x2, y2] normalized to 0-1 with two decimals' end
}
{%- elif profile == 'qwen2vl' -%}
map {
    'box': '<|object_ref_start|>' || box_label || '<|object_ref_end|><|box_start|>('
           || grid_xmin || ',' || grid_ymin || '),(' || grid_xmax || ',' || grid_ymax || ')<|box_end|>',
    'box_format': case language
        when 'zh' then '(x1,y1),(x2,y2)（坐标归一化到0-1000）'
        else '(x1,y1),(x2,y2) on a 0-1000 scale' end
}
{%- elif profile == 'qwen25vl' -%}
map {
    'box': cast(to_json({
        'bbox_2d': bbox_coco_to_qwen25vl(bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px,
                                         image_width_px, image_height_px),
        'label': box_label}) as varchar),
    'box_format': case language
        when 'zh' then 'JSON，其中"bbox_2d"为像素坐标[x1, y1, x2, y2]'
        else 'JSON with "bbox_2d": [x1, y1, x2, y2] in pixels' end
}
{%- elif profile == 'llamafactory_qwen25vl' -%}
map {
    'box': cast(to_json({
        'bbox_2d': bbox_coco_to_qwen25vl_llamafactory(
            bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px),
        'label': box_label}) as varchar),
    'box_format': case language
        when 'zh' then 'JSON，其中"bbox_2d"为像素坐标[x1, y1, x2, y2]'
        else 'JSON with "bbox_2d": [x1, y1, x2, y2] in pixels' end
}
{%- elif profile == 'qwen3vl' -%}
map {
    'box': cast(to_json([{
        'bbox_2d': bbox_coco_to_rel1000(
            bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px),
        'label': box_label}]) as varchar),
    'box_format': case language
        when 'zh' then 'JSON，其中"bbox_2d"为[x1, y1, x2, y2]（坐标归一化到0-1000）'
        else 'JSON with "bbox_2d": [x1, y1, x2, y2] on a 0-1000 scale' end
}
{%- elif profile == 'internvl' -%}
map {
    'box': '<ref>' || box_label || '</ref><box>[['
           || array_to_string(bbox_coco_to_rel1000(
                  bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px),
              ', ')
           || ']]</box>',
    'box_format': case language
        when 'zh' then '<box>[[x1, y1, x2, y2]]</box>（坐标归一化到0-1000）'
        else '<box>[[x1, y1, x2, y2]]</box> on a 0-1000 scale' end
}
{%- elif profile == 'swift' -%}
map {
    'box': '<ref-object><bbox>',
    'box_format': case language
        when 'zh' then '模型自身的坐标格式'
        else 'the model''s own box format' end
}
{%- else -%}
{{ exceptions.raise_compiler_error("unknown trainer profile " ~ profile) }}
{%- endif -%}
{%- endmacro %}
