{#- Join a list of phrases the way a sentence does: "a", "a and b", "a, b and c"
    (English) or "a、b和c" (Chinese). `items` is a VARCHAR[] expression. -#}
{% macro human_list(items, language) -%}
case
    when len({{ items }}) = 0 then ''
    when len({{ items }}) = 1 then {{ items }}[1]
    {%- if language == 'zh' %}
    else array_to_string(list_slice({{ items }}, 1, -2), '、') || '和' || {{ items }}[-1]
    {%- else %}
    else array_to_string(list_slice({{ items }}, 1, -2), ', ') || ' and ' || {{ items }}[-1]
    {%- endif %}
end
{%- endmacro %}


{#- A count with its noun in agreement: "1 person", "3 people", "1 pair of skis". `singular`
    and `plural` are the phrases (stg_seeds__coco_category_names, or en_plural() for a name
    the seed does not know). -#}
{% macro en_count(n, singular, plural) -%}
({{ n }}::varchar || ' ' || case when {{ n }} = 1 then {{ singular }} else {{ plural }} end)
{%- endmacro %}


{#- Upper-case the first character (for a sentence that starts with a referent). -#}
{% macro capitalize_first(text) -%}
(upper(left({{ text }}, 1)) || substr({{ text }}, 2))
{%- endmacro %}


{#- Fill `{key}` placeholders in `template` from a MAP(VARCHAR, VARCHAR) expression. -#}
{% macro fill_placeholders(template, fills) -%}
list_reduce(
    map_entries({{ fills }}),
    lambda acc, entry: replace(acc, '{' || entry.key || '}', coalesce(entry.value, '')),
    {{ template }}
)
{%- endmacro %}


{#- The LLaVA conversation of one sample: the human turn opens with one `<image>` per
    image (numbered "Image 1: <image>" / "图1：<image>" when there are several, so the
    text can name them in order), then the question; the gpt turn is the answer. -#}
{% macro llava_conversation(image_count, language, question, answer) -%}
[
    {'from': 'human', 'value': {{ image_placeholders(image_count, language) }} || {{ question }}},
    {'from': 'gpt', 'value': {{ answer }}}
]
{%- endmacro %}


{% macro image_placeholders(image_count, language) -%}
case
    when {{ image_count }} = 1 then '<image>' || chr(10)
    when {{ language }} = 'zh' then
        array_to_string(list_transform(range(1, {{ image_count }} + 1),
            lambda i: '图' || i || '：<image>'), chr(10)) || chr(10)
    else
        array_to_string(list_transform(range(1, {{ image_count }} + 1),
            lambda i: 'Image ' || i || ': <image>'), chr(10)) || chr(10)
end
{%- endmacro %}
