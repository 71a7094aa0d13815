{#- Grounding fills for one trainer profile: the box text in that trainer's convention
    and the matching description of the format for the question. Expects the columns
    bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px, image_width_px, image_height_px,
    grid_* (canonical grid), language and box_label (the object's name) in scope.

    llava:    [x1, y1, x2, y2] on 0..1, 2 decimals, relative to the RAW image (not the
              padded square): bbox_coco_to_llava
    qwen2vl:  <|object_ref_start|>label<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>
              on 0..1000 (our grid, x first)
    qwen25vl: {"bbox_2d": [x1, y1, x2, y2], "label": ...} in pixels of the image after
              smart_resize: bbox_coco_to_qwen25vl -#}
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
{%- else -%}
{{ exceptions.raise_compiler_error("unknown trainer profile " ~ profile) }}
{%- endif -%}
{%- endmacro %}
