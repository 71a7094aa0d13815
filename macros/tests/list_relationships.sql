{#- A column test for a LIST column: every element is a value of `field` in `to` (the
    `relationships` test, element by element). NULL elements and NULL lists pass. -#}
{% test list_relationships(model, column_name, to, field) %}

with

elements as (

    select unnest({{ column_name }}) as element
    from {{ model }}

),

known as (

    select {{ field }} as element
    from {{ to }}

)

select elements.element
from elements
left join known on known.element = elements.element
where elements.element is not null
    and known.element is null

{% endtest %}
