{#- The Chinese label of a chart category or series: its Chinese name from a seed when one
    is known (the first non-null of `names_zh`), else the label as drawn, in 「」 when it
    holds Latin letters (Latin text in Chinese only as quoted visible text). -#}
{% macro chart_label_zh(raw, names_zh) -%}
coalesce(
    {%- for name in names_zh %}{{ name }}, {% endfor -%}
    case when regexp_matches({{ raw }}, '[A-Za-z]') then '「' || {{ raw }} || '」' else {{ raw }} end
)
{%- endmacro %}


{#- The shape of a series read in category order (`vals` a DOUBLE[] of 2+ values):
    'flat' (all equal), 'rises' (never goes down), 'falls' (never goes up), 'peak' (up to one
    interior maximum, then down), 'dip' (down to one interior minimum, then up), else
    'mixed'. -#}
{% macro chart_trend_shape(vals) -%}
case
    when list_max({{ vals }}) = list_min({{ vals }}) then 'flat'
    when list_bool_and(list_transform(range(1, len({{ vals }})),
        lambda i: {{ vals }}[i + 1] >= {{ vals }}[i])) then 'rises'
    when list_bool_and(list_transform(range(1, len({{ vals }})),
        lambda i: {{ vals }}[i + 1] <= {{ vals }}[i])) then 'falls'
    when list_position({{ vals }}, list_max({{ vals }})) between 2 and len({{ vals }}) - 1
        and list_bool_and(list_transform(range(1, len({{ vals }})),
            lambda i: case when i < list_position({{ vals }}, list_max({{ vals }}))
                then {{ vals }}[i + 1] >= {{ vals }}[i]
                else {{ vals }}[i + 1] <= {{ vals }}[i] end))
        and len(list_filter({{ vals }}, lambda x: x = list_max({{ vals }}))) = 1
        then 'peak'
    when list_position({{ vals }}, list_min({{ vals }})) between 2 and len({{ vals }}) - 1
        and list_bool_and(list_transform(range(1, len({{ vals }})),
            lambda i: case when i < list_position({{ vals }}, list_min({{ vals }}))
                then {{ vals }}[i + 1] <= {{ vals }}[i]
                else {{ vals }}[i + 1] >= {{ vals }}[i] end))
        and len(list_filter({{ vals }}, lambda x: x = list_min({{ vals }}))) = 1
        then 'dip'
    else 'mixed'
end
{%- endmacro %}
